package generate

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/golden"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
)

func load(t *testing.T, file string) *inventory.Inventory {
	t.Helper()
	inv := inventory.Load([]string{file}, inventory.Options{})
	if len(inv.Errors) > 0 {
		t.Fatal(inv.Errors)
	}
	return inv
}

func flowStrings(fs []Flow) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Src.String()+" -> "+f.Dst.String()+" "+f.Ports.String())
	}
	return out
}

// The inferred flows of the fixture: env URL, ConfigMap host key, ConfigMap URL to
// another namespace, an argument host:port, a config file in a ConfigMap volume, DNS.
// "USER=api" and "DB_USER=api" are not references: a bare name counts only as a URL
// host, host:port, or the whole value of a host-like key.
func TestInfer(t *testing.T) {
	p := Infer(load(t, "testdata/roundtrip.yaml"))
	want := []string{
		"queue/StatefulSet/rabbitmq -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/CronJob/report -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/CronJob/report -> shop/StatefulSet/db TCP/5432",
		"shop/Deployment/api -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/Deployment/api -> queue/StatefulSet/rabbitmq TCP/5672",
		"shop/Deployment/api -> shop/Deployment/redis TCP/6379",
		"shop/Deployment/api -> shop/StatefulSet/db TCP/5432",
		"shop/Deployment/redis -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/Deployment/web -> kube-system/Deployment/coredns TCP/53,UDP/53",
		"shop/Deployment/web -> shop/Deployment/api TCP/8080",
		"shop/StatefulSet/db -> kube-system/Deployment/coredns TCP/53,UDP/53",
	}
	if got := flowStrings(p.Flows); !slices.Equal(got, want) {
		t.Errorf("flows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(p.Namespaces, []string{"queue", "shop"}) {
		t.Errorf("namespaces %v, want queue and shop (kube-system is left alone)", p.Namespaces)
	}
}

// Applying the generated policies and computing the connections again gives exactly
// the inferred flows, for every connection that starts or ends in a namespace that
// got policies.
func TestRoundTrip(t *testing.T) {
	for _, file := range []string{"testdata/roundtrip.yaml", "../../../examples/shop/manifests"} {
		t.Run(file, func(t *testing.T) {
			inv := load(t, file)
			p := Infer(inv)
			var buf bytes.Buffer
			if err := WriteYAML(&buf, p); err != nil {
				t.Fatal(err)
			}
			// Drop the policies the manifests had: the generated ones replace them.
			kept := slices.DeleteFunc(slices.Clone(inv.Objects), func(o *inventory.Object) bool { return o.Kind() == "NetworkPolicy" })
			objs, errs := inventory.Decode(&buf, "generated.yaml")
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			applied := inventory.NewInventory(append(kept, objs...))
			covered := map[string]bool{}
			for _, ns := range p.Namespaces {
				covered[ns] = true
			}
			var got []string
			for _, c := range reach.Analyze(reach.FromInventory(applied), reach.Options{}).Connections() {
				if covered[c.Src.Namespace] || covered[c.Dst.Namespace] {
					got = append(got, c.Src.String()+" -> "+c.Dst.String()+" "+c.Ports.String())
				}
			}
			want := flowStrings(p.Flows)
			if len(want) < 2 {
				t.Fatalf("only %d flows inferred", len(want))
			}
			if !slices.Equal(got, want) {
				t.Errorf("connections after applying:\n%s\ninferred:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestWriteYAMLGolden(t *testing.T) {
	p := Infer(load(t, "testdata/roundtrip.yaml"))
	var buf bytes.Buffer
	if err := WriteYAML(&buf, p); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/roundtrip.golden.yaml", buf.Bytes())
}
