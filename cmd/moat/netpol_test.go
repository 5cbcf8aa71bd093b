package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/golden"
)

const netpolApp, netpolPolicies = "testdata/netpol/app.yaml", "testdata/netpol/policies.yaml"

type connJSON struct {
	Connections []struct {
		Src   map[string]string `json:"src"`
		Dst   map[string]string `json:"dst"`
		Ports json.RawMessage   `json:"ports"`
	} `json:"connections"`
}

func TestNetpolConnsJSON(t *testing.T) {
	code, out, errs := run(t, "", "netpol", "conns", "-o", "json", netpolApp, netpolPolicies)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc connJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, c := range doc.Connections {
		key := c.Src["namespace"] + "/" + c.Src["name"] + c.Src["ipBlock"] + " -> " + c.Dst["namespace"] + "/" + c.Dst["name"] + c.Dst["ipBlock"]
		var compact bytes.Buffer
		if err := json.Compact(&compact, c.Ports); err != nil {
			t.Fatal(err)
		}
		got[key] = compact.String()
		for _, e := range []map[string]string{c.Src, c.Dst} {
			if e["ipBlock"] == "" && (e["namespace"] == "" || e["kind"] == "" || e["name"] == "") {
				t.Errorf("endpoint %v lacks namespace, kind or name", e)
			}
		}
	}
	want := map[string]string{
		"shop/web -> shop/api":                  `["TCP/8080"]`,
		"shop/api -> shop/db":                   `["TCP/5432"]`,
		"shop/api -> shop/redis":                `["TCP/6379"]`,
		"shop/api -> /203.0.113.0/24":           `["TCP/443"]`,
		"shop/api -> kube-system/coredns":       `["TCP/53","UDP/53"]`,
		"kube-system/coredns -> queue/rabbitmq": `"all"`,
		"queue/rabbitmq -> /0.0.0.0/1":          `"all"`,
		"shop/report -> kube-system/coredns":    `["TCP/53","UDP/53"]`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: ports %s, want %s", k, got[k], v)
		}
	}
	for _, k := range []string{"shop/web -> shop/db", "shop/db -> shop/api", "shop/report -> shop/db", "shop/web -> /203.0.113.0/24"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s should be denied", k)
		}
	}
}

func TestNetpolConnsFormats(t *testing.T) {
	code, out, _ := run(t, "", "netpol", "conns", "-o", "csv", netpolApp, netpolPolicies)
	if code != 0 {
		t.Fatalf("csv: exit %d", code)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 5 || !slices.Equal(rows[0], []string{"src", "dst", "ports"}) {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	if !slices.ContainsFunc(rows, func(r []string) bool {
		return slices.Equal(r, []string{"shop/Deployment/web", "shop/Deployment/api", "TCP/8080"})
	}) {
		t.Errorf("csv lacks web -> api:\n%s", out)
	}
	code, out, _ = run(t, "", "netpol", "conns", "-o", "dot", netpolApp, netpolPolicies)
	if code != 0 || !strings.HasPrefix(out, "digraph netpol {") || !strings.Contains(out, `"shop/Deployment/web" -> "shop/Deployment/api" [label="TCP/8080"];`) {
		t.Errorf("dot: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "netpol", "conns", netpolApp, netpolPolicies)
	if code != 0 || !strings.Contains(out, "SRC") || !strings.Contains(out, "shop/Deployment/web") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
}

func TestNetpolExplain(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"allowed, with the rules and their lines", []string{"shop/deploy/api", "shop/sts/db", "--port", "5432/TCP"}, 0, []string{
			"NetworkPolicy shop/api rule spec.egress[0] (testdata/netpol/policies.yaml:64) allows to shop/StatefulSet/db on TCP/5432.",
			"NetworkPolicy shop/data rule spec.ingress[0] (testdata/netpol/policies.yaml:91) allows from shop/Deployment/api on TCP/5432.",
			"Allowed: shop/Deployment/api may connect to shop/StatefulSet/db on TCP/5432.",
		}},
		{"denied on the ingress side", []string{"shop/deploy/web", "shop/sts/db", "--port", "5432"}, 0, []string{
			"None of their ingress rules matches shop/Deployment/web on TCP/5432",
			"Denied: shop/Deployment/web may not connect to shop/StatefulSet/db on TCP/5432; blocked by the egress of shop/Deployment/web and the ingress of shop/StatefulSet/db.",
		}},
		{"to an address outside", []string{"shop/deploy/api", "203.0.113.7", "--port", "443"}, 0, []string{
			"NetworkPolicy shop/api rule spec.egress[2] (testdata/netpol/policies.yaml:74) allows to 203.0.113.7 (in the outside range 203.0.113.0/24) on TCP/443.",
			"Allowed:",
		}},
		{"unknown workload", []string{"shop/deploy/nope", "shop/sts/db"}, 2, nil},
		{"bad port", []string{"shop/deploy/api", "shop/sts/db", "--port", "http"}, 2, nil},
		{"bad endpoint", []string{"api", "shop/sts/db"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"netpol", "explain"}, tt.args...), netpolApp, netpolPolicies)
			code, out, errs := run(t, "", args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestNetpolInputErrors(t *testing.T) {
	if code, _, _ := run(t, "", "netpol", "conns"); code != 2 {
		t.Errorf("no PATH: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "", "netpol", "conns", "-o", "yaml", netpolApp); code != 2 {
		t.Errorf("bad format: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "", "netpol", "conns", "--context", "x", netpolApp); code != 2 {
		t.Errorf("--context without --cluster: exit %d, want 2", code)
	}
	code, out, errs := run(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: a\n", "netpol", "conns", "-", netpolApp)
	if code != 2 || !strings.Contains(errs, "error:") || !strings.Contains(out, "SRC") {
		t.Errorf("broken stdin: exit %d, want 2 with the output of the rest\n%s%s", code, out, errs)
	}
}

func TestNetpolGenerate(t *testing.T) {
	code, out, errs := run(t, "", "netpol", "generate", netpolApp)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, w := range []string{"name: default-deny", "name: allow-dns", "namespace: queue", "# Deployment api:"} {
		if !strings.Contains(out, w) {
			t.Errorf("generated YAML lacks %q", w)
		}
	}
	// The generated policies, applied to the app, give the inferred connections.
	code, conns, _ := run(t, out, "netpol", "conns", netpolApp, "-")
	if code != 0 || !strings.Contains(conns, "shop/Deployment/api") || strings.Contains(conns, "shop/Deployment/web      shop/StatefulSet/db") {
		t.Errorf("conns after generate: exit %d\n%s", code, conns)
	}
}

// The pods of netpol-owners/pods.yaml, as a pod list gives them, with some of their
// owners. The by-pod goldens were written by moat before --by existed: --by pod keeps
// that output byte for byte. manifests.table likewise: workloads from manifests show
// as before either way.
const ownersPods, ownersPolicies = "testdata/netpol-owners/pods.yaml", "testdata/netpol-owners/policies.yaml"

func TestNetpolConnsBy(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string
		notes  bool // stderr holds the notes, in by-owner.notes
	}{
		{"pods by owner, the default", []string{ownersPods, ownersPolicies}, "by-owner.table", true},
		{"pods by owner as JSON", []string{"-o", "json", ownersPods, ownersPolicies}, "by-owner.json", true},
		{"pods by owner as dot", []string{"-o", "dot", ownersPods, ownersPolicies}, "by-owner.dot", true},
		{"pods by pod as before", []string{"--by", "pod", ownersPods, ownersPolicies}, "by-pod.table", false},
		{"pods by pod as before, csv", []string{"--by", "pod", "-o", "csv", ownersPods, ownersPolicies}, "by-pod.csv", false},
		{"pods by pod as before, dot", []string{"--by", "pod", "-o", "dot", ownersPods, ownersPolicies}, "by-pod.dot", false},
		{"pods by pod as JSON: the old fields, and group and pod", []string{"--by", "pod", "-o", "json", ownersPods, ownersPolicies}, "by-pod.json", false},
		{"manifests by owner as before", []string{netpolApp, netpolPolicies}, "manifests.table", false},
		{"manifests by pod as before", []string{"--by", "pod", netpolApp, netpolPolicies}, "manifests.table", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "", append([]string{"netpol", "conns"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden.Check(t, "testdata/netpol-owners/"+tt.golden, []byte(out))
			if tt.notes {
				golden.Check(t, "testdata/netpol-owners/"+strings.TrimSuffix(tt.golden, filepath.Ext(tt.golden))+".notes", []byte(errs))
			} else if errs != "" {
				t.Errorf("stderr: %s", errs)
			}
		})
	}
}

// Every JSON endpoint that stands for pods names its group; by owner it counts them,
// by pod it names the pod.
func TestNetpolConnsByJSONFields(t *testing.T) {
	type endpoint struct {
		Kind, Name, Group, Pod, Variant, IPBlock string
		Pods                                     int
	}
	for _, by := range []string{"owner", "pod"} {
		code, out, errs := run(t, "", "netpol", "conns", "-o", "json", "--by", by, ownersPods, ownersPolicies)
		if code != 0 {
			t.Fatalf("--by %s: exit %d: %s", by, code, errs)
		}
		var doc struct {
			Connections []struct{ Src, Dst endpoint }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("--by %s: %v", by, err)
		}
		for _, c := range doc.Connections {
			for _, e := range []endpoint{c.Src, c.Dst} {
				switch {
				case e.IPBlock != "":
				case e.Group == "":
					t.Errorf("--by %s: %+v has no group", by, e)
				case by == "owner" && (e.Pods == 0 || e.Pod != "" || e.Group != e.Kind+"/"+e.Name):
					t.Errorf("--by owner: %+v: want its own group and a pod count", e)
				case by == "pod" && e.Kind == "Pod" && (e.Pod != e.Name || e.Pods != 0):
					t.Errorf("--by pod: %+v: want the pod and no count", e)
				}
			}
		}
	}
}

func TestNetpolOwnersExplainAndErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout, or in stderr when code is 2
	}{
		{"an owner whose pods stand for it", []string{"explain", "shop/deploy/productpage", "shop/rs/reviews-v1-545db77b95", "--port", "9080"}, 0,
			"Allowed: shop/Deployment/productpage may connect to shop/ReplicaSet/reviews-v1-545db77b95 on TCP/9080."},
		{"a CronJob by its Job's pod", []string{"explain", "shop/cj/migrate", "shop/pod/db-1", "--port", "5432"}, 0,
			"Allowed: shop/CronJob/migrate may connect to shop/Pod/db-1 on TCP/5432."},
		{"an owner whose pods policies treat differently", []string{"explain", "shop/pod/debug", "shop/sts/db"}, 2,
			"name one of its pods, such as shop/Pod/db-1"},
		{"a pod of it instead", []string{"explain", "shop/pod/debug", "shop/pod/db-0", "--port", "5432"}, 0,
			"Allowed: shop/Pod/debug may connect to shop/Pod/db-0 on TCP/5432."},
		{"an unknown --by", []string{"conns", "--by", "node"}, 2, `--by: "node" is not one of owner, pod`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, "", append(append([]string{"netpol"}, tt.args...), ownersPods, ownersPolicies)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tt.code, out, errs)
			}
			got := out
			if tt.code == 2 {
				got = errs
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, got)
			}
		})
	}
}

// Typed lists as client libraries write them (items without kind or apiVersion, in a
// stream of JSON objects) load, and the connections are those of the same objects
// written one by one.
func TestNetpolConnsOfTypedLists(t *testing.T) {
	for _, format := range []string{"table", "json"} {
		codeL, outL, errL := run(t, "", "netpol", "conns", "-o", format, "testdata/netpol-lists/lists.json")
		codeO, outO, errO := run(t, "", "netpol", "conns", "-o", format, "testdata/netpol-lists/objects.yaml")
		if codeL != 0 || codeO != 0 || errL != "" || errO != "" {
			t.Fatalf("%s: exit %d and %d, stderr %q and %q", format, codeL, codeO, errL, errO)
		}
		if outL != outO {
			t.Errorf("%s: lists give\n%s\nobjects give\n%s", format, outL, outO)
		}
		if !strings.Contains(outL, "prom-0") || !strings.Contains(outL, "db-0") {
			t.Errorf("%s: the pods of the PodList are missing:\n%s", format, outL)
		}
	}
}
