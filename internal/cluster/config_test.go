package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kubeconfig writes a kubeconfig whose contexts point at servers named after them.
func kubeconfig(t *testing.T, current string, contexts ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\n")
	if current != "" {
		b.WriteString("current-context: " + current + "\n")
	}
	b.WriteString("clusters:\n")
	for _, c := range contexts {
		b.WriteString("- name: " + c + "\n  cluster:\n    server: https://" + c + ".example:6443\n")
	}
	b.WriteString("users:\n")
	for _, c := range contexts {
		b.WriteString("- name: " + c + "\n  user:\n    token: token-" + c + "\n")
	}
	b.WriteString("contexts:\n")
	for _, c := range contexts {
		b.WriteString("- name: " + c + "\n  context:\n    cluster: " + c + "\n    user: " + c + "\n")
	}
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRESTConfigFollowsKubectl(t *testing.T) {
	// HOME is an empty directory, so ~/.kube/config does not exist; the test does not run
	// in a pod, so there is no in-cluster configuration either.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	first := kubeconfig(t, "dev", "dev")
	second := kubeconfig(t, "prod", "prod", "staging")
	explicit := kubeconfig(t, "ci", "ci")
	list := first + string(os.PathListSeparator) + second

	tests := []struct {
		name       string
		kubeconfig string
		env        string
		context    string
		wantHost   string
		wantToken  string
		wantErr    string
	}{
		{"KUBECONFIG alone gives its current context", "", first, "", "https://dev.example:6443", "token-dev", ""},
		{"KUBECONFIG lists files merged in order: the first current-context wins", "", list, "", "https://dev.example:6443", "token-dev", ""},
		{"--context picks a context from any of the merged files", "", list, "staging", "https://staging.example:6443", "token-staging", ""},
		{"--kubeconfig wins over KUBECONFIG", explicit, list, "", "https://ci.example:6443", "token-ci", ""},
		{"an unknown context is an error", "", list, "nope", "", "", `context "nope" does not exist`},
		{"a missing --kubeconfig file is an error", filepath.Join(t.TempDir(), "none"), "", "", "", "", "no such file"},
		{"no configuration at all says how to give one", "", "", "", "", "", "no cluster configured"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tc.env)
			cfg, err := Config{Kubeconfig: tc.kubeconfig, Context: tc.context}.RESTConfig()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tc.wantHost || cfg.BearerToken != tc.wantToken {
				t.Errorf("host %s token %s, want %s %s", cfg.Host, cfg.BearerToken, tc.wantHost, tc.wantToken)
			}
		})
	}
}

func TestNamespaceFollowsKubectl(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", "")
	kc := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
current-context: shop
clusters: [{name: c, cluster: {server: "https://c.example:6443"}}]
users: [{name: u, user: {token: t}}]
contexts:
- {name: shop, context: {cluster: c, user: u, namespace: shop}}
- {name: bare, context: {cluster: c, user: u}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		kubeconfig string
		context    string
		want       string
		wantErr    string
	}{
		{"the current context's namespace", kc, "", "shop", ""},
		{"--context picks that context's namespace", kc, "bare", "default", ""},
		{"an unknown context is an error", kc, "nope", "", "context was not found for specified context: nope"},
		{"a missing --kubeconfig file is an error", filepath.Join(t.TempDir(), "none"), "", "", "cluster configuration:"},
		{"no configuration at all says how to give one", "", "", "", "no cluster configured"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns, err := Config{Kubeconfig: tc.kubeconfig, Context: tc.context}.Namespace()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("namespace %q, error %v; want an error containing %q", ns, err, tc.wantErr)
				}
				return
			}
			if err != nil || ns != tc.want {
				t.Errorf("namespace %q, error %v; want %q", ns, err, tc.want)
			}
		})
	}
}
