package netpol

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

// Monotonicity, the property every NetworkPolicy rule keeps: adding a policy P to a
// world never adds a finding about any object other than P, and never raises the
// severity of any finding. Precisely: for every (rule, resource) with resource ≠ P,
// the number of findings after adding P is at most the number before, and the highest
// severity after is at most the highest before. The findings about P itself (a policy
// that selects nothing, a rule of P that opens the internet) may appear.
//
// The one exception, stated in view.go, is a policy whose rule passes traffic down
// (Pass): it can expose a rule below it. The added policy therefore has no Pass rule;
// the worlds it is added to have them.
//
// Worlds are random and seeded: two to three namespaces with labels, one to four
// workloads each with random labels, ports and service accounts, and zero to five
// policies of every kind Moat evaluates (NetworkPolicy, CiliumNetworkPolicy and
// CiliumClusterwideNetworkPolicy with allow and deny rules, Calico NetworkPolicy and
// GlobalNetworkPolicy with orders, tiers and every action, AdminNetworkPolicy,
// BaselineAdminNetworkPolicy) with random selectors, peers, ports and ipBlocks.
func TestAddingAPolicyNeverAddsFindings(t *testing.T) {
	worlds := 1200
	if testing.Short() {
		worlds = 200
	}
	rules := netpolRules()
	changed, total, fails := 0, 0, 0
	for i := range worlds {
		g := &gen{r: rand.New(rand.NewPCG(uint64(i), 0x6d6f6174))}
		base := g.world()
		added := g.policy(false)
		before := ruletest.Evaluate(t, inventory.NewInventory(base), ruletest.Options, rules...)
		after := ruletest.Evaluate(t, inventory.NewInventory(append(base[:len(base):len(base)], added)), ruletest.Options, rules...)
		total += len(after)
		if v := violations(before, after, added.Ref()); len(v) > 0 {
			t.Errorf("world %d: adding %s %s/%s:\n  %s\nbefore:\n%safter:\n%s\nworld:\n%s", i, added.Kind(), added.Namespace(), added.Name(),
				strings.Join(v, "\n  "), ruletest.Format(before), ruletest.Format(after), describeWorld(append(base, added)))
			if fails++; fails > 3 {
				t.FailNow()
			}
		}
		if ruletest.Format(before) != ruletest.Format(after) {
			changed++
		}
		if i%10 == 0 {
			checkAgreement(t, i, append(base, added))
		}
	}
	// The property is not vacuous: findings are many and adding a policy often changes them.
	if changed < worlds/4 || total < worlds {
		t.Errorf("only %d of %d worlds changed, %d findings in all: the generator is too tame", changed, worlds, total)
	}
	t.Logf("%d worlds, %d changed by the added policy, %d findings after", worlds, changed, total)
}

// The scenario of the issue: a namespace with no policy gets one ingress-only policy.
// Before, that turned one medium finding into a high and two mediums.
func TestAddingAnIngressPolicyToAnOpenNamespace(t *testing.T) {
	base := []*inventory.Object{
		typed(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{corev1.LabelMetadataName: "shop"}}}, "v1", "Namespace"),
		deployment("shop", "api", map[string]string{"app": "api"}, corev1.ContainerPort{Name: "http", ContainerPort: 8080}),
		deployment("shop", "db", map[string]string{"app": "db"}, corev1.ContainerPort{Name: "pg", ContainerPort: 5432}),
	}
	policy := typed(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"}, Spec: networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
		Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}}}}},
	}}, "networking.k8s.io/v1", "NetworkPolicy")
	before := ruletest.Evaluate(t, inventory.NewInventory(base), ruletest.Options, netpolRules()...)
	after := ruletest.Evaluate(t, inventory.NewInventory(append(base[:len(base):len(base)], policy)), ruletest.Options, netpolRules()...)
	if v := violations(before, after, policy.Ref()); len(v) > 0 {
		t.Errorf("%s\nbefore:\n%safter:\n%s", strings.Join(v, "\n"), ruletest.Format(before), ruletest.Format(after))
	}
	count := func(fs []finding.Finding, sev finding.Severity) int {
		n := 0
		for _, f := range fs {
			if f.Severity >= sev {
				n++
			}
		}
		return n
	}
	if count(after, finding.High) > count(before, finding.High) || len(after) > len(before) {
		t.Errorf("adding the policy raised the findings from %d (%d high) to %d (%d high)", len(before), count(before, finding.High), len(after), count(after, finding.High))
	}
}

func netpolRules() []*rule.Rule {
	var out []*rule.Rule
	for _, id := range []string{"netpol/namespace-without-policy", "netpol/namespace-without-default-deny", "netpol/workload-not-isolated-ingress",
		"netpol/reachable-from-all-namespaces", "netpol/database-port-exposed", "netpol/egress-to-metadata", "netpol/unrestricted-egress",
		"netpol/peer-matches-nothing", "netpol/policy-selects-nothing"} {
		out = append(out, rule.Get(id))
	}
	return out
}

// violations lists what breaks monotonicity from before to after, P being the added policy.
func violations(before, after []finding.Finding, p finding.Resource) []string {
	type agg struct {
		n   int
		max finding.Severity
	}
	key := func(f finding.Finding) string {
		return f.RuleID + " " + f.Resource.Kind + "/" + f.Resource.Namespace + "/" + f.Resource.Name
	}
	tally := func(fs []finding.Finding) map[string]*agg {
		m := map[string]*agg{}
		for _, f := range fs {
			if f.Resource.Kind == p.Kind && f.Resource.Namespace == p.Namespace && f.Resource.Name == p.Name {
				continue
			}
			a := m[key(f)]
			if a == nil {
				a = &agg{max: f.Severity}
				m[key(f)] = a
			}
			a.n++
			a.max = max(a.max, f.Severity)
		}
		return m
	}
	b, a := tally(before), tally(after)
	var out []string
	for k, x := range a {
		y := b[k]
		switch {
		case y == nil:
			out = append(out, "new: "+k)
		case x.n > y.n:
			out = append(out, fmt.Sprintf("more: %s (%d, was %d)", k, x.n, y.n))
		case x.max > y.max:
			out = append(out, fmt.Sprintf("raised: %s (%s, was %s)", k, x.max, y.max))
		}
	}
	sort.Strings(out)
	return out
}

// checkAgreement checks, on a random world, that the ways of asking the engine agree:
// what Connections lists, what Ports says of each pair, and the grants of each side.
func checkAgreement(t *testing.T, world int, objs []*inventory.Object) {
	t.Helper()
	m := reach.FromInventory(inventory.NewInventory(objs))
	a := reach.Analyze(m, reach.Options{Probe: true})
	pairs := map[[2]int]reach.PortSet{}
	a.EachClassPair(func(s, d int, ps reach.PortSet) { pairs[[2]int{s, d}] = ps })
	union := func(gs []reach.Grant) reach.PortSet {
		var u reach.PortSet
		for _, g := range gs {
			u = u.Union(g.Ports)
		}
		return u
	}
	for s := 0; s < a.NumEndpoints(); s++ {
		for d := 0; d < a.NumEndpoints(); d++ {
			if s >= a.NumClasses() && d >= a.NumClasses() {
				continue
			}
			ps := a.Ports(s, d)
			if !ps.Equal(pairs[[2]int{s, d}]) {
				t.Errorf("world %d, %d→%d: Ports %s, EachClassPair %s", world, s, d, ps, pairs[[2]int{s, d}])
			}
			want := reach.AllPorts()
			if s < a.NumClasses() {
				want = union(a.Grants(s, d, true))
			}
			if d < a.NumClasses() {
				want = want.Intersect(union(a.Grants(d, s, false)))
			}
			if !ps.Equal(want) {
				t.Errorf("world %d, %d→%d: Ports %s, grants of both sides %s", world, s, d, ps, want)
			}
		}
	}
}

func describeWorld(objs []*inventory.Object) string {
	var b strings.Builder
	for _, o := range objs {
		fmt.Fprintf(&b, "  %s %s/%s: %v\n", o.Kind(), o.Namespace(), o.Name(), spec(o))
	}
	return b.String()
}

func spec(o *inventory.Object) any {
	switch x := o.Obj.(type) {
	case *unstructured.Unstructured:
		return x.Object["spec"]
	case *networkingv1.NetworkPolicy:
		return x.Spec
	case *appsv1.Deployment:
		return fmt.Sprintf("labels %v sa %s ports %v", x.Spec.Template.Labels, x.Spec.Template.Spec.ServiceAccountName, x.Spec.Template.Spec.Containers[0].Ports)
	case *corev1.Namespace:
		return x.Labels
	}
	return nil
}

// gen makes random worlds.
type gen struct {
	r *rand.Rand
	n int // names policies
	// nss are the namespaces worlds may have (namespaces when nil); worlds have two
	// or three of them, or all with wide.
	nss  []string
	wide bool
}

func (g *gen) namespaces() []string {
	if g.nss != nil {
		return g.nss
	}
	return namespaces
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

var (
	namespaces = []string{"a", "b", "c"}
	apps       = []string{"web", "api", "db"}
	cidrs      = []string{"0.0.0.0/0", "8.8.8.0/24", "169.254.0.0/16", "10.0.0.0/8", "0.0.0.0/1", "128.0.0.0/1", "169.254.169.254/32"}
)

func typed(obj runtime.Object, apiVersion, kind string) *inventory.Object {
	gv, _ := schema.ParseGroupVersion(apiVersion)
	return inventory.New(obj, gv.WithKind(kind), nil)
}

func deployment(ns, name string, labels map[string]string, ports ...corev1.ContainerPort) *inventory.Object {
	return deploymentSA(ns, name, labels, "", ports...)
}

func deploymentSA(ns, name string, labels map[string]string, sa string, ports ...corev1.ContainerPort) *inventory.Object {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
			ServiceAccountName: sa,
			Containers:         []corev1.Container{{Name: "c", Image: "registry.example.com/app:1.0", Ports: ports}},
		}},
	}}
	return typed(d, "apps/v1", "Deployment")
}

func crd(apiVersion, kind, ns, name string, spec map[string]any) *inventory.Object {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": name}, "spec": spec}}
	if ns != "" {
		u.SetNamespace(ns)
	}
	gv, _ := schema.ParseGroupVersion(apiVersion)
	return inventory.New(u, gv.WithKind(kind), nil)
}

func (g *gen) world() []*inventory.Object {
	var objs []*inventory.Object
	nss := g.namespaces()[:2+g.r.IntN(2)]
	if g.wide {
		nss = g.namespaces()
	}
	for _, ns := range nss {
		l := map[string]string{corev1.LabelMetadataName: ns, "team": pick(g, "red", "blue")}
		objs = append(objs, typed(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: l}}, "v1", "Namespace"))
		for i := range 1 + g.r.IntN(4) {
			labels := map[string]string{"app": pick(g, apps...)}
			if g.chance(0.5) {
				labels["tier"] = pick(g, "front", "back")
			}
			var ports []corev1.ContainerPort
			for _, p := range []corev1.ContainerPort{{Name: "http", ContainerPort: 80}, {Name: "pg", ContainerPort: 5432},
				{Name: "redis", ContainerPort: 6379}, {Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}} {
				if g.chance(0.4) {
					ports = append(ports, p)
				}
			}
			if g.chance(0.2) {
				pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("w%d", i), Namespace: ns, Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example.com/app:1.0", Ports: ports}}}}
				objs = append(objs, typed(pod, "v1", "Pod"))
				continue
			}
			objs = append(objs, deploymentSA(ns, fmt.Sprintf("w%d", i), labels, pick(g, "", "", "robot"), ports...))
		}
		for _, app := range apps {
			if g.chance(0.3) {
				svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc-" + app, Namespace: ns},
					Spec: corev1.ServiceSpec{Selector: map[string]string{"app": app}, Ports: []corev1.ServicePort{{Port: 80}}}}
				objs = append(objs, typed(svc, "v1", "Service"))
			}
		}
	}
	if g.chance(0.2) {
		objs = append(objs, crd("crd.projectcalico.org/v1", "Tier", "", "security", map[string]any{"order": float64(100),
			"defaultAction": pick(g, "Deny", "Pass")}))
	}
	if g.chance(0.2) {
		objs = append(objs, crd("crd.projectcalico.org/v1", "GlobalNetworkSet", "", "upstream", map[string]any{"nets": []any{"8.8.8.0/24"}}))
		objs[len(objs)-1].Meta.SetLabels(map[string]string{"role": "upstream"})
	}
	for range g.r.IntN(6) {
		objs = append(objs, g.policy(true))
	}
	return objs
}

// policy is a random policy of any kind; pass allows Pass actions.
func (g *gen) policy(pass bool) *inventory.Object {
	g.n++
	name := fmt.Sprintf("p%d", g.n)
	ns := pick(g, g.namespaces()...)
	switch g.r.IntN(10) {
	case 0, 1, 2, 3:
		return typed(g.networkPolicy(ns, name), "networking.k8s.io/v1", "NetworkPolicy")
	case 4:
		return crd("cilium.io/v2", "CiliumNetworkPolicy", ns, name, g.cilium(true))
	case 5:
		return crd("cilium.io/v2", "CiliumClusterwideNetworkPolicy", "", name, g.cilium(false))
	case 6, 7:
		return crd("crd.projectcalico.org/v1", "NetworkPolicy", ns, name, g.calico(pass, false))
	case 8:
		return crd("crd.projectcalico.org/v1", "GlobalNetworkPolicy", "", name, g.calico(pass, true))
	}
	if g.chance(0.3) {
		return crd("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy", "", "default", g.admin(false, true))
	}
	return crd("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy", "", name, g.admin(pass, false))
}

func (g *gen) labelSelector(ns bool) *metav1.LabelSelector {
	if ns {
		switch g.r.IntN(4) {
		case 0:
			return &metav1.LabelSelector{}
		case 1:
			return &metav1.LabelSelector{MatchLabels: map[string]string{"team": pick(g, "red", "blue")}}
		}
		return &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: pick(g, g.namespaces()...)}}
	}
	switch g.r.IntN(5) {
	case 0:
		return &metav1.LabelSelector{}
	case 1:
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{pick(g, apps...), pick(g, apps...)}}}}
	case 2:
		return &metav1.LabelSelector{MatchLabels: map[string]string{"tier": pick(g, "front", "back")}}
	}
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": pick(g, apps...)}}
}

func (g *gen) npPorts() []networkingv1.NetworkPolicyPort {
	udp := corev1.ProtocolUDP
	switch g.r.IntN(6) {
	case 0:
		p := intstr.FromInt32(80)
		return []networkingv1.NetworkPolicyPort{{Port: &p}}
	case 1:
		p := intstr.FromString(pick(g, "http", "pg"))
		return []networkingv1.NetworkPolicyPort{{Port: &p}}
	case 2:
		p, end := intstr.FromInt32(1), int32(1000)
		return []networkingv1.NetworkPolicyPort{{Port: &p, EndPort: &end}}
	case 3:
		p := intstr.FromInt32(53)
		return []networkingv1.NetworkPolicyPort{{Port: &p, Protocol: &udp}}
	case 4:
		p := intstr.FromInt32(pick[int32](g, 5432, 6379))
		return []networkingv1.NetworkPolicyPort{{Port: &p}}
	}
	return nil
}

func (g *gen) npPeers() []networkingv1.NetworkPolicyPeer {
	if g.chance(0.15) {
		return nil
	}
	var out []networkingv1.NetworkPolicyPeer
	for range 1 + g.r.IntN(2) {
		switch g.r.IntN(4) {
		case 0:
			out = append(out, networkingv1.NetworkPolicyPeer{PodSelector: g.labelSelector(false)})
		case 1:
			out = append(out, networkingv1.NetworkPolicyPeer{NamespaceSelector: g.labelSelector(true)})
		case 2:
			out = append(out, networkingv1.NetworkPolicyPeer{NamespaceSelector: g.labelSelector(true), PodSelector: g.labelSelector(false)})
		default:
			b := &networkingv1.IPBlock{CIDR: pick(g, cidrs...)}
			if b.CIDR == "0.0.0.0/0" && g.chance(0.5) {
				b.Except = []string{pick(g, "169.254.169.254/32", "10.0.0.0/8", "169.254.0.0/16")}
			}
			out = append(out, networkingv1.NetworkPolicyPeer{IPBlock: b})
		}
	}
	return out
}

func (g *gen) networkPolicy(ns, name string) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	np.Spec.PodSelector = *g.labelSelector(false)
	if g.chance(0.7) {
		np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		for range g.r.IntN(3) {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: g.npPeers(), Ports: g.npPorts()})
		}
	}
	if g.chance(0.5) || len(np.Spec.PolicyTypes) == 0 {
		np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		for range g.r.IntN(3) {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: g.npPeers(), Ports: g.npPorts()})
		}
	}
	if g.chance(0.2) {
		np.Spec.PolicyTypes = nil // defaulted from the rules
	}
	return np
}

func selectorMap(s *metav1.LabelSelector) map[string]any {
	out := map[string]any{}
	if len(s.MatchLabels) > 0 {
		ml := map[string]any{}
		for k, v := range s.MatchLabels {
			ml[k] = v
		}
		out["matchLabels"] = ml
	}
	for _, e := range s.MatchExpressions {
		vals := []any{}
		for _, v := range e.Values {
			vals = append(vals, v)
		}
		out["matchExpressions"] = append(asList(out["matchExpressions"]), map[string]any{"key": e.Key, "operator": string(e.Operator), "values": vals})
	}
	return out
}

func asList(x any) []any {
	if l, ok := x.([]any); ok {
		return l
	}
	return nil
}

func (g *gen) ciliumPeerRule(ingress bool) map[string]any {
	dir := "to"
	if ingress {
		dir = "from"
	}
	r := map[string]any{}
	switch g.r.IntN(6) {
	case 0:
		r[dir+"Endpoints"] = []any{selectorMap(g.labelSelector(false))}
	case 1:
		sel := selectorMap(g.labelSelector(false))
		ml, _ := sel["matchLabels"].(map[string]any)
		if ml == nil {
			ml = map[string]any{}
		}
		ml["k8s:io.kubernetes.pod.namespace"] = pick(g, g.namespaces()...)
		sel["matchLabels"] = ml
		r[dir+"Endpoints"] = []any{sel}
	case 2:
		r[dir+"Entities"] = []any{pick(g, "world", "cluster", "all", "host")}
	case 3:
		set := map[string]any{"cidr": pick(g, cidrs...)}
		if g.chance(0.5) {
			set["except"] = []any{"169.254.169.254/32"}
		}
		r[dir+"CIDRSet"] = []any{set}
	case 4:
		if !ingress {
			r["toFQDNs"] = []any{map[string]any{"matchName": "example.com"}}
		}
	}
	if g.chance(0.4) {
		r["toPorts"] = []any{map[string]any{"ports": []any{map[string]any{"port": pick(g, "80", "5432", "http", "0"), "protocol": pick(g, "TCP", "ANY", "UDP")}}}}
	}
	return r
}

func (g *gen) cilium(namespaced bool) map[string]any {
	spec := map[string]any{"endpointSelector": selectorMap(g.labelSelector(false))}
	for _, sec := range []struct {
		name    string
		ingress bool
	}{{"ingress", true}, {"egress", false}, {"ingressDeny", true}, {"egressDeny", false}} {
		p := 0.5
		if strings.HasSuffix(sec.name, "Deny") {
			p = 0.2
		}
		if !g.chance(p) {
			continue
		}
		var rules []any
		for range g.r.IntN(3) {
			rules = append(rules, g.ciliumPeerRule(sec.ingress))
		}
		if len(rules) == 0 {
			rules = []any{map[string]any{}}
		}
		spec[sec.name] = rules
	}
	if g.chance(0.15) {
		spec["enableDefaultDeny"] = map[string]any{pick(g, "ingress", "egress"): false}
	}
	return spec
}

func (g *gen) calicoSelector() string {
	return pick(g, "all()", "app == 'web'", "app in {'api', 'db'}", "has(tier)", "!has(tier)", "tier != 'front'", "app == 'db' || tier == 'back'")
}

func (g *gen) calicoEntity(remote, global bool) map[string]any {
	e := map[string]any{}
	if remote {
		switch g.r.IntN(6) {
		case 0:
			e["selector"] = g.calicoSelector()
		case 1:
			e["namespaceSelector"] = pick(g, "team == 'red'", "all()", "projectcalico.org/name == 'b'")
			if g.chance(0.5) {
				e["selector"] = g.calicoSelector()
			}
		case 2:
			e["nets"] = []any{pick(g, cidrs...)}
		case 3:
			e["notNets"] = []any{pick(g, "169.254.169.254/32", "10.0.0.0/8")}
		case 4:
			e["selector"] = "role == 'upstream'"
			e["namespaceSelector"] = "global()"
		case 5:
			if g.chance(0.5) {
				e["services"] = map[string]any{"name": "svc-" + pick(g, apps...), "namespace": pick(g, g.namespaces()...)}
			} else {
				e["serviceAccounts"] = map[string]any{"names": []any{pick(g, "default", "robot")}}
			}
		}
		if g.chance(0.15) {
			e["notSelector"] = g.calicoSelector()
		}
	} else if g.chance(0.2) {
		e["selector"] = g.calicoSelector()
	}
	return e
}

func (g *gen) calico(pass, global bool) map[string]any {
	spec := map[string]any{"selector": g.calicoSelector()}
	if g.chance(0.7) {
		spec["order"] = float64(pick(g, 10, 500, 1000, 2000))
	}
	if g.chance(0.2) {
		spec["tier"] = "security"
	}
	if global && g.chance(0.4) {
		spec["namespaceSelector"] = pick(g, "team == 'blue'", "projectcalico.org/name == 'a'")
	}
	actions := []string{"Allow", "Allow", "Deny", "Log"}
	if pass {
		actions = append(actions, "Pass")
	}
	var types []any
	for _, dir := range []string{"ingress", "egress"} {
		if !g.chance(0.6) {
			continue
		}
		types = append(types, strings.ToUpper(dir[:1])+dir[1:])
		var rules []any
		for range g.r.IntN(3) {
			r := map[string]any{"action": pick(g, actions...)}
			peer, self := "source", "destination"
			if dir == "egress" {
				peer, self = "destination", "source"
			}
			pe := g.calicoEntity(true, global)
			se := g.calicoEntity(false, global)
			if g.chance(0.4) {
				r["protocol"] = pick(g, "TCP", "UDP")
				ports := []any{pick[any](g, 80, 5432, "http", "1:1000")}
				if g.chance(0.3) {
					dst := se
					if dir == "egress" {
						dst = pe
					}
					dst["notPorts"] = ports
				} else if dir == "egress" {
					pe["ports"] = ports
				} else {
					se["ports"] = ports
				}
			}
			if len(pe) > 0 {
				r[peer] = pe
			}
			if len(se) > 0 {
				r[self] = se
			}
			rules = append(rules, r)
		}
		spec[dir] = rules
	}
	if g.chance(0.7) {
		spec["types"] = types
	}
	return spec
}

func (g *gen) admin(pass, baseline bool) map[string]any {
	spec := map[string]any{"subject": map[string]any{"namespaces": selectorMap(g.labelSelector(true))}}
	if !baseline {
		spec["priority"] = int64(g.r.IntN(50))
	}
	actions := []string{"Allow", "Deny"}
	if pass && !baseline {
		actions = append(actions, "Pass")
	}
	for _, dir := range []string{"ingress", "egress"} {
		var rules []any
		for range g.r.IntN(3) {
			var peer map[string]any
			switch {
			case dir == "egress" && g.chance(0.4):
				peer = map[string]any{"networks": []any{pick(g, cidrs...)}}
			case g.chance(0.5):
				peer = map[string]any{"namespaces": selectorMap(g.labelSelector(true))}
			default:
				peer = map[string]any{"pods": map[string]any{"namespaceSelector": selectorMap(g.labelSelector(true)), "podSelector": selectorMap(g.labelSelector(false))}}
			}
			r := map[string]any{"name": "r", "action": pick(g, actions...)}
			if dir == "ingress" {
				r["from"] = []any{peer}
			} else {
				r["to"] = []any{peer}
			}
			if g.chance(0.4) {
				r["ports"] = []any{map[string]any{"portNumber": map[string]any{"protocol": "TCP", "port": int64(pick(g, 80, 5432))}}}
			}
			rules = append(rules, r)
		}
		if len(rules) > 0 {
			spec[dir] = rules
		}
	}
	return spec
}
