package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const rbacWorld = "testdata/rbac/world.yaml"

func TestRBACWhoCan(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // KIND:NAMESPACE/NAME via BINDING
	}{
		{"create deployments in ci", []string{"create", "deployments.apps", "-n", "ci"},
			[]string{"Group:developers via ci/developers", "Group:system:masters via (built in: the API server allows every request of this group)"}},
		{"cluster-wide, a RoleBinding does not count", []string{"create", "deployments", "--api-group", "apps"},
			[]string{"Group:system:masters via (built in: the API server allows every request of this group)"}},
		// The built-in bindings of Kubernetes 1.37 answer too: the controller manager and
		// the garbage collector and namespace controllers may read every Secret.
		{"a named Secret needs its name", []string{"get", "secrets", "--name", "registry", "-n", "web"},
			[]string{"User:system:kube-controller-manager via system:kube-controller-manager", "Group:system:masters via (built in: the API server allows every request of this group)",
				"ServiceAccount:ci/deployer via deployer-binder", "ServiceAccount:kube-system/generic-garbage-collector via system:controller:generic-garbage-collector",
				"ServiceAccount:kube-system/namespace-controller via system:controller:namespace-controller"}},
		{"a non-resource URL with a * suffix", []string{"get", "/debug/pprof"},
			[]string{"User:alice via prometheus", "Group:system:masters via (built in: the API server allows every request of this group)", "ServiceAccount:monitoring/prometheus via prometheus"}},
		{"a subresource is not its resource", []string{"get", "pods/exec", "-n", "ci"},
			[]string{"Group:system:masters via (built in: the API server allows every request of this group)",
				"ServiceAccount:kube-system/generic-garbage-collector via system:controller:generic-garbage-collector",
				"ServiceAccount:kube-system/namespace-controller via system:controller:namespace-controller"}},
		{"-n is also the namespace of objects written without one", []string{"create", "deployments.apps", "-n", "shop", "testdata/rbac/edit-no-namespace.yaml"},
			[]string{"Group:developers via shop/developers", "Group:system:masters via (built in: the API server allows every request of this group)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"rbac", "who-can"}, tt.args...)
			if !strings.HasSuffix(args[len(args)-1], ".yaml") {
				args = append(args, rbacWorld)
			}
			args = append(args, "-o", "json")
			code, out, errb := run(t, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb)
			}
			var doc struct {
				Subjects []struct {
					Kind, Name, Namespace string
					Via                   []struct{ Binding, Role string }
				}
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			var got []string
			for _, s := range doc.Subjects {
				n := s.Name
				if s.Namespace != "" {
					n = s.Namespace + "/" + n
				}
				got = append(got, s.Kind+":"+n+" via "+s.Via[0].Binding)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("subjects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestRBACWhoCanTable(t *testing.T) {
	code, out, _ := run(t, "", "rbac", "who-can", "create", "deployments.apps", "-n", "ci", rbacWorld)
	want := `KIND   NAMESPACE  NAME            BINDING                                                        ROLE
Group  -          developers      ci/developers                                                  Role/runner
Group  -          system:masters  (built in: the API server allows every request of this group)  (system:masters)
                                  cluster-admin                                                  ClusterRole/cluster-admin
`
	if code != 0 || out != want {
		t.Errorf("exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}
}

func TestRBACCan(t *testing.T) {
	code, out, errb := run(t, "", "rbac", "can", "sa:ci/deployer", "-n", "ci", rbacWorld, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var doc struct {
		Rules []struct {
			Verbs, Resources, ResourceNames []string
			Via                             struct{ Binding string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	// The 3 rules of ClusterRole binder, and those the built-in bindings give every
	// authenticated caller and every service account (discovery, self-review).
	via := map[string]int{}
	for _, r := range doc.Rules {
		via[r.Via.Binding]++
	}
	if via["deployer-binder"] != 3 || via["system:basic-user"] == 0 || via["system:discovery"] == 0 || via["system:service-account-issuer-discovery"] == 0 {
		t.Errorf("sa:ci/deployer holds rules in ci through %v, want the 3 of ClusterRole binder and the built-in ones of every account:\n%s", via, out)
	}
	code, out, _ = run(t, "", "rbac", "can", "group:developers", rbacWorld)
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("group:developers cluster-wide: exit %d, want only the header:\n%s", code, out)
	}
}

func TestRBACCheck(t *testing.T) {
	qs := `[
 {"user": "system:serviceaccount:ci:deployer", "groups": ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"], "verb": "bind", "apiGroup": "rbac.authorization.k8s.io", "resource": "clusterroles", "name": "cluster-admin"},
 {"user": "system:serviceaccount:ci:deployer", "verb": "bind", "apiGroup": "rbac.authorization.k8s.io", "resource": "clusterroles", "name": "admin"},
 {"user": "bob", "groups": ["developers"], "verb": "create", "apiGroup": "apps", "resource": "deployments", "namespace": "ci"},
 {"user": "alice", "verb": "get", "nonResource": true, "path": "/debug/vars"},
 {"user": "alice", "verb": "post", "nonResource": true, "path": "/metrics"}
]`
	f := filepath.Join(t.TempDir(), "q.json")
	if err := os.WriteFile(f, []byte(qs), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errb := run(t, "", "rbac", "check", "--questions", f, rbacWorld)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var answers []struct{ Allowed bool }
	if err := json.Unmarshal([]byte(out), &answers); err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, a := range answers {
		got = append(got, a.Allowed)
	}
	if want := []bool{true, false, true, true, false}; fmtBools(got) != fmtBools(want) {
		t.Errorf("answers %v, want %v", got, want)
	}
}

func fmtBools(bs []bool) string {
	var s []string
	for _, b := range bs {
		if b {
			s = append(s, "true")
		} else {
			s = append(s, "false")
		}
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestRBACPaths(t *testing.T) {
	code, out, errb := run(t, "", "rbac", "paths", rbacWorld, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var doc struct {
		Paths []struct {
			Subject struct{ Kind, Name, Namespace string }
			Goal    string
			Steps   []struct{ Primitive, How string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range doc.Paths {
		var prims []string
		for _, s := range p.Steps {
			prims = append(prims, s.Primitive)
		}
		got = append(got, p.Subject.Kind+" "+p.Subject.Name+" => "+p.Goal+": "+strings.Join(prims, ","))
	}
	want := []string{
		"ServiceAccount deployer => cluster-admin: rbac/bind-verb",
		"Group developers => cluster-admin: rbac/create-workloads,,rbac/bind-verb",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	code, out, _ = run(t, "", "rbac", "paths", rbacWorld, "-o", "dot")
	if code != 0 || !strings.HasPrefix(out, "digraph escalation {") || !strings.Contains(out, "Group developers") {
		t.Errorf("dot: exit %d\n%s", code, out)
	}
}

func TestRBACUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no input", []string{"rbac", "who-can", "get", "pods"}},
		{"paths and --cluster", []string{"rbac", "paths", "--cluster", rbacWorld}},
		{"a subject without a kind", []string{"rbac", "can", "alice", rbacWorld}},
		{"a service account without a namespace", []string{"rbac", "can", "sa:deployer", rbacWorld}},
		{"a URL with a namespace", []string{"rbac", "who-can", "get", "/metrics", "-n", "ci", rbacWorld}},
		{"an unknown output", []string{"rbac", "paths", "-o", "svg", rbacWorld}},
		{"a missing file", []string{"rbac", "who-can", "get", "pods", "testdata/rbac/nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, out, errb := run(t, "", tt.args...); code != 2 {
				t.Errorf("exit %d, want 2\n%s%s", code, out, errb)
			}
		})
	}
}

// who-can -A answers cluster-wide, then in every namespace the input knows (of its
// objects, and the built-in policy's kube-system and kube-public), one list each.
func TestRBACWhoCanAllNamespaces(t *testing.T) {
	code, out, errb := run(t, "", "rbac", "who-can", "create", "deployments.apps", "-A", rbacWorld, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var doc struct {
		Answers []struct {
			Namespace string
			Subjects  []struct{ Kind, Name, Namespace string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	for _, a := range doc.Answers {
		var names []string
		for _, s := range a.Subjects {
			names = append(names, s.Kind+":"+s.Name)
		}
		got = append(got, a.Namespace+" "+strings.Join(names, ","))
	}
	want := []string{
		" Group:system:masters",
		"ci Group:developers,Group:system:masters",
		"kube-public Group:system:masters",
		"kube-system Group:system:masters",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("answers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	code, out, _ = run(t, "", "rbac", "who-can", "create", "deployments.apps", "-A", rbacWorld)
	for _, head := range []string{"cluster-wide:\nKIND", "\n\nnamespace ci:\nKIND", "developers      ci/developers"} {
		if code != 0 || !strings.Contains(out, head) {
			t.Errorf("table: exit %d, no %q in:\n%s", code, head, out)
		}
	}
	if code, _, errb := run(t, "", "rbac", "who-can", "get", "pods", "-A", "-n", "ci", rbacWorld); code != 2 || !strings.Contains(errb, "-n NAMESPACE or -A") {
		t.Errorf("-A with -n: exit %d, stderr %q", code, errb)
	}
}

// A binding in the files to a built-in role is answered with its built-in rules, of
// the release --kube-version names.
func TestRBACWhoCanBuiltinRole(t *testing.T) {
	for _, args := range [][]string{nil, {"--kube-version", "1.37"}, {"--kube-version", "1.99"}} {
		all := append([]string{"rbac", "who-can", "get", "secrets", "-n", "shop", "testdata/rbac/edit-no-namespace.yaml", "-o", "json"}, args...)
		code, out, errb := run(t, "", all...)
		if code != 0 || !strings.Contains(out, `"role": "ClusterRole/edit"`) || !strings.Contains(out, `"name": "developers"`) {
			t.Errorf("%v: exit %d, developers not allowed through the built-in edit:\n%s\n%s", args, code, out, errb)
		}
		if note := strings.Contains(errb, "use those of 1.37"); note != (len(args) > 0 && args[1] == "1.99") {
			t.Errorf("%v: stderr %q", args, errb)
		}
	}
}
