// The entry layer: where an attacker starts. A workload the user assumes breached is an
// entry of its own (--assume-breach); the internet is the entry of every workload that
// is exposed to it:
//
//   - the workloads a Service selects, when the Service is a LoadBalancer open to any
//     address (svc/load-balancer-open), a NodePort (svc/node-port) or claims
//     externalIPs (svc/external-ips): the finding is the evidence, its rule's
//     remediation the fix;
//   - the workloads behind an Ingress (networking.k8s.io/v1) or a Gateway API route
//     (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) attached to a Gateway: every
//     backend Service's workloads, with the route as evidence and its removal as the fix;
//   - workloads on the host network (pod/host-namespaces at hostNetwork) or with a host
//     port (pod/host-ports), reachable at their node's addresses.
//
// A workload exposed in two ways stays exposed until both are closed: its edge's fix
// is then one change that closes both (exposer.addEdges).
package paths

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
)

// Assumptions of the entry layer.
var (
	assumeBreach = Assumption{
		Text: "the workloads named by --assume-breach are compromised: an attacker runs code in their pods",
		Flag: "--assume-breach",
	}
	assumeExposedReachable = Assumption{
		Text: "a LoadBalancer, NodePort or externalIP Service and every Ingress and Gateway are reachable from the internet",
	}
	assumeHostReachable = Assumption{
		Text: "a hostNetwork or hostPort workload is reachable at its node's addresses, and those are reachable from the internet",
	}
)

// breachEvidence is the evidence of every assumed breach.
const breachEvidence = "assumed breached (--assume-breach)"

// breaches adds an entry for each workload that Options.Breached names.
func (b *builder) breaches() error {
	for _, name := range b.opt.Breached {
		o, err := b.breachedWorkload(name)
		if err != nil {
			return err
		}
		r := o.Ref()
		ref := o.EffectiveNamespace() + "/" + r.Kind + "/" + r.Name
		entry := b.g.node(Node{ID: BreachID(ref), Kind: KindEntry, Namespace: o.EffectiveNamespace(),
			Name: ref + " (assumed breached)", Resource: &r}).ID
		b.g.edge(entry, b.workload(o), EdgeEntry, Evidence{Message: breachEvidence, Resource: &r, Source: o.Source})
		b.assume(assumeBreach)
	}
	return nil
}

// breachedWorkload finds the workload "NS/KIND/NAME" names: its kind in any case
// ("deployment" is Deployment), its namespace as it is applied ("default" when the
// manifest names none).
func (b *builder) breachedWorkload(name string) (*inventory.Object, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 3 || slices.Contains(parts, "") {
		return nil, fmt.Errorf("--assume-breach %q: want NAMESPACE/KIND/NAME, such as shop/Deployment/web", name)
	}
	for _, o := range b.inv.Objects {
		if b.workloads[o.Ref()] == o && strings.EqualFold(o.Kind(), parts[1]) &&
			o.EffectiveNamespace() == parts[0] && o.Name() == parts[2] {
			return o, nil
		}
	}
	return nil, fmt.Errorf("--assume-breach %s: no such workload in the inputs", name)
}

// exposure adds the internet's entry edges.
func (b *builder) exposure() error {
	x := &exposer{b: b, ways: map[*inventory.Object][]*exposeWay{}, byNS: map[string][]*inventory.Object{}}
	x.running = b.running()
	for _, o := range x.running {
		x.byNS[o.EffectiveNamespace()] = append(x.byNS[o.EffectiveNamespace()], o)
	}
	for _, step := range []func(){x.services, x.ingresses, x.routes, x.hostNetwork} {
		step()
		if err := b.ctx.Err(); err != nil {
			return err
		}
	}
	x.addEdges()
	return nil
}

// exposer gathers the ways in of each workload, then adds their edges.
type exposer struct {
	b *builder
	// running are the workloads that run pods (builder.running), byNS the same by
	// namespace.
	running []*inventory.Object
	byNS    map[string][]*inventory.Object
	// ways are the ways in of each exposed workload, in the order found; exposed
	// lists the workloads in the order first found.
	ways    map[*inventory.Object][]*exposeWay
	exposed []*inventory.Object
}

// exposeWay is one way in: the fix that closes it (an Ingress removed, a Service's
// finding fixed) and its evidence.
type exposeWay struct {
	fix      *Fix
	evidence []Evidence
}

// expose records a way in to workload o.
func (x *exposer) expose(o *inventory.Object, ev Evidence, fix *Fix, a Assumption) {
	ways := x.ways[o]
	if len(ways) == 0 {
		x.exposed = append(x.exposed, o)
	}
	i := slices.IndexFunc(ways, func(w *exposeWay) bool { return w.fix == fix })
	if i < 0 {
		i = len(ways)
		x.ways[o] = append(ways, &exposeWay{fix: fix})
	}
	x.ways[o][i].evidence = append(x.ways[o][i].evidence, ev)
	x.b.assume(a)
}

// addEdges adds an edge from the internet to each exposed workload, with the evidence
// of every way in. An edge's fixes are alternatives, any one of which removes it: a
// workload with one way in is cut off by that way's fix; one with several stays
// exposed until all are closed, and gets one fix that closes them all.
func (x *exposer) addEdges() {
	for _, o := range x.exposed {
		to := x.b.workload(o)
		ways := x.ways[o]
		fix := ways[0].fix
		if len(ways) > 1 {
			fix = x.closeAll(o, ways)
		}
		for _, w := range ways {
			for _, ev := range w.evidence {
				x.b.g.edge(InternetID, to, EdgeEntry, ev, fix)
			}
		}
	}
}

// closeAll is the fix that closes every way in to a workload.
func (x *exposer) closeAll(o *inventory.Object, ways []*exposeWay) *Fix {
	r := o.Ref()
	ids := make([]string, len(ways))
	steps := make([]string, len(ways))
	for i, w := range ways {
		ids[i] = w.fix.ID
		steps[i] = fmt.Sprintf("(%s) %s", w.fix.ID, w.fix.Remediation)
	}
	return x.b.g.fix(Fix{
		ID:          "exposure " + strings.Join(ids, "+") + " " + r.String(),
		Resource:    &r,
		Remediation: "Close every way in from the internet, all of: " + strings.Join(steps, " "),
	})
}

// running lists, in input order, the workloads whose pods run and that a Service can
// select: not a PodTemplate (which runs nothing), and not an object whose controller
// is in the inputs (a Deployment's ReplicaSet: the Deployment stands for it).
func (b *builder) running() []*inventory.Object {
	var out []*inventory.Object
	for _, o := range b.inv.Objects {
		if b.workloads[o.Ref()] == o && o.Kind() != "PodTemplate" && !b.inv.HasOwnerOf(o) {
			out = append(out, o)
		}
	}
	return out
}

// selected are the workloads of a namespace whose pod template a Service's selector
// matches; a Service without a selector selects nothing we can see (its Endpoints are
// written by hand).
func (x *exposer) selected(ns string, selector map[string]string) []*inventory.Object {
	if len(selector) == 0 {
		return nil
	}
	sel := labels.SelectorFromSet(selector)
	var out []*inventory.Object
	for _, o := range x.byNS[ns] {
		if p, ok := podspec.Of(o); ok && sel.Matches(labels.Set(p.Meta.Labels)) {
			out = append(out, o)
		}
	}
	return out
}

// serviceRules are the rules whose findings on a Service expose its workloads.
var serviceRules = []string{"svc/load-balancer-open", "svc/node-port", "svc/external-ips"}

// services exposes the workloads of open LoadBalancer, NodePort and externalIP Services.
func (x *exposer) services() {
	for _, o := range x.b.inv.Kind("Service") {
		svc, ok := o.Obj.(*corev1.Service)
		if !ok {
			continue
		}
		var (
			behind []*inventory.Object
			looked bool
		)
		for _, id := range serviceRules {
			fs := x.b.findingsOf(id, o.Ref())
			if len(fs) > 0 && !looked {
				behind, looked = x.selected(o.EffectiveNamespace(), svc.Spec.Selector), true
			}
			for _, f := range fs {
				for _, w := range behind {
					x.expose(w, evidence(f), x.b.fixOf(f), assumeExposedReachable)
				}
			}
		}
	}
}

// routeRemediation is the fix of an Ingress or a Gateway API route.
const routeRemediation = "Remove the route, or put authentication in front of it"

// ingresses exposes the workloads of the Services that Ingresses route to.
func (x *exposer) ingresses() {
	for _, o := range x.b.inv.Kind("Ingress") {
		in, ok := o.Obj.(*networkingv1.Ingress)
		if !ok {
			continue
		}
		ns := o.EffectiveNamespace()
		name := ns + "/" + in.Name
		r := o.Ref()
		fix := x.b.g.fix(Fix{ID: "ingress-route " + name, Resource: &r, Remediation: routeRemediation})
		route := func(backend *networkingv1.IngressBackend, where, path string) {
			if backend == nil || backend.Service == nil || backend.Service.Name == "" {
				return
			}
			ev := Evidence{
				Message:  fmt.Sprintf("exposed by Ingress %s %s (Service %s)", name, where, backend.Service.Name),
				Resource: &r, Path: path + ".service.name", Source: o.SourceAt(path + ".service.name"),
			}
			for _, w := range x.serviceWorkloads(ns, backend.Service.Name) {
				x.expose(w, ev, fix, assumeExposedReachable)
			}
		}
		route(in.Spec.DefaultBackend, "default backend", "spec.defaultBackend")
		for i, rule := range in.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for j, p := range rule.HTTP.Paths {
				route(&p.Backend, requestTarget(rule.Host, p.Path), fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, j))
			}
		}
	}
}

// requestTarget is "host/path" as a request names it, "*" for any host.
func requestTarget(host, path string) string {
	if host == "" {
		host = "*"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return host + path
}

// serviceWorkloads are the workloads behind the Service of a namespace and name.
func (x *exposer) serviceWorkloads(ns, name string) []*inventory.Object {
	o := x.b.inv.Find("Service", ns, name)
	if o == nil {
		return nil
	}
	svc, ok := o.Obj.(*corev1.Service)
	if !ok {
		return nil
	}
	return x.selected(ns, svc.Spec.Selector)
}

// gatewayGroup is the Gateway API's group; routeKinds are its route kinds, all of which
// name their parents and backends alike.
const gatewayGroup = "gateway.networking.k8s.io"

var routeKinds = []string{"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"}

// routeShape is what the layer reads of a Gateway API route (kept unstructured by the
// loader). Group and Kind are pointers: absent means the API's default.
type routeShape struct {
	Spec struct {
		ParentRefs []routeRef `json:"parentRefs"`
		Hostnames  []string   `json:"hostnames"`
		Rules      []struct {
			Matches []struct {
				Path *struct {
					Value string `json:"value"`
				} `json:"path"`
			} `json:"matches"`
			BackendRefs []routeRef `json:"backendRefs"`
		} `json:"rules"`
	} `json:"spec"`
}

// routeRef is a parentRef or backendRef of a route.
type routeRef struct {
	Group     *string `json:"group"`
	Kind      *string `json:"kind"`
	Namespace string  `json:"namespace"`
	Name      string  `json:"name"`
}

// is reports a reference to the group and kind, given the defaults of the field.
func (r routeRef) is(group, kind, defaultGroup, defaultKind string) bool {
	g, k := defaultGroup, defaultKind
	if r.Group != nil {
		g = *r.Group
	}
	if r.Kind != nil {
		k = *r.Kind
	}
	return g == group && k == kind
}

// routes exposes the workloads of the Services that Gateway API routes attached to a
// Gateway send traffic to. A route whose parents are all Services (GAMMA, a mesh's
// routing inside the cluster) exposes nothing.
func (x *exposer) routes() {
	for _, kind := range routeKinds {
		for _, o := range x.b.inv.Kind(kind) {
			if o.GVK.Group != gatewayGroup {
				continue
			}
			var route routeShape
			if raw, err := json.Marshal(o.Obj); err != nil || json.Unmarshal(raw, &route) != nil {
				continue
			}
			x.route(o, &route)
		}
	}
}

func (x *exposer) route(o *inventory.Object, route *routeShape) {
	ns := o.EffectiveNamespace()
	var gateways []string
	for _, p := range route.Spec.ParentRefs {
		if p.is(gatewayGroup, "Gateway", gatewayGroup, "Gateway") && p.Name != "" {
			gateways = append(gateways, cmp.Or(p.Namespace, ns)+"/"+p.Name)
		}
	}
	if len(gateways) == 0 {
		return
	}
	name := ns + "/" + o.Name()
	r := o.Ref()
	fix := x.b.g.fix(Fix{ID: "gateway-route " + o.Kind() + " " + name, Resource: &r, Remediation: routeRemediation})
	hosts := "*"
	if len(route.Spec.Hostnames) > 0 {
		hosts = strings.Join(route.Spec.Hostnames, ",")
	}
	for i, rule := range route.Spec.Rules {
		where := hosts
		var paths []string
		for _, m := range rule.Matches {
			if m.Path != nil && m.Path.Value != "" {
				paths = append(paths, m.Path.Value)
			}
		}
		if len(paths) > 0 {
			where = requestTarget(hosts, strings.Join(paths, ","))
		}
		for j, be := range rule.BackendRefs {
			if !be.is("", "Service", "", "Service") || be.Name == "" {
				continue
			}
			svcNS := cmp.Or(be.Namespace, ns)
			path := fmt.Sprintf("spec.rules[%d].backendRefs[%d]", i, j)
			ev := Evidence{
				Message:  fmt.Sprintf("exposed by %s %s %s through Gateway %s (Service %s/%s)", o.Kind(), name, where, strings.Join(gateways, ", "), svcNS, be.Name),
				Resource: &r, Path: path, Source: o.SourceAt(path),
			}
			for _, w := range x.serviceWorkloads(svcNS, be.Name) {
				x.expose(w, ev, fix, assumeExposedReachable)
			}
		}
	}
}

// hostNetwork exposes the workloads on the node's network: hostNetwork (the
// pod/host-namespaces finding at that field) and host ports.
func (x *exposer) hostNetwork() {
	for _, o := range x.running {
		for _, f := range x.b.findingsOf("pod/host-namespaces", o.Ref()) {
			if strings.Contains(f.Path, "hostNetwork") {
				x.expose(o, evidence(f), x.b.fixOf(f), assumeHostReachable)
			}
		}
		for _, f := range x.b.findingsOf("pod/host-ports", o.Ref()) {
			x.expose(o, evidence(f), x.b.fixOf(f), assumeHostReachable)
		}
	}
}
