package reach

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/moat-dev/moat/internal/inventory"
)

// Truth tables for the Cilium and Calico policies the engine evaluates, in the world of
// the upstream cases (namespaces x, y labelled ns=NAME; pods a, b labelled pod=NAME;
// ports 80 and 81, TCP and UDP, named serve-PORT-PROTOCOL; pod IPs 10.N.0.M). Each case
// states one documented rule of the policy language; the manifests are our own.

const (
	cnpHeader   = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
	ccnpHeader  = "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\n"
	calHeader   = "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\n"
	gnpHeader   = "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\n"
	tierHeader  = "apiVersion: crd.projectcalico.org/v1\nkind: Tier\n"
	gnsHeader   = "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkSet\n"
	allOpen4    = "\n   xa xb ya yb\nxa -  X  X  X\nxb X  -  X  X\nya X  X  -  X\nyb X  X  X  -"
	xFromXOnly  = "\n   xa xb ya yb\nxa -  X  X  X\nxb X  -  X  X\nya .  .  -  X\nyb .  .  X  -"
	xFromYOnly  = "\n   xa xb ya yb\nxa -  .  X  X\nxb .  -  X  X\nya X  X  -  X\nyb X  X  X  -"
	xClosed     = "\n   xa xb ya yb\nxa -  .  X  X\nxb .  -  X  X\nya .  .  -  X\nyb .  .  X  -"
	xaFromXbYb  = "\n   xa xb ya yb\nxa -  X  X  X\nxb X  -  X  X\nya .  X  -  X\nyb .  X  X  -"
	xaClosed    = "\n   xa xb ya yb\nxa -  X  X  X\nxb .  -  X  X\nya .  X  -  X\nyb .  X  X  -"
	xaOnlyFromY = "\n   xa xb ya yb\nxa -  X  X  X\nxb .  -  X  X\nya X  X  -  X\nyb X  X  X  -"
)

var allowAllX = netpol("x", "allow-all", all, ingress(networkingv1.NetworkPolicyIngressRule{}))

type outsideProbe struct {
	src, addr string
	proto     Protocol
	port      int32
	want      bool
}

type foreignCase struct {
	name     string
	policies []*networkingv1.NetworkPolicy
	yaml     string
	probes   []probe
	outside  []outsideProbe
}

var ciliumCases = []foreignCase{
	{name: "a CiliumNetworkPolicy with an ingress section isolates the pods it selects; fromEndpoints selects in the policy's namespace",
		yaml: cnpHeader + `metadata: {name: a-from-b, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {pod: b}}]
`, probes: []probe{{tcp, 80, "\n   xa xb ya yb\nxa -  X  X  X\nxb X  -  X  X\nya .  X  -  X\nyb .  X  X  -"}}},
	{name: "a namespace key (with the k8s: source prefix) in fromEndpoints selects in that namespace",
		yaml: cnpHeader + `metadata: {name: a-from-y-b, namespace: x}
spec:
  endpointSelector: {matchLabels: {"k8s:pod": a}}
  ingress:
  - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": "y", "any:pod": b}}]
`, probes: []probe{{tcp, 80, "\n   xa xb ya yb\nxa -  X  X  X\nxb .  -  X  X\nya .  X  -  X\nyb X  X  X  -"}}},
	{name: "io.cilium.k8s.namespace.labels selects by the labels of the namespace",
		yaml: cnpHeader + `metadata: {name: a-from-ns-y, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.ns: "y"}}]
`, probes: []probe{{tcp, 80, xaOnlyFromY}}},
	{name: "an empty rule is a default deny; an empty section is no section",
		yaml: cnpHeader + `metadata: {name: deny-ingress, namespace: x}
spec:
  endpointSelector: {}
  ingress: [{}]
  egress: []
`, probes: []probe{{tcp, 80, xClosed}, {udp, 81, xClosed}}},
	{name: "enableDefaultDeny false: the rules apply but isolate nothing",
		yaml: cnpHeader + `metadata: {name: observe, namespace: x}
spec:
  endpointSelector: {}
  enableDefaultDeny: {ingress: false}
  ingress:
  - fromEndpoints: [{matchLabels: {pod: b}}]
`, probes: []probe{{tcp, 80, allOpen4}}},
	{name: "ingressDeny wins over a NetworkPolicy that allows everything",
		policies: []*networkingv1.NetworkPolicy{allowAllX},
		yaml: cnpHeader + `metadata: {name: deny-y, namespace: x}
spec:
  endpointSelector: {}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: "y"}}]
`, probes: []probe{{tcp, 80, xFromXOnly}}},
	{name: "a policy with only deny rules still puts the pods in default deny",
		yaml: cnpHeader + `metadata: {name: deny-y, namespace: x}
spec:
  endpointSelector: {}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: "y"}}]
`, probes: []probe{{tcp, 80, xClosed}}},
	{name: "an L4-only rule admits every peer on its ports; no protocol is TCP, UDP and SCTP",
		yaml: cnpHeader + `metadata: {name: a-on-80, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - toPorts: [{ports: [{port: "80"}]}]
`, probes: []probe{{tcp, 80, allOpen4}, {udp, 80, allOpen4}, {tcp, 81, xaClosed}}},
	{name: "a named port resolves against the destination's container ports",
		yaml: cnpHeader + `metadata: {name: a-on-named, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints: [{}]
    toPorts: [{ports: [{port: serve-81-udp, protocol: UDP}]}]
`, probes: []probe{{udp, 81, "\n   xa xb ya yb\nxa -  X  X  X\nxb X  -  X  X\nya .  X  -  X\nyb .  X  X  -"}, {tcp, 81, xaClosed}, {udp, 80, xaClosed}}},
	{name: "a clusterwide policy selects, and its endpoint selectors match, in every namespace",
		yaml: ccnpHeader + `metadata: {name: a-from-b}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {pod: b}}]
`, probes: []probe{{tcp, 80, "\n   xa xb ya yb\nxa -  X  .  X\nxb X  -  X  X\nya .  X  -  X\nyb X  X  X  -"}}},
	{name: "CIDR rules never match pods, even when the pod's IP is inside",
		yaml: cnpHeader + `metadata: {name: a-from-cidr, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromCIDR: [10.0.0.0/8]
`, probes: []probe{{tcp, 80, xaClosed}}},
	{name: "toEntities world is every address outside the cluster and no pod",
		yaml: cnpHeader + `metadata: {name: a-to-world, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  egress:
  - toEntities: [world]
`, probes: []probe{{tcp, 80, "\n   xa xb ya yb\nxa -  .  .  .\nxb X  -  X  X\nya X  X  -  X\nyb X  X  X  -"}},
		outside: []outsideProbe{{"x/a", "8.8.8.8", TCP, 443, true}, {"x/a", "169.254.169.254", TCP, 80, true}}},
	{name: "toCIDRSet except carves out of the CIDR; toEntities cluster is every pod",
		yaml: cnpHeader + `metadata: {name: a-out, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  egress:
  - toCIDRSet: [{cidr: 0.0.0.0/0, except: [169.254.169.254/32]}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  - toEntities: [cluster]
`, probes: []probe{{tcp, 80, allOpen4}},
		outside: []outsideProbe{{"x/a", "8.8.8.8", TCP, 443, true}, {"x/a", "8.8.8.8", TCP, 80, false}, {"x/a", "169.254.169.254", TCP, 443, false}}},
}

var calicoCases = []foreignCase{
	{name: "a Calico policy isolates what its selector selects (types default to Ingress); a rule's selector is in the policy's namespace",
		yaml: calHeader + `metadata: {name: a-from-b, namespace: x}
spec:
  selector: pod == 'a'
  ingress:
  - action: Allow
    source: {selector: pod == 'b'}
`, probes: []probe{{tcp, 80, "\n   xa xb ya yb\nxa -  X  X  X\nxb X  -  X  X\nya .  X  -  X\nyb .  X  X  -"}}},
	{name: "a Deny of order 100 decides before a NetworkPolicy (order 1000) allows",
		policies: []*networkingv1.NetworkPolicy{allowAllX},
		yaml: calHeader + `metadata: {name: deny-y, namespace: x}
spec:
  order: 100
  selector: all()
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'y'}
`, probes: []probe{{tcp, 80, xFromXOnly}}},
	{name: "an Allow of lower order decides before a Deny of higher order",
		yaml: calHeader + `metadata: {name: allow-y, namespace: x}
spec:
  order: 100
  ingress:
  - action: Allow
    source: {namespaceSelector: ns == 'y'}
---
` + calHeader + `metadata: {name: deny-rest, namespace: x}
spec:
  order: 200
  ingress:
  - action: Deny
`, probes: []probe{{tcp, 80, xFromYOnly}}},
	{name: "Pass skips the rest of the tier; after the last tier the profile allows",
		yaml: calHeader + `metadata: {name: pass-y, namespace: x}
spec:
  order: 10
  ingress:
  - action: Pass
    source: {namespaceSelector: ns == 'y'}
---
` + calHeader + `metadata: {name: deny-rest, namespace: x}
spec:
  order: 100
  ingress:
  - action: Deny
`, probes: []probe{{tcp, 80, xFromYOnly}}},
	{name: "Log decides nothing; a tier that applies denies what no rule decides",
		yaml: calHeader + `metadata: {name: log-then-allow-y, namespace: x}
spec:
  ingress:
  - action: Log
  - action: Allow
    source: {namespaceSelector: ns == 'y'}
`, probes: []probe{{tcp, 80, xFromYOnly}}},
	{name: "a GlobalNetworkPolicy selects in the namespaces its namespaceSelector picks, and its rule selectors match everywhere",
		yaml: gnpHeader + `metadata: {name: ya-from-b}
spec:
  selector: pod == 'a'
  namespaceSelector: ns == 'y'
  ingress:
  - action: Allow
    source: {selector: pod == 'b'}
`, probes: []probe{{tcp, 80, "\n   xa xb ya yb\nxa -  X  .  X\nxb X  -  X  X\nya X  X  -  X\nyb X  X  X  -"}}},
	{name: "protocol and destination notPorts narrow a rule",
		yaml: calHeader + `metadata: {name: a-tcp-not-81, namespace: x}
spec:
  selector: pod == 'a'
  ingress:
  - action: Allow
    protocol: TCP
    destination: {notPorts: [81]}
`, probes: []probe{{tcp, 80, allOpen4}, {tcp, 81, xaClosed}, {udp, 80, xaClosed}}},
	{name: "egress nets and notNets match outside ranges and known pod IPs; types default to Egress with egress rules alone",
		yaml: calHeader + `metadata: {name: a-out, namespace: x}
spec:
  selector: pod == 'a'
  egress:
  - action: Allow
    destination: {nets: [0.0.0.0/0], notNets: [169.254.0.0/16]}
`, probes: []probe{{tcp, 80, allOpen4}},
		outside: []outsideProbe{{"x/a", "8.8.8.8", TCP, 443, true}, {"x/a", "169.254.169.254", TCP, 80, false}, {"x/b", "169.254.169.254", TCP, 80, true}}},
	{name: "notSelector matches everything but the pods it selects in its scope",
		yaml: calHeader + `metadata: {name: a-not-b, namespace: x}
spec:
  selector: pod == 'a'
  ingress:
  - action: Allow
    source: {notSelector: pod == 'b'}
`, probes: []probe{{tcp, 80, "\n   xa xb ya yb\nxa -  X  X  X\nxb .  -  X  X\nya X  X  -  X\nyb X  X  X  -"}}},
	{name: "a tier of lower order decides first; its policy's Pass hands over to the default tier",
		policies: []*networkingv1.NetworkPolicy{allowAllX},
		yaml: tierHeader + `metadata: {name: security}
spec: {order: 100}
---
` + calHeader + `metadata: {name: security.no-y, namespace: x}
spec:
  tier: security
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'y'}
  - action: Pass
`, probes: []probe{{tcp, 80, xFromXOnly}}},
	{name: "a tier that applies and decides nothing denies",
		policies: []*networkingv1.NetworkPolicy{allowAllX},
		yaml: tierHeader + `metadata: {name: security}
spec: {order: 100}
---
` + calHeader + `metadata: {name: security.no-y, namespace: x}
spec:
  tier: security
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'y'}
`, probes: []probe{{tcp, 80, xClosed}}},
	{name: "a tier with defaultAction Pass hands on what it does not decide",
		policies: []*networkingv1.NetworkPolicy{allowAllX},
		yaml: tierHeader + `metadata: {name: security}
spec: {order: 100, defaultAction: Pass}
---
` + calHeader + `metadata: {name: security.no-y, namespace: x}
spec:
  tier: security
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'y'}
`, probes: []probe{{tcp, 80, xFromXOnly}}},
	{name: "a Calico tier of order below 1000 decides before the AdminNetworkPolicies",
		yaml: tierHeader + `metadata: {name: early}
spec: {order: 50}
---
` + calHeader + `metadata: {name: early.allow-y, namespace: x}
spec:
  tier: early
  ingress:
  - action: Allow
    source: {namespaceSelector: ns == 'y'}
  - action: Pass
---
` + anpHeader + `metadata: {name: deny-y}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {ns: x}}}
  ingress:
  - {action: Deny, from: [{namespaces: {matchLabels: {ns: "y"}}}]}
`, probes: []probe{{tcp, 80, allOpen4}}},
	{name: "a selector matches the nets of a GlobalNetworkSet with its labels",
		yaml: gnsHeader + `metadata: {name: upstream-dns, labels: {role: dns-upstream}}
spec: {nets: [8.8.8.0/24]}
---
` + calHeader + `metadata: {name: a-to-dns, namespace: x}
spec:
  selector: pod == 'a'
  types: [Egress]
  egress:
  - action: Allow
    destination: {selector: role == 'dns-upstream', namespaceSelector: global()}
`, outside: []outsideProbe{{"x/a", "8.8.8.8", UDP, 53, true}, {"x/a", "1.1.1.1", UDP, 53, false}}},
	{name: "the destination of an ingress rule narrows it to some of the policy's pods",
		yaml: calHeader + `metadata: {name: a-from-y, namespace: x}
spec:
  ingress:
  - action: Allow
    source: {namespaceSelector: ns == 'y'}
    destination: {selector: pod == 'a'}
`, probes: []probe{{tcp, 80, "\n   xa xb ya yb\nxa -  .  X  X\nxb .  -  X  X\nya X  .  -  X\nyb X  .  X  -"}}},
}

func TestCiliumCases(t *testing.T) { runForeignCases(t, ciliumCases) }

func TestCalicoCases(t *testing.T) { runForeignCases(t, calicoCases) }

func runForeignCases(t *testing.T, cases []foreignCase) {
	pods := []string{"x/a", "x/b", "y/a", "y/b"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := world{pods: pods, protocols: []corev1.Protocol{tcp, udp}, ports: []int32{80, 81}, policies: tc.policies}
			a := worldWithAdmin(t, w, tc.yaml)
			for _, pr := range tc.probes {
				proto, _ := ParseProtocol(string(pr.proto))
				checkMatrix(t, a, pods, proto, pr.port, pr.want)
			}
			for _, op := range tc.outside {
				s, d := a.Index(endpointOf(op.src)), a.Index(Endpoint{IPBlock: op.addr})
				if got := a.Ports(s, d).Has(op.proto, op.port); got != op.want {
					t.Errorf("%s→%s %s/%d: allowed=%v, want %v", op.src, op.addr, op.proto, op.port, got, op.want)
				}
			}
			checkConsistent(t, a)
		})
	}
}

// checkConsistent checks that the ways of asking agree: Connections and Ports, and
// what Grants names with what side allows; and that every pair can be explained.
func checkConsistent(t *testing.T, a *Analysis) {
	t.Helper()
	conns := map[[2]int]PortSet{}
	a.EachClassPair(func(s, d int, ps PortSet) { conns[[2]int{s, d}] = ps })
	for s := 0; s < a.NumEndpoints(); s++ {
		for d := 0; d < a.NumEndpoints(); d++ {
			if s >= a.NumClasses() && d >= a.NumClasses() {
				continue
			}
			if got := a.Ports(s, d); !got.Equal(conns[[2]int{s, d}]) {
				t.Errorf("pair %d→%d: Ports %s, EachClassPair %s", s, d, got, conns[[2]int{s, d}])
			}
			for _, egress := range []bool{true, false} {
				self, peer := s, d
				if !egress {
					self, peer = d, s
				}
				if self >= a.NumClasses() {
					continue
				}
				var union PortSet
				for _, g := range a.Grants(self, peer, egress) {
					union = union.Union(g.Ports)
				}
				if side := a.side(self, peer, egress); !side.Equal(union) {
					t.Errorf("class %d (egress %v) towards %d: side %s, grants %s", self, egress, peer, side, union)
				}
			}
		}
	}
}

func TestCiliumUnevaluatedParts(t *testing.T) {
	objs, errs := inventory.Decode(strings.NewReader(cnpHeader+`metadata: {name: api, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules:
        http: [{method: GET, path: /}]
  egress:
  - toFQDNs: [{matchName: api.github.com}]
    toPorts: [{ports: [{port: "443"}]}]
  - toEntities: [kube-apiserver]
---
`+ccnpHeader+`metadata: {name: host}
spec:
  nodeSelector: {}
  ingress: [{fromEntities: [cluster]}]
`), "cnp.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	m := FromInventory(inventory.NewInventory(objs))
	if len(m.Policies) != 1 {
		t.Fatalf("want the CiliumNetworkPolicy only, got %d policies", len(m.Policies))
	}
	got := m.Policies[0].Unevaluated
	for _, want := range []string{"L7 rules of toPorts[0] in spec.ingress[0]", "toFQDNs in spec.egress[0]", `toEntities "kube-apiserver" (not in the graph) in spec.egress[1]`} {
		if !slices.Contains(got, want) {
			t.Errorf("Unevaluated %q lacks %q", got, want)
		}
	}
	if len(m.Warnings) != 2 || !strings.Contains(m.Warnings[0], "nodes are not in the graph") ||
		!strings.HasPrefix(m.Warnings[1], "CiliumNetworkPolicy shop/api: not evaluated: L7 rules of toPorts[0] in spec.ingress[0]; toFQDNs") {
		t.Errorf("warnings %q, want the host policy left out and what was not evaluated", m.Warnings)
	}
}

func TestCalicoSelectors(t *testing.T) {
	l := map[string]string{"app": "api", "tier": "backend", "env": "prod-eu"}
	tests := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"all()", true},
		{"!all()", false},
		{"app == 'api'", true},
		{`app == "web"`, false},
		{"app != 'web'", true},
		{"missing != 'x'", true},
		{"has(tier)", true},
		{"!has(tier)", false},
		{"tier in {'backend', 'db'}", true},
		{"tier not in {'backend'}", false},
		{"missing not in {'a'}", true},
		{"env starts with 'prod'", true},
		{"env ends with 'eu'", true},
		{"env contains 'd-e'", true},
		{"app == 'api' && tier == 'db'", false},
		{"app == 'web' || tier == 'backend'", true},
		{"!has(x) || app == 'web' && tier == 'db'", true},
		{"!(has(app) && app == 'api')", false},
		{"global()", false},
	}
	for _, tt := range tests {
		s, err := parseCalicoSelector(tt.sel)
		if err != nil {
			t.Errorf("%q: %v", tt.sel, err)
			continue
		}
		if got := s.matches(l); got != tt.want {
			t.Errorf("%q matches = %v, want %v", tt.sel, got, tt.want)
		}
		// The printed form parses back to the same meaning.
		s2, err := parseCalicoSelector(s.String())
		if err != nil || s2.matches(l) != tt.want {
			t.Errorf("%q printed as %q does not round-trip: %v", tt.sel, s.String(), err)
		}
	}
	for _, bad := range []string{"app ==", "app = 'x'", "has(app", "app in {'a'", "(app == 'x'", "app == 'x' &&", "app ~ 'x'"} {
		if _, err := parseCalicoSelector(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Calico's serviceAccounts match pods by their service account, and services by the
// Service's pod selector.
func TestCalicoServiceAccountsAndServices(t *testing.T) {
	a := analyzeYAML(t, `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {serviceAccountName: api, containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
`+calHeader+`metadata: {name: db, namespace: shop}
spec:
  selector: app == 'db'
  ingress:
  - action: Allow
    source: {serviceAccounts: {names: [api]}}
---
`+calHeader+`metadata: {name: api, namespace: shop}
spec:
  selector: app == 'api'
  types: [Egress]
  egress:
  - action: Allow
    destination: {services: {name: web}}
`, Options{})
	ep := func(n string) int { return a.Index(Endpoint{Namespace: "shop", Kind: "Pod", Name: n}) }
	for _, tt := range []struct {
		src, dst string
		want     bool
	}{{"api", "db", false}, {"web", "db", false}, {"api", "web", true}} {
		if got := !a.Ports(ep(tt.src), ep(tt.dst)).IsEmpty(); got != tt.want {
			t.Errorf("%s→%s allowed=%v, want %v", tt.src, tt.dst, got, tt.want)
		}
	}
	// api may not reach db because its own egress only allows web; db's ingress admits it.
	if ps := a.side(ep("db"), ep("api"), false); ps.IsEmpty() {
		t.Error("db's ingress does not admit the api service account")
	}
	if ps := a.side(ep("db"), ep("web"), false); !ps.IsEmpty() {
		t.Errorf("db's ingress admits web on %s", ps)
	}
	checkConsistent(t, a)
}

// An explanation walks the tiers in order and names the rule that decides.
func TestExplainForeign(t *testing.T) {
	w := world{pods: []string{"x/a", "y/a"}, protocols: []corev1.Protocol{tcp}, ports: []int32{80}, policies: []*networkingv1.NetworkPolicy{allowAllX}}
	a := worldWithAdmin(t, w, calHeader+`metadata: {name: deny-y, namespace: x}
spec:
  order: 100
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'y'}
  - action: Pass
---
`+cnpHeader+`metadata: {name: no-x, namespace: "y"}
spec:
  endpointSelector: {}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: x}}]
  ingress:
  - fromEntities: [all]
`)
	p := Port(TCP, 80)
	for _, tt := range []struct {
		src, dst string
		want     []string
	}{
		{"y/a", "x/a", []string{
			"x/Pod/a is isolated for ingress by Calico NetworkPolicy x/deny-y (admin.yaml:3), x/allow-all: only what one of their ingress rules allows gets through.",
			"Calico NetworkPolicy x/deny-y rule spec.ingress[0] (admin.yaml:7) denies from y/Pod/a on TCP/80.",
			"Denied: y/Pod/a may not connect to x/Pod/a on TCP/80; blocked by the ingress of x/Pod/a.",
		}},
		{"x/a", "y/a", []string{
			"CiliumNetworkPolicy y/no-x rule spec.ingressDeny[0] (admin.yaml:17) denies from x/Pod/a on TCP/80: deny rules win over every allow.",
			"Denied:",
		}},
	} {
		e, err := a.Explain(endpointOf(tt.src), endpointOf(tt.dst), &p)
		if err != nil {
			t.Fatal(err)
		}
		text := e.String()
		for _, want := range tt.want {
			if !strings.Contains(text, want) {
				t.Errorf("%s→%s: explanation lacks %q:\n%s", tt.src, tt.dst, want, text)
			}
		}
	}
}
