package reach

import (
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/moat-dev/moat/internal/inventory"
)

// worldWithAdmin is the upstream world plus admin policies written as YAML.
func worldWithAdmin(t *testing.T, w world, adminYAML string) *Analysis {
	t.Helper()
	inv := w.inventory()
	if adminYAML != "" {
		objs, errs := inventory.Decode(strings.NewReader(adminYAML), "admin.yaml")
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		inv.Add(objs...)
	}
	m := FromInventory(inv)
	if len(m.Warnings) > 0 {
		t.Fatal(m.Warnings)
	}
	return Analyze(m, Options{})
}

func checkMatrix(t *testing.T, a *Analysis, pods []string, proto Protocol, port int32, matrix string) {
	t.Helper()
	_, want := parseMatrix(t, matrix)
	for _, s := range pods {
		for _, d := range pods {
			cell := want[[2]string{short(s), short(d)}]
			if cell == '-' {
				continue
			}
			got := a.Ports(a.Index(endpointOf(s)), a.Index(endpointOf(d))).Has(proto, port)
			if got != (cell == 'X') {
				t.Errorf("%s/%d %s→%s: allowed=%v, want %v", proto, port, s, d, got, cell == 'X')
			}
		}
	}
}

const anpHeader = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
const banpHeader = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n"

// The precedence of AdminNetworkPolicy (by priority; Allow and Deny decide, Pass hands
// over), NetworkPolicy, and BaselineAdminNetworkPolicy, after the network-policy-api
// conformance scenarios.
func TestAdminPrecedence(t *testing.T) {
	pods := []string{"x/a", "x/b", "y/a"}
	denyXFromY := anpHeader + `metadata: {name: deny-y-to-x}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - name: deny-from-y
    action: Deny
    from: [{namespaces: {matchLabels: {ns: "y"}}}]
`
	tests := []struct {
		name     string
		admin    string
		policies []*networkingv1.NetworkPolicy
		proto    Protocol
		port     int32
		want     string
	}{
		{"an ANP Deny wins over a NetworkPolicy that allows", denyXFromY,
			[]*networkingv1.NetworkPolicy{netpol("x", "allow-all", all, ingress(networkingv1.NetworkPolicyIngressRule{}))}, TCP, 80, `
			   xa xb ya
			xa -  X  X
			xb X  -  X
			ya .  .  -`},
		{"a lower priority number is evaluated first: Allow at 10 beats Deny at 20", denyXFromY + "---\n" + anpHeader + `metadata: {name: allow-y-to-xa}
spec:
  priority: 10
  subject: {pods: {namespaceSelector: {matchLabels: {ns: x}}, podSelector: {matchLabels: {pod: a}}}}
  ingress:
  - action: Allow
    from: [{pods: {namespaceSelector: {matchLabels: {ns: "y"}}, podSelector: {}}}]
`, nil, TCP, 80, `
			   xa xb ya
			xa -  X  X
			xb X  -  X
			ya X  .  -`},
		{"within a policy the first matching rule decides", anpHeader + `metadata: {name: ordered}
spec:
  priority: 5
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - action: Allow
    from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: a}}}}]
  - action: Deny
    from: [{namespaces: {}}]
`, nil, TCP, 80, `
			   xa xb ya
			xa -  X  X
			xb .  -  X
			ya X  X  -`},
		{"Pass hands the traffic to the NetworkPolicies, which deny it", anpHeader + `metadata: {name: pass-y}
spec:
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - action: Pass
    from: [{namespaces: {matchLabels: {ns: "y"}}}]
  - action: Allow
    from: [{namespaces: {}}]
`, []*networkingv1.NetworkPolicy{netpol("x", "only-same-ns", all, ingress(from(peer(nil, sel(all)))))}, TCP, 80, `
			   xa xb ya
			xa -  X  X
			xb X  -  X
			ya .  .  -`},
		{"Pass with no NetworkPolicy falls to the baseline, which denies", anpHeader + `metadata: {name: pass-y}
spec:
  priority: 1
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - action: Pass
    from: [{namespaces: {matchLabels: {ns: "y"}}}]
---
` + banpHeader + `metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from: [{namespaces: {matchLabels: {ns: "y"}}}]
`, nil, TCP, 80, `
			   xa xb ya
			xa -  X  X
			xb X  -  X
			ya .  .  -`},
		{"a NetworkPolicy that isolates the pod overrides the baseline", banpHeader + `metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from: [{namespaces: {}}]
`, []*networkingv1.NetworkPolicy{netpol("x", "allow-y-to-a", podA, ingress(from(peer(sel(nsIsY), nil))))}, TCP, 80, `
			   xa xb ya
			xa -  .  .
			xb .  -  .
			ya X  .  -`},
		{"an ANP rule applies only on its ports: TCP/80 denied, TCP/81 still allowed", anpHeader + `metadata: {name: deny-80}
spec:
  priority: 3
  subject: {namespaces: {matchLabels: {ns: "y"}}}
  egress:
  - action: Deny
    to: [{namespaces: {}}]
    ports: [{portNumber: {protocol: TCP, port: 80}}]
`, nil, TCP, 81, allXaXbYa},
		{"an ANP egress Deny on port 80 blocks y/a", anpHeader + `metadata: {name: deny-80}
spec:
  priority: 3
  subject: {namespaces: {matchLabels: {ns: "y"}}}
  egress:
  - action: Deny
    to: [{namespaces: {}}]
    ports: [{portRange: {protocol: TCP, start: 79, end: 80}}]
`, nil, TCP, 80, `
			   xa xb ya
			xa -  X  X
			xb X  -  X
			ya .  .  -`},
		{"a namedPort matches the destination's container port", anpHeader + `metadata: {name: deny-named}
spec:
  priority: 3
  subject: {namespaces: {}}
  egress:
  - action: Deny
    to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {pod: b}}}}]
    ports: [{namedPort: serve-80-tcp}]
`, nil, TCP, 80, `
			   xa xb ya
			xa -  .  X
			xb X  -  X
			ya X  .  -`},
		{"an egress networks peer matches pod IPs", anpHeader + `metadata: {name: deny-net}
spec:
  priority: 3
  subject: {namespaces: {matchLabels: {ns: x}}}
  egress:
  - action: Deny
    to: [{networks: ["10.2.0.0/16"]}]
`, nil, TCP, 80, `
			   xa xb ya
			xa -  X  .
			xb X  -  .
			ya X  X  -`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := world{pods: pods, protocols: tcpOnlyProto, ports: []int32{80, 81}, policies: tt.policies}
			a := worldWithAdmin(t, w, tt.admin)
			checkMatrix(t, a, pods, tt.proto, tt.port, tt.want)
		})
	}
}

func TestAdminParseErrors(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"no priority", `{"metadata":{"name":"p"},"spec":{"subject":{"namespaces":{}}}}`},
		{"priority out of range", `{"spec":{"priority":1001,"subject":{"namespaces":{}}}}`},
		{"no subject", `{"spec":{"priority":1}}`},
		{"both subjects", `{"spec":{"priority":1,"subject":{"namespaces":{},"pods":{}}}}`},
		{"unknown action", `{"spec":{"priority":1,"subject":{"namespaces":{}},"ingress":[{"action":"Drop","from":[{"namespaces":{}}]}]}}`},
		{"no peers", `{"spec":{"priority":1,"subject":{"namespaces":{}},"ingress":[{"action":"Allow","from":[]}]}}`},
		{"two kinds in one peer", `{"spec":{"priority":1,"subject":{"namespaces":{}},"egress":[{"action":"Allow","to":[{"namespaces":{},"networks":["10.0.0.0/8"]}]}]}}`},
		{"networks in ingress", `{"spec":{"priority":1,"subject":{"namespaces":{}},"ingress":[{"action":"Allow","from":[{"networks":["10.0.0.0/8"]}]}]}}`},
		{"bad CIDR", `{"spec":{"priority":1,"subject":{"namespaces":{}},"egress":[{"action":"Allow","to":[{"networks":["10.0.0.0/33"]}]}]}}`},
		{"bad port", `{"spec":{"priority":1,"subject":{"namespaces":{}},"egress":[{"action":"Allow","to":[{"namespaces":{}}],"ports":[{"portNumber":{"protocol":"TCP","port":0}}]}]}}`},
		{"reversed range", `{"spec":{"priority":1,"subject":{"namespaces":{}},"egress":[{"action":"Allow","to":[{"namespaces":{}}],"ports":[{"portRange":{"protocol":"TCP","start":90,"end":80}}]}]}}`},
		{"bad selector", `{"spec":{"priority":1,"subject":{"namespaces":{"matchExpressions":[{"key":"a","operator":"Bogus"}]}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseAdmin([]byte(tt.doc), false); err == nil {
				t.Errorf("ParseAdmin(%s) = nil error", tt.doc)
			}
		})
	}
	if _, err := ParseAdmin([]byte(`{"spec":{"subject":{"namespaces":{}},"ingress":[{"action":"Pass","from":[{"namespaces":{}}]}]}}`), true); err == nil {
		t.Error("Pass accepted in a baseline policy")
	}
}

func TestExplainAdmin(t *testing.T) {
	w := world{pods: []string{"x/a", "y/a"}, protocols: tcpOnly, ports: []int32{80},
		policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-all", all, ingress(networkingv1.NetworkPolicyIngressRule{}))}}
	a := worldWithAdmin(t, w, anpHeader+`metadata: {name: deny-y-to-x}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - name: deny-from-y
    action: Deny
    from: [{namespaces: {matchLabels: {ns: "y"}}}]
`)
	p := Port(TCP, 80)
	e, err := a.Explain(endpointOf("y/a"), endpointOf("x/a"), &p)
	if err != nil {
		t.Fatal(err)
	}
	text := e.String()
	for _, want := range []string{
		`AdminNetworkPolicy deny-y-to-x (priority 20) rule spec.ingress[0] "deny-from-y" (admin.yaml:8) matches from y/Pod/a: it denies TCP/80`,
		"The admin policies decide every asked port: NetworkPolicies and the baseline are not consulted for this ingress.",
		"Result: ingress denies it.",
		"Denied: y/Pod/a may not connect to x/Pod/a on TCP/80; blocked by the ingress of x/Pod/a.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}
}
