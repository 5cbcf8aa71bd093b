package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanClusterUsage(t *testing.T) {
	// A kubeconfig whose server is a closed loopback port: nothing answers there.
	kc := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
current-context: closed
clusters: [{name: closed, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: closed, user: {token: t}}]
contexts: [{name: closed, context: {cluster: closed, user: closed}}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"cluster flags need --cluster", []string{"scan", "--read-secrets", "testdata/privileged.yaml"}, "--read-secrets needs --cluster"},
		{"paths and --cluster exclude each other", []string{"scan", "--cluster", "testdata/privileged.yaml"}, "give PATHs or --cluster, not both"},
		{"-n and -A exclude each other", []string{"scan", "--cluster", "-n", "shop", "-A"}, "give -n NAMESPACE or -A, not both"},
		{"a cluster that does not answer is an input error", []string{"scan", "--cluster", "--kubeconfig", kc}, "cannot reach the cluster at https://127.0.0.1:1"},
		{"an unknown context is an input error", []string{"scan", "--cluster", "--kubeconfig", kc, "--context", "prod"}, `context "prod" does not exist`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errb := run(t, "", tc.args...)
			if code != 2 || !strings.Contains(errb, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errb, tc.want)
			}
		})
	}
}
