package rbac_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/kubeversion"
	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rbac/paths"
	"github.com/moat-dev/moat/internal/scan"
)

// loadBuiltin reads a fixture of testdata/builtin as a file scan does: with the
// bootstrap policy of the target release (kubeVersion, "" for the default) beside it.
func loadBuiltin(t *testing.T, file, kubeVersion string) *scan.Loaded {
	t.Helper()
	l, err := scan.Load(context.Background(), scan.Input{Paths: []string{filepath.Join("testdata", "builtin", file)}, KubeVersion: kubeVersion})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Errors {
		t.Fatalf("%s does not load: %v", file, e)
	}
	return l
}

// subjectKeys names who-can's subjects: "Group:developers", "ServiceAccount:ns/name".
func subjectKeys(ss []authz.Subject) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Key()
	}
	return out
}

// Bindings in the user's files to built-in roles are answered with the built-in rules;
// a user's own definition of a built-in role replaces it; a user's ClusterRole joins an
// aggregated built-in one through its label.
func TestWhoCanThroughBuiltinRoles(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		q         authz.Request
		want      []string // among the subjects
		wantNot   []string // not among them
		wantVia   string   // the role the first wanted subject is allowed through
		wantCount int      // at least this many subjects (built-in ones included)
	}{
		{"developers read Secrets in shop through the built-in edit", "developers-edit.yaml",
			authz.Request{Verb: "get", Resource: "secrets", Namespace: "shop"},
			[]string{"Group:developers", "Group:system:masters"}, nil, "ClusterRole/edit", 3},
		{"built-in bindings count too: the controller manager lists Secrets everywhere", "developers-edit.yaml",
			authz.Request{Verb: "list", Resource: "secrets", Namespace: "shop"},
			[]string{"User:system:kube-controller-manager", "Group:developers"}, nil, "ClusterRole/system:kube-controller-manager", 3},
		{"edit does not escalate to RoleBindings", "developers-edit.yaml",
			authz.Request{Verb: "create", APIGroup: "rbac.authorization.k8s.io", Resource: "rolebindings", Namespace: "shop"},
			[]string{"Group:system:masters"}, []string{"Group:developers"}, "", 1},
		{"the files' own edit replaces the built-in one", "own-edit.yaml",
			authz.Request{Verb: "get", Resource: "secrets", Namespace: "shop"},
			[]string{"Group:system:masters"}, []string{"Group:developers"}, "", 1},
		{"the files' own edit is what developers get", "own-edit.yaml",
			authz.Request{Verb: "update", APIGroup: "apps", Resource: "deployments", Namespace: "shop"},
			[]string{"Group:developers"}, nil, "ClusterRole/edit", 2},
		{"a ClusterRole labelled aggregate-to-view extends the built-in view", "aggregate-to-view.yaml",
			authz.Request{Verb: "list", APIGroup: "example.com", Resource: "widgets", Namespace: "shop"},
			[]string{"Group:auditors"}, nil, "ClusterRole/view", 2},
		{"view keeps its built-in rules", "aggregate-to-view.yaml",
			authz.Request{Verb: "get", Resource: "configmaps", Namespace: "shop"},
			[]string{"Group:auditors"}, nil, "ClusterRole/view", 2},
		{"view still reads no Secrets", "aggregate-to-view.yaml",
			authz.Request{Verb: "get", Resource: "secrets", Namespace: "shop"},
			nil, []string{"Group:auditors"}, "", 1},
		{"a built-in Role of kube-system", "kube-system-reader.yaml",
			authz.Request{Verb: "get", Resource: "configmaps", Name: "extension-apiserver-authentication", Namespace: "kube-system"},
			[]string{"ServiceAccount:kube-system/metrics-server"}, nil, "Role/extension-apiserver-authentication-reader", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := loadBuiltin(t, tt.file, "")
			got := rbac.PolicyOf(l.Inventory).WhoCan(tt.q)
			keys := subjectKeys(got)
			for _, w := range tt.want {
				if !slices.Contains(keys, w) {
					t.Errorf("%s is not among the subjects %v", w, keys)
				}
			}
			for _, w := range tt.wantNot {
				if slices.Contains(keys, w) {
					t.Errorf("%s is among the subjects %v", w, keys)
				}
			}
			if len(got) < tt.wantCount {
				t.Errorf("%d subjects, want at least %d: %v", len(got), tt.wantCount, keys)
			}
			if tt.wantVia != "" {
				i := slices.Index(keys, tt.want[0])
				if i < 0 || !slices.ContainsFunc(got[i].Via, func(v authz.Via) bool { return v.Role == tt.wantVia }) {
					t.Errorf("%s is not allowed through %s: %+v", tt.want[0], tt.wantVia, got)
				}
			}
		})
	}
}

// The rules that resolve role references find the built-in roles, judge the user's
// bindings to them by their rules, and report nothing on the built-in objects.
func TestRulesWithBuiltinRoles(t *testing.T) {
	tests := []struct {
		file string
		want []string // "RULE KIND/NS/NAME: part of the message"; every finding of the rules below
	}{
		{"developers-edit.yaml", []string{
			"rbac/create-workloads RoleBinding/shop/developers: to Group \"developers\": they can run a pod as ServiceAccount shop/payments (Role/payments)",
		}},
		{"kube-system-reader.yaml", []string{
			"rbac/dangling-reference ClusterRoleBinding/ghost: refers to ClusterRole/system:no-such-role, which does not exist in the scan or among the built-in roles",
		}},
		{"aggregation-controller.yaml", []string{
			"rbac/cluster-admin-equivalent ClusterRoleBinding/ops-aggregator: escalate and update on the ClusterRole \"system:controller:clusterrole-aggregation-controller\" itself",
		}},
		{"aggregate-to-view.yaml", nil},
		{"own-edit.yaml", nil},
	}
	ids := []string{"rbac/dangling-reference", "rbac/create-workloads", "rbac/cluster-admin-equivalent", "rbac/kube-system-configmaps"}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			l := loadBuiltin(t, tt.file, "")
			res := scan.NewEvaluator(scan.Options{}).Evaluate(context.Background(), l.Inventory)
			var got []finding.Finding
			for _, f := range res.Findings {
				if strings.HasPrefix(f.RuleID, "rbac/") && isBuiltinResource(l.Inventory, f.Resource) {
					t.Errorf("finding on a built-in object: %s %s: %s", f.RuleID, f.Resource, f.Message)
				}
				if slices.Contains(ids, f.RuleID) {
					got = append(got, f)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("%d findings of %v, want %d:\n%s", len(got), ids, len(tt.want), describe(got))
			}
			for _, w := range tt.want {
				prefix, part, _ := strings.Cut(w, ": ")
				if !slices.ContainsFunc(got, func(f finding.Finding) bool {
					return f.RuleID+" "+f.Resource.String() == prefix && strings.Contains(f.Message, part)
				}) {
					t.Errorf("no finding %q among:\n%s", w, describe(got))
				}
			}
		})
	}
}

func describe(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s: %s\n", f.RuleID, f.Resource, f.Message)
	}
	return b.String()
}

// isBuiltinResource reports a resource that is one of the built-in objects and not
// defined by the scanned files.
func isBuiltinResource(inv *inventory.Inventory, r finding.Resource) bool {
	if inv.Find(r.Kind, r.Namespace, r.Name) != nil {
		return false
	}
	return slices.ContainsFunc(inv.Builtin, func(o *inventory.Object) bool {
		return o.Kind() == r.Kind && o.Namespace() == r.Namespace && o.Name() == r.Name
	})
}

// Paths go through the built-in bindings but start only from the subjects the files
// name: every cluster's controllers are not the user's to fix.
func TestPathsStartFromScannedSubjects(t *testing.T) {
	l := loadBuiltin(t, "aggregation-controller.yaml", "")
	ps := paths.Find(paths.FromInventory(l.Inventory))
	var starts []string
	for _, p := range ps {
		starts = append(starts, p.Subject.String())
	}
	if !slices.Contains(starts, "Group ops") {
		t.Errorf("no path from Group ops, which holds the aggregation controller's role: %v", starts)
	}
	for _, s := range starts {
		if strings.HasPrefix(s, "ServiceAccount kube-system/") || strings.HasPrefix(s, "User system:kube-") {
			t.Errorf("a path starts from %s, a subject of the built-in bindings alone", s)
		}
	}
}

// --kube-version selects the release whose built-in objects a file scan gets; a release
// Moat does not ship gets the nearest one, and a note that says so.
func TestKubeVersionSelectsBuiltinRBAC(t *testing.T) {
	tests := []struct {
		kubeVersion string
		wantSource  string
		wantNote    string // "" none
	}{
		{"", "builtin:kubernetes-1.37", ""},
		{"1.37", "builtin:kubernetes-1.37", ""},
		{"v1.37.2", "builtin:kubernetes-1.37", ""},
		{"1.99", "builtin:kubernetes-1.37", "no built-in RBAC roles of Kubernetes 1.99; RBAC answers use those of 1.37"},
		{"1.20", "builtin:kubernetes-1.37", "no built-in RBAC roles of Kubernetes 1.20; RBAC answers use those of 1.37"},
	}
	for _, tt := range tests {
		t.Run("kube version "+tt.kubeVersion, func(t *testing.T) {
			l := loadBuiltin(t, "developers-edit.yaml", tt.kubeVersion)
			if len(l.Builtin) < 100 {
				t.Fatalf("%d built-in objects, want the bootstrap policy's", len(l.Builtin))
			}
			for _, o := range l.Builtin {
				if o.Source == nil || o.Source.File != tt.wantSource {
					t.Fatalf("built-in %s %s comes from %v, want %s", o.Kind(), o.Name(), o.Source, tt.wantSource)
				}
			}
			note := strings.Join(l.Notes, "\n")
			if (tt.wantNote == "") != (note == "") || !strings.Contains(note, tt.wantNote) {
				t.Errorf("notes %q, want %q", note, tt.wantNote)
			}
		})
	}
	if _, err := scan.Load(context.Background(), scan.Input{Paths: []string{"testdata/builtin/own-edit.yaml"}, KubeVersion: "2.1"}); err == nil || !strings.Contains(err.Error(), "--kube-version") {
		t.Errorf("kube version 2.1: error %v, want one naming --kube-version", err)
	}
}

// BenchmarkDecodeBuiltinRBAC is what every file scan adds to its load: decoding the
// built-in roles and bindings of the target release.
func BenchmarkDecodeBuiltinRBAC(b *testing.B) {
	data, v, err := kubeversion.BootstrapRBAC(kubeversion.Default)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		objs, errs := inventory.Decode(bytes.NewReader(data), kubeversion.BootstrapSource(v))
		if len(errs) > 0 || len(objs) < 100 {
			b.Fatalf("%d objects, errors %v", len(objs), errs)
		}
	}
}
