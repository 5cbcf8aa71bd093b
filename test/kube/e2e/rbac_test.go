package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// rbacWorldLabel marks the objects the oracle test generates.
const rbacWorldLabel = "moat.test/world"

// question is one access question, in the JSON shape `moat rbac check --questions`
// reads (the fields of Moat's authz.Request).
type question struct {
	User        string   `json:"user,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	Verb        string   `json:"verb"`
	APIGroup    string   `json:"apiGroup,omitempty"`
	Resource    string   `json:"resource,omitempty"`
	Subresource string   `json:"subresource,omitempty"`
	Name        string   `json:"name,omitempty"`
	Namespace   string   `json:"namespace,omitempty"`
	NonResource bool     `json:"nonResource,omitempty"`
	Path        string   `json:"path,omitempty"`
}

type answer struct {
	Allowed bool            `json:"allowed"`
	Via     json.RawMessage `json:"via,omitempty"`
}

// TestRBACMatchesAuthorizer is Moat's RBAC oracle: it generates a random RBAC world
// (wildcards, subresources, "*/sub", resourceNames, non-resource URLs with "*" suffixes,
// aggregated ClusterRoles, bindings to missing roles and to the built-in ClusterRoles
// and kube-system Roles, users, groups and service accounts across namespaces, the
// bootstrap policy's own users and groups among them), applies it to a real API server
// whose controller manager aggregates ClusterRoles, and asks the same random questions
// of the API server (SubjectAccessReview) and of `moat rbac check`, which reads the
// generated world alone from a file: the bootstrap policy is Moat's built-in data of the
// pinned release. Any disagreement fails the test and prints the question, both
// answers and the generated world.
func TestRBACMatchesAuthorizer(t *testing.T) {
	// A fixed seed keeps runs reproducible; MOAT_RBAC_SEED=N replays another world and
	// MOAT_RBAC_SEED=random draws a new one.
	seed := uint64(20261123)
	switch s := os.Getenv("MOAT_RBAC_SEED"); s {
	case "":
	case "random":
		seed = uint64(time.Now().UnixNano())
	default:
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("MOAT_RBAC_SEED=%s: %v", s, err)
		}
	}
	const nQuestions = 1500
	t.Logf("seed %d (rerun with MOAT_RBAC_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	c := kubetest.Start(t, kubetest.WithControllerManager("clusterrole-aggregation-controller"))
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	w := genWorld(rng)
	applyWorld(t, ctx, cs, w)
	waitAggregated(t, ctx, cs, w)

	// The file Moat reads: the generated world as written (aggregated roles without
	// their aggregated rules). The built-in roles and bindings it refers to are not in
	// it: Moat knows them for the release it targets.
	items := w.objects()
	if n := len(bootstrapPolicy(t, ctx, cs)); n < 50 {
		t.Fatalf("only %d RBAC objects that the world did not make", n)
	}
	dir := t.TempDir()
	worldFile := filepath.Join(dir, "world.json")
	writeJSON(t, worldFile, map[string]any{"apiVersion": "v1", "kind": "List", "items": items})

	qs := make([]question, nQuestions)
	for i := range qs {
		qs[i] = genQuestion(rng, w)
	}
	qFile := filepath.Join(dir, "questions.json")
	writeJSON(t, qFile, qs)

	tool(t, "moat") // built before the clock starts
	start := time.Now()
	r := moat(t, "rbac", "check", "--questions", qFile, worldFile)
	if r.code != 0 {
		t.Fatalf("moat rbac check: exit %d\n%s", r.code, r.stderr)
	}
	var got []answer
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != len(qs) {
		t.Fatalf("moat rbac check: %d answers for %d questions (%v)\n%s", len(got), len(qs), err, r.stdout)
	}
	moatTime := time.Since(start)

	start = time.Now()
	want := sarAnswers(t, ctx, cs, qs)
	t.Logf("%d questions: moat %s (one process), API server %s; %d allowed", len(qs), moatTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), count(want))
	builtinAllowed := 0
	for i := range qs {
		if got[i].Allowed && viaBuiltin(got[i].Via) {
			builtinAllowed++
		}
	}
	t.Logf("%d questions allowed through a built-in role or binding that the world's file does not hold", builtinAllowed)
	if builtinAllowed < len(qs)/50 {
		t.Errorf("only %d questions allowed through built-in roles: the generator does not exercise them", builtinAllowed)
	}

	var bad int
	for i, q := range qs {
		if got[i].Allowed == want[i] {
			continue
		}
		bad++
		if bad <= 10 {
			qj, _ := json.Marshal(q)
			t.Errorf("question %d %s: API server allowed=%v, moat allowed=%v (via %s)", i, qj, want[i], got[i].Allowed, got[i].Via)
		}
	}
	if bad > 0 {
		world, _ := json.MarshalIndent(w.objects(), "", "  ")
		t.Fatalf("%d of %d questions disagree (seed %d); the generated world:\n%s", bad, len(qs), seed, world)
	}
	if n := count(want); n < len(qs)/20 || n > len(qs)*19/20 {
		t.Errorf("%d of %d questions allowed: the generator asks too one-sided questions", n, len(qs))
	}

	// who-can from the live cluster (aggregated rules as the controller wrote them)
	// answers as who-can from the file (aggregation computed by Moat).
	kc := kubeconfigFor(t, c.RESTConfig())
	for _, args := range [][]string{
		{"get", "secrets", "-n", "ns-a"},
		{"create", "pods/exec", "-n", "ns-b"},
		{"list", "deployments.apps"},
		{"get", "/metrics"},
		{"update", "widgets.example.com", "--name", "alpha", "-n", "ns-c"},
		{"get", "configmaps", "--name", "extension-apiserver-authentication", "-n", "kube-system"},
		{"update", "leases.coordination.k8s.io", "-n", "kube-system"},
	} {
		file := whoCan(t, append(args, worldFile)...)
		live := whoCan(t, append(args, "--cluster", "--kubeconfig", kc)...)
		if file != live {
			t.Errorf("who-can %s: from the file\n%s\nfrom the cluster\n%s", strings.Join(args, " "), file, live)
		}
	}
}

// TestRBACPathsLive runs `moat rbac paths --cluster` on a fresh API server: its
// bootstrap policy holds a known escalation (the ClusterRole aggregation controller may
// escalate and update every ClusterRole, its own included), which must be found.
func TestRBACPathsLive(t *testing.T) {
	c := kubetest.Start(t)
	kc := kubeconfigFor(t, c.RESTConfig())
	r := moat(t, "rbac", "paths", "--cluster", "--kubeconfig", kc, "-o", "json")
	if r.code != 0 {
		t.Fatalf("moat rbac paths --cluster: exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Paths []struct {
			Subject struct{ Kind, Name, Namespace string }
			Goal    string
			Steps   []struct{ Primitive string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	found := false
	for _, p := range doc.Paths {
		if p.Subject.Kind == "ServiceAccount" && p.Subject.Namespace == "kube-system" && p.Subject.Name == "clusterrole-aggregation-controller" &&
			p.Goal == "cluster-admin" && len(p.Steps) == 1 && p.Steps[0].Primitive == "rbac/escalate-verb" {
			found = true
		}
	}
	if !found {
		t.Errorf("no escalate path from kube-system/clusterrole-aggregation-controller among %d paths:\n%s", len(doc.Paths), r.stdout)
	}
	t.Logf("%d paths in the bootstrap policy, in %s", len(doc.Paths), r.wall.Round(time.Millisecond))
}

// viaBuiltin reports an answer of `moat rbac check` allowed through a role or binding
// of the bootstrap policy: its names are the built-in ones.
func viaBuiltin(via json.RawMessage) bool {
	var v struct{ Binding, Role string }
	if json.Unmarshal(via, &v) != nil {
		return false
	}
	name := strings.TrimPrefix(strings.TrimPrefix(v.Role, "ClusterRole/"), "Role/")
	return slices.Contains(builtinClusterRoles, name) || slices.Contains(builtinKubeSystemRoles, name) ||
		strings.HasPrefix(v.Binding, "system:") || strings.HasPrefix(v.Binding, "kube-system/system:") || strings.HasPrefix(v.Binding, "kube-public/system:")
}

// whoCan runs `moat rbac who-can ARGS -o json` and returns its subjects, one a line
// with their bindings sorted.
func whoCan(t *testing.T, args ...string) string {
	t.Helper()
	r := moat(t, append(append([]string{"rbac", "who-can"}, args...), "-o", "json")...)
	if r.code != 0 {
		t.Fatalf("moat rbac who-can %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	var doc struct {
		Subjects []struct {
			Kind, Name, Namespace string
			Via                   []struct{ Binding, Role string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("moat rbac who-can: %v\n%s", err, r.stdout)
	}
	var lines []string
	for _, s := range doc.Subjects {
		var via []string
		for _, v := range s.Via {
			via = append(via, v.Binding+"→"+v.Role)
		}
		slices.Sort(via)
		lines = append(lines, fmt.Sprintf("%s %s/%s via %s", s.Kind, s.Namespace, s.Name, strings.Join(via, ", ")))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// world is a generated RBAC world.
type world struct {
	namespaces      []string
	serviceAccounts []corev1.ServiceAccount
	clusterRoles    []rbacv1.ClusterRole
	roles           []rbacv1.Role
	crbs            []rbacv1.ClusterRoleBinding
	rbs             []rbacv1.RoleBinding
	aggregated      []string
}

func (w *world) objects() []runtime.Object {
	var out []runtime.Object
	for _, ns := range w.namespaces {
		out = append(out, &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}
	for i := range w.serviceAccounts {
		out = append(out, &w.serviceAccounts[i])
	}
	for i := range w.clusterRoles {
		out = append(out, &w.clusterRoles[i])
	}
	for i := range w.roles {
		out = append(out, &w.roles[i])
	}
	for i := range w.crbs {
		out = append(out, &w.crbs[i])
	}
	for i := range w.rbs {
		out = append(out, &w.rbs[i])
	}
	return out
}

// The pools the generator draws from. They overlap on purpose, so that questions hit
// rules often enough, and hold the cases the authorizer treats specially.
var (
	genNamespaces = []string{"ns-a", "ns-b", "ns-c", "ns-d", "ns-e", "ns-f"}
	// genBuiltinNamespaces hold built-in Roles; the world binds them but creates none.
	genBuiltinNamespaces = []string{"kube-system", "kube-public"}
	genSAs               = []string{"default", "sa0", "sa1", "builder"}
	genUsers             = []string{"alice", "bob", "carol", "dave", "system:anonymous", "system:serviceaccount:ns-a:sa0",
		"system:kube-controller-manager", "system:kube-scheduler", "system:serviceaccount:kube-system:bootstrap-signer"}
	genGroups = []string{"dev", "ops", "audit", "system:authenticated", "system:unauthenticated", "system:serviceaccounts", "system:serviceaccounts:ns-b",
		"system:nodes", "system:bootstrappers", "system:monitoring"}
	// builtinClusterRoles and builtinKubeSystemRoles are roles of the bootstrap policy
	// the world binds without defining them (and a system: name no release has).
	builtinClusterRoles = []string{"admin", "edit", "view", "cluster-admin", "system:discovery", "system:basic-user", "system:node",
		"system:controller:clusterrole-aggregation-controller", "system:aggregate-to-edit", "system:kube-scheduler",
		"system:auth-delegator", "system:monitoring", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", "system:no-such-role"}
	builtinKubeSystemRoles = []string{"extension-apiserver-authentication-reader", "system::leader-locking-kube-controller-manager",
		"system::leader-locking-kube-scheduler", "system:controller:bootstrap-signer", "system:controller:token-cleaner", "system:controller:cloud-provider"}
	genVerbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "use"}
	genAPIGroups = []string{"", "apps", "batch", "rbac.authorization.k8s.io", "example.com", "coordination.k8s.io"}
	genResources = []string{"leases", "endpoints", "pods", "pods/exec", "pods/log", "pods/status", "secrets", "configmaps", "services", "services/status", "deployments", "deployments/scale", "deployments/status", "jobs", "roles", "clusterroles", "widgets", "widgets/status", "users", "nodes", "namespaces"}
	genRuleRes   = append(slices.Clone(genResources), "*", "*/status", "*/scale", "*/exec")
	genNames     = []string{"alpha", "beta", "gamma"}
	genURLs      = []string{"/metrics", "/healthz", "/healthz/*", "/logs*", "/api", "/custom/path", "/apis/*", "*"}
	genPaths     = []string{"/metrics", "/metrics/x", "/healthz", "/healthz/etcd", "/healthzz", "/logs", "/logs/kube", "/api", "/api/v1", "/apis", "/apis/apps", "/custom/path", "/custom", "/version", "/livez", "/openapi/v2"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func pickN[T any](rng *rand.Rand, xs []T, n int) []T {
	out := make([]T, 0, n)
	for _, i := range rng.Perm(len(xs))[:min(n, len(xs))] {
		out = append(out, xs[i])
	}
	return out
}

func genRule(rng *rand.Rand, clusterRole bool) rbacv1.PolicyRule {
	if clusterRole && rng.IntN(6) == 0 {
		verbs := pickN(rng, []string{"get", "post", "put", "delete", "*"}, 1+rng.IntN(2))
		return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: pickN(rng, genURLs, 1+rng.IntN(2))}
	}
	r := rbacv1.PolicyRule{}
	if rng.IntN(8) == 0 {
		r.Verbs = []string{"*"}
	} else {
		r.Verbs = pickN(rng, genVerbs, 1+rng.IntN(4))
	}
	if rng.IntN(8) == 0 {
		r.APIGroups = []string{"*"}
	} else {
		r.APIGroups = pickN(rng, genAPIGroups, 1+rng.IntN(2))
	}
	if rng.IntN(10) == 0 {
		r.Resources = []string{"*"}
	} else {
		r.Resources = pickN(rng, genRuleRes, 1+rng.IntN(4))
	}
	if rng.IntN(4) == 0 {
		r.ResourceNames = pickN(rng, genNames, 1+rng.IntN(2))
	}
	return r
}

func genRules(rng *rand.Rand, clusterRole bool) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, 1+rng.IntN(3))
	for i := range out {
		out[i] = genRule(rng, clusterRole)
	}
	return out
}

func worldMeta(name, ns string, labels map[string]string) metav1.ObjectMeta {
	l := map[string]string{rbacWorldLabel: "1"}
	for k, v := range labels {
		l[k] = v
	}
	return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: l}
}

// genWorld makes 6 namespaces, 4 service accounts in each (default included), 24
// ClusterRoles (4 of them aggregated, one of those through another), 16 Roles, 20
// ClusterRoleBindings and 48 RoleBindings (8 in kube-system or kube-public). About a
// quarter of the bindings refer to built-in roles the world does not define.
func genWorld(rng *rand.Rand) *world {
	w := &world{namespaces: genNamespaces}
	for _, ns := range genNamespaces {
		for _, sa := range genSAs {
			w.serviceAccounts = append(w.serviceAccounts, corev1.ServiceAccount{
				TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: worldMeta(sa, ns, nil)})
		}
	}
	crTM := metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}
	tiers := []string{"x", "y", "z"}
	for i := range 20 {
		var labels map[string]string
		if rng.IntN(2) == 0 {
			labels = map[string]string{"moat.test/agg": pick(rng, tiers)}
		}
		w.clusterRoles = append(w.clusterRoles, rbacv1.ClusterRole{TypeMeta: crTM, ObjectMeta: worldMeta(fmt.Sprintf("cr-%d", i), "", labels), Rules: genRules(rng, true)})
	}
	// Make sure every tier is selected by something.
	for i, tier := range tiers {
		w.clusterRoles[i].Labels["moat.test/agg"] = tier
	}
	aggs := []struct {
		name   string
		labels map[string]string
		sel    []metav1.LabelSelector
	}{
		{"agg-x", map[string]string{"moat.test/agg-top": "true"}, []metav1.LabelSelector{{MatchLabels: map[string]string{"moat.test/agg": "x"}}}},
		{"agg-xy", nil, []metav1.LabelSelector{
			{MatchLabels: map[string]string{"moat.test/agg": "x"}},
			{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "moat.test/agg", Operator: metav1.LabelSelectorOpIn, Values: []string{"y"}}}}}},
		{"agg-z", nil, []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "moat.test/agg", Operator: metav1.LabelSelectorOpIn, Values: []string{"z"}}}}}},
		{"agg-top", nil, []metav1.LabelSelector{{MatchLabels: map[string]string{"moat.test/agg-top": "true"}}, {MatchLabels: map[string]string{"moat.test/agg": "y"}}}},
	}
	for _, a := range aggs {
		cr := rbacv1.ClusterRole{TypeMeta: crTM, ObjectMeta: worldMeta(a.name, "", a.labels), AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: a.sel}}
		if rng.IntN(2) == 0 {
			cr.Rules = genRules(rng, true) // written, then replaced by the controller
		}
		w.clusterRoles = append(w.clusterRoles, cr)
		w.aggregated = append(w.aggregated, a.name)
	}
	roleNames := map[string][]string{}
	for i := range 16 {
		ns := pick(rng, genNamespaces)
		name := fmt.Sprintf("role-%d", i)
		roleNames[ns] = append(roleNames[ns], name)
		w.roles = append(w.roles, rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
			ObjectMeta: worldMeta(name, ns, nil), Rules: genRules(rng, false)})
	}
	subjects := func(ns string) []rbacv1.Subject {
		out := make([]rbacv1.Subject, 1+rng.IntN(3))
		for i := range out {
			switch rng.IntN(3) {
			case 0:
				out[i] = rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: pick(rng, genUsers)}
			case 1:
				out[i] = rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: pick(rng, genGroups)}
			default:
				sans := pick(rng, genNamespaces)
				if ns != "" && rng.IntN(2) == 0 {
					sans = "" // the RoleBinding's own namespace
				}
				out[i] = rbacv1.Subject{Kind: "ServiceAccount", Name: pick(rng, genSAs), Namespace: sans}
			}
		}
		return out
	}
	clusterRoleRef := func() rbacv1.RoleRef {
		name := pick(rng, w.clusterRoles).Name
		if rng.IntN(10) == 0 {
			name = "ghost-role" // missing: grants nothing
		} else if rng.IntN(4) == 0 {
			name = pick(rng, builtinClusterRoles) // built in, not in the world's file
		}
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}
	}
	for i := range 20 {
		w.crbs = append(w.crbs, rbacv1.ClusterRoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: worldMeta(fmt.Sprintf("crb-%d", i), "", nil), RoleRef: clusterRoleRef(), Subjects: subjects("")})
	}
	for i := range 48 {
		ns := pick(rng, genNamespaces)
		if i%6 == 0 {
			ns = pick(rng, genBuiltinNamespaces)
		}
		ref := clusterRoleRef()
		if rng.IntN(2) == 0 {
			ref.Kind = "Role"
			switch names := roleNames[ns]; {
			case slices.Contains(genBuiltinNamespaces, ns) || rng.IntN(10) == 0:
				ref.Name = pick(rng, builtinKubeSystemRoles) // built in (in kube-system, some in kube-public)
			case len(names) > 0 && rng.IntN(6) != 0:
				ref.Name = pick(rng, names)
			default:
				ref.Name = fmt.Sprintf("role-%d", rng.IntN(16)) // probably in another namespace
			}
		}
		w.rbs = append(w.rbs, rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: worldMeta(fmt.Sprintf("rb-%d", i), ns, nil), RoleRef: ref, Subjects: subjects(ns)})
	}
	return w
}

func genQuestion(rng *rand.Rand, w *world) question {
	var q question
	switch rng.IntN(12) {
	case 10, 11:
		// Someone only the bootstrap policy grants anything: its answers come from
		// Moat's built-in data alone.
		switch rng.IntN(3) {
		case 0:
			sa := pick(rng, []string{"namespace-controller", "generic-garbage-collector", "deployment-controller", "bootstrap-signer", "token-cleaner"})
			q.User, q.Groups = "system:serviceaccount:kube-system:"+sa, []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}
		case 1:
			q.User, q.Groups = pick(rng, []string{"system:kube-controller-manager", "system:kube-scheduler", "system:kube-proxy", "system:volume-scheduler"}), []string{"system:authenticated"}
		default:
			// Not a node's identity: the API server's Node authorizer, which Moat does not
			// model, answers those before RBAC.
			q.User, q.Groups = "scraper", []string{pick(rng, []string{"system:monitoring", "system:bootstrappers:kubeadm:default-node-token"}), "system:authenticated"}
		}
	case 0, 1, 2, 3:
		ns := pick(rng, genNamespaces)
		q.User = "system:serviceaccount:" + ns + ":" + pick(rng, genSAs)
		q.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	case 4:
		q.User, q.Groups = "system:anonymous", []string{"system:unauthenticated"}
	default:
		q.User = pick(rng, genUsers)
		q.Groups = append(pickN(rng, genGroups[:3], rng.IntN(3)), "system:authenticated")
	}
	if rng.IntN(40) == 0 {
		q.Groups = append(q.Groups, "system:masters")
	}
	if rng.IntN(7) == 0 {
		q.NonResource, q.Path = true, pick(rng, genPaths)
		q.Verb = pick(rng, []string{"get", "post", "put", "delete"})
		return q
	}
	q.Verb = pick(rng, genVerbs)
	q.APIGroup = pick(rng, genAPIGroups)
	res := pick(rng, genResources)
	q.Resource, q.Subresource, _ = strings.Cut(res, "/")
	if rng.IntN(2) == 0 {
		q.Name = pick(rng, genNames)
	}
	switch rng.IntN(6) {
	case 0:
		// cluster-wide
	case 1:
		q.Namespace = "ns-z" // no bindings there
	case 2:
		q.Namespace = pick(rng, genBuiltinNamespaces)
	default:
		q.Namespace = pick(rng, genNamespaces)
	}
	return q
}

func applyWorld(t *testing.T, ctx context.Context, cs kubernetes.Interface, w *world) {
	t.Helper()
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("create %s: %v", what, err)
		}
	}
	co := metav1.CreateOptions{}
	for _, ns := range w.namespaces {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, co)
		must(ns, err)
	}
	for _, sa := range w.serviceAccounts {
		_, err := cs.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, &sa, co)
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			must(sa.Name, err)
		}
	}
	for _, r := range w.clusterRoles {
		_, err := cs.RbacV1().ClusterRoles().Create(ctx, &r, co)
		must(r.Name, err)
	}
	for _, r := range w.roles {
		_, err := cs.RbacV1().Roles(r.Namespace).Create(ctx, &r, co)
		must(r.Name, err)
	}
	for _, b := range w.crbs {
		_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &b, co)
		must(b.Name, err)
	}
	for _, b := range w.rbs {
		_, err := cs.RbacV1().RoleBindings(b.Namespace).Create(ctx, &b, co)
		must(b.Name, err)
	}
}

// waitAggregated waits until the controller manager has filled the aggregated
// ClusterRoles and their rules have stopped changing for two seconds.
func waitAggregated(t *testing.T, ctx context.Context, cs kubernetes.Interface, w *world) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last map[string][]rbacv1.PolicyRule
	stableSince := time.Now()
	for time.Now().Before(deadline) {
		cur := map[string][]rbacv1.PolicyRule{}
		for _, name := range append(slices.Clone(w.aggregated), "view", "edit", "admin") {
			r, err := cs.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cur[name] = r.Rules
		}
		if !reflect.DeepEqual(cur, last) {
			last, stableSince = cur, time.Now()
		} else if time.Since(stableSince) > 2*time.Second {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatal("aggregated ClusterRoles did not settle in 60s")
}

// bootstrapPolicy reads the RBAC objects of the API server that the test did not make.
func bootstrapPolicy(t *testing.T, ctx context.Context, cs kubernetes.Interface) []runtime.Object {
	t.Helper()
	lo := metav1.ListOptions{LabelSelector: "!" + rbacWorldLabel}
	var out []runtime.Object
	crs, err1 := cs.RbacV1().ClusterRoles().List(ctx, lo)
	crbs, err2 := cs.RbacV1().ClusterRoleBindings().List(ctx, lo)
	roles, err3 := cs.RbacV1().Roles("").List(ctx, lo)
	rbs, err4 := cs.RbacV1().RoleBindings("").List(ctx, lo)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			t.Fatal(err)
		}
	}
	clean := func(m *metav1.ObjectMeta) { m.ManagedFields, m.ResourceVersion, m.UID = nil, "", "" }
	for i := range crs.Items {
		o := &crs.Items[i]
		o.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}
		clean(&o.ObjectMeta)
		out = append(out, o)
	}
	for i := range crbs.Items {
		o := &crbs.Items[i]
		o.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"}
		clean(&o.ObjectMeta)
		out = append(out, o)
	}
	for i := range roles.Items {
		o := &roles.Items[i]
		o.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}
		clean(&o.ObjectMeta)
		out = append(out, o)
	}
	for i := range rbs.Items {
		o := &rbs.Items[i]
		o.TypeMeta = metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}
		clean(&o.ObjectMeta)
		out = append(out, o)
	}
	if len(out) < 50 {
		t.Fatalf("only %d bootstrap RBAC objects", len(out))
	}
	return out
}

// sarAnswers asks the API server every question with SubjectAccessReviews, four at a time.
func sarAnswers(t *testing.T, ctx context.Context, cs kubernetes.Interface, qs []question) []bool {
	t.Helper()
	out := make([]bool, len(qs))
	errs := make([]error, len(qs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range work {
				q := qs[i]
				sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{User: q.User, Groups: q.Groups}}
				if q.NonResource {
					sar.Spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Path: q.Path, Verb: q.Verb}
				} else {
					sar.Spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: q.Namespace, Verb: q.Verb, Group: q.APIGroup,
						Resource: q.Resource, Subresource: q.Subresource, Name: q.Name}
				}
				res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
				if err != nil {
					errs[i] = err
					continue
				}
				out[i] = res.Status.Allowed
			}
		})
	}
	for i := range qs {
		work <- i
	}
	close(work)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("SubjectAccessReview %d: %v", i, err)
		}
	}
	return out
}
