package report

import (
	"iter"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/audit/detect"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rbac/paths"
	"github.com/moat-dev/moat/internal/rule"
)

// Fixtures of the documents other than findings: what each command of Moat prints.

// rbacWorld is testdata/rbac-world.yaml: developers run the ci namespace's deployments,
// the CI deployer's service account may bind cluster-admin, monitoring scrapes /metrics.
func rbacWorld(t *testing.T) *inventory.Inventory {
	t.Helper()
	f, err := os.Open("testdata/rbac-world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs, errs := inventory.Decode(f, "testdata/rbac-world.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return inventory.NewInventory(objs)
}

// whoCanFixture is `moat rbac who-can get /debug/pprof` and `who-can list pods -n ci`:
// subjects of every kind, one of them through two bindings.
func whoCanFixture(t *testing.T) map[string][]authz.Subject {
	p := rbac.PolicyOf(rbacWorld(t))
	return map[string][]authz.Subject{
		"url":  p.WhoCan(authz.Request{Verb: "get", NonResource: true, Path: "/debug/pprof"}),
		"pods": p.WhoCan(authz.Request{Verb: "list", Resource: "pods", Namespace: "ci"}),
		"none": nil,
		"two ways": {{Kind: "User", Name: "alice", Via: []authz.Via{
			{Binding: "prometheus", Role: "ClusterRole/metrics"}, {Binding: "ci/debuggers", Role: "Role/debug"}}}},
	}
}

// canFixture is `moat rbac can`: a service account in a namespace, a member of
// system:masters (rules with no binding), and a subject with no rules.
func canFixture(t *testing.T) map[string][]authz.GrantedRule {
	p := rbac.PolicyOf(rbacWorld(t))
	return map[string][]authz.GrantedRule{
		"deployer":  p.RulesFor(authz.ServiceAccountUser("ci", "deployer"), authz.ServiceAccountGroups("ci"), "ci"),
		"developer": p.RulesFor("bob", []string{"developers", authz.GroupAuthenticated}, "ci"),
		"masters":   p.RulesFor("root", []string{authz.GroupMasters}, ""),
		"nobody":    p.RulesFor("nobody", nil, ""),
	}
}

func pathsFixture(t *testing.T) []paths.Path {
	return paths.Find(paths.FromInventory(rbacWorld(t)))
}

// connsFixture is a few connections: within a namespace, across namespaces, to an outside
// range, on all ports and on some.
func connsFixture() []reach.Connection {
	web := reach.Endpoint{Namespace: "shop", Kind: "Deployment", Name: "web"}
	api := reach.Endpoint{Namespace: "shop", Kind: "Deployment", Name: "api"}
	dns := reach.Endpoint{Namespace: "kube-system", Kind: "Deployment", Name: "coredns"}
	db := reach.Endpoint{Namespace: "shop", Kind: "StatefulSet", Name: "db"}
	out := reach.Endpoint{IPBlock: "203.0.113.0/24"}
	return []reach.Connection{
		{Src: web, Dst: api, Ports: reach.Port(reach.TCP, 8080)},
		{Src: api, Dst: db, Ports: reach.Port(reach.TCP, 5432)},
		{Src: api, Dst: dns, Ports: reach.Port(reach.TCP, 53).Union(reach.Port(reach.UDP, 53))},
		{Src: api, Dst: out, Ports: reach.PortRange(reach.TCP, 443, 444)},
		{Src: dns, Dst: out, Ports: reach.AllPorts()},
	}
}

func connSeq(cs []reach.Connection) iter.Seq[reach.Connection] { return slices.Values(cs) }

func rulesFixture() []*rule.Rule {
	var rules []*rule.Rule
	for _, m := range []rule.Meta{runAsNonRoot, privileged, hostPath, clusterAdmin, noNetpol, latestTag} {
		rules = append(rules, &rule.Rule{Meta: m})
	}
	rules[1].Frameworks.PSS = "baseline/privileged"
	return rules
}

func detectionRulesFixture() []*detect.Rule {
	return []*detect.Rule{
		{ID: "k8s/exec-into-pod", Title: "Exec into a pod", Desc: "Someone opened a shell in a running container.",
			Severity: finding.Medium, MITRE: []string{"T1609"}, Condition: `verb == "create" and resource == "pods/exec"`,
			File: "<default>/exec.yaml", Line: 3},
		{ID: "k8s/binding-cluster-admin", Title: "Binding to cluster-admin created", Desc: "A binding grants cluster-admin.",
			Severity: finding.Critical, MITRE: []string{"T1078", "T1098"}, Condition: `binding_role == "cluster-admin"`,
			File: "rules/rbac.yaml", Line: 12},
		{ID: "mine/no-mitre", Title: "<not HTML> & \"quoted\"", Severity: finding.Low, File: "mine.yaml", Line: 1},
	}
}

var alertTime = time.Date(2026, 11, 23, 9, 30, 15, 0, time.FixedZone("CET", 3600))

func alertsFixture() []audit.Alert {
	return []audit.Alert{
		{Time: alertTime, Rule: "k8s/exec-into-pod", Title: "Exec into a pod", Severity: finding.Medium,
			Message: "alice opened a shell in shop/cart-7d9f (container <app>)", User: "alice", Groups: []string{"dev"},
			SourceIPs: []string{"10.0.0.7"}, Verb: "create",
			Object:  &audit.ObjectRef{Resource: "pods", Subresource: "exec", Namespace: "shop", Name: "cart-7d9f"},
			AuditID: "a1b2", Stage: "ResponseComplete", MITRE: []string{"T1609"}},
		{Time: alertTime.Add(time.Minute), Rule: "k8s/binding-cluster-admin", Title: "Binding to cluster-admin created",
			Severity: finding.Critical, Message: "system:serviceaccount:ci:deployer bound cluster-admin to ci/deployer",
			User: "system:serviceaccount:ci:deployer", Verb: "create", Code: 201, AuditID: "c3d4", Stage: "ResponseComplete"},
	}
}
