package main

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const namespaceApp = "testdata/namespace/app.yaml"

// -n places the objects written without a namespace, as `kubectl apply -n` does:
// findings name that namespace, and cluster-scoped objects keep none.
func TestScanNamespaceFlagPlacesObjectsWrittenWithoutOne(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want map[string]string // kind of a resource with findings → its namespace
	}{
		{"with -n shop", []string{"scan", "-n", "shop", "-o", "json", namespaceApp},
			map[string]string{"Deployment": "shop", "ClusterRole": ""}},
		{"with --namespace=shop", []string{"scan", "--namespace=shop", "-o", "json", namespaceApp},
			map[string]string{"Deployment": "shop", "ClusterRole": ""}},
		{"without -n, as written", []string{"scan", "-o", "json", namespaceApp},
			map[string]string{"Deployment": "", "ClusterRole": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errb := run(t, "", tt.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (a privileged container)\n%s", code, errb)
			}
			seen := map[string]bool{}
			for _, f := range decodeJSON(t, out).Findings {
				want, ok := tt.want[f.Resource.Kind]
				if !ok {
					continue
				}
				seen[f.Resource.Kind] = true
				if f.Resource.Namespace != want {
					t.Errorf("%s: %s in namespace %q, want %q", f.RuleID, f.Resource, f.Resource.Namespace, want)
				}
			}
			for kind := range tt.want {
				if !seen[kind] {
					t.Errorf("no finding on a %s", kind)
				}
			}
		})
	}
}

// netpol generate writes its policies into the namespace of -n, where the workloads
// it reads land.
func TestNetpolGenerateNamespaceFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"netpol", "generate", "-n", "shop", namespaceApp}, "shop"},
		{[]string{"netpol", "generate", namespaceApp}, "default"},
	} {
		code, out, errb := run(t, "", tt.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", tt.args, code, errb)
		}
		docs := strings.Split(out, "\n---\n")
		for _, doc := range docs {
			var p struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &p); err != nil {
				t.Fatalf("%v: output is not YAML: %v\n%s", tt.args, err, doc)
			}
			if p.Kind == "" {
				continue
			}
			if p.Kind != "NetworkPolicy" || p.Metadata.Namespace != tt.want {
				t.Errorf("%v: %s %s in namespace %q, want a NetworkPolicy in %q", tt.args, p.Kind, p.Metadata.Name, p.Metadata.Namespace, tt.want)
			}
		}
		if !strings.Contains(out, "namespace: "+tt.want+"\n") || len(docs) < 3 {
			t.Errorf("%v: want policies in %s, got:\n%s", tt.args, tt.want, out)
		}
		if strings.Contains(errb, "default/Deployment") != (tt.want == "default") {
			t.Errorf("%v: notes name the workloads in the wrong namespace:\n%s", tt.args, errb)
		}
	}
}
