package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
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
