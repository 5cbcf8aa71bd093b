package generate

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
)

// apiServer is how egress to the API server is written.
type apiServer struct {
	prefixes []netip.Prefix
	ports    reach.PortSet
	// unknown: no addresses given; any address but link-local.
	unknown bool
	// from says where the addresses come from, for the note.
	from string
}

func (a apiServer) peers() []networkingv1.NetworkPolicyPeer {
	if a.unknown {
		return []networkingv1.NetworkPolicyPeer{internetPeer()}
	}
	var out []networkingv1.NetworkPolicyPeer
	for _, p := range a.prefixes {
		out = append(out, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: p.String()}})
	}
	return out
}

func internetPeer() networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: anyIPv4.String(), Except: []string{linkLocal.String()}}}
}

// apiServerAddresses are Options.APIServer, else the endpoints of default/kubernetes
// in the inputs, else unknown. Policies see a connection to the kubernetes Service
// after it is translated to an endpoint, so the endpoints' addresses and ports are
// what a rule must name (443 is kept: it is the Service's port, and the endpoints' on
// most managed clusters).
func (g *gen) apiServerAddresses() apiServer {
	std := reach.Port(reach.TCP, 443).Union(reach.Port(reach.TCP, 6443))
	if len(g.opt.APIServer) > 0 {
		ps := slices.Clone(g.opt.APIServer)
		slices.SortFunc(ps, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
		return apiServer{prefixes: slices.Compact(ps), ports: std, from: "the addresses given"}
	}
	var addrs []netip.Addr
	ports := reach.Port(reach.TCP, 443)
	add := func(ip string) {
		if a, err := netip.ParseAddr(ip); err == nil {
			addrs = append(addrs, a.Unmap())
		}
	}
	for _, o := range g.inv.Kind("Endpoints") {
		e, ok := o.Obj.(*corev1.Endpoints)
		if !ok || o.EffectiveNamespace() != "default" || e.Name != "kubernetes" {
			continue
		}
		for _, s := range e.Subsets {
			for _, a := range s.Addresses {
				add(a.IP)
			}
			for _, p := range s.Ports {
				ports = ports.Union(reach.Port(reach.TCP, p.Port))
			}
		}
	}
	for _, o := range g.inv.Kind("EndpointSlice") {
		e, ok := o.Obj.(*discoveryv1.EndpointSlice)
		if !ok || o.EffectiveNamespace() != "default" || e.Labels[discoveryv1.LabelServiceName] != "kubernetes" {
			continue
		}
		for _, ep := range e.Endpoints {
			for _, a := range ep.Addresses {
				add(a)
			}
		}
		for _, p := range e.Ports {
			if p.Port != nil {
				ports = ports.Union(reach.Port(reach.TCP, *p.Port))
			}
		}
	}
	if len(addrs) == 0 {
		return apiServer{ports: std, unknown: true}
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	var ps []netip.Prefix
	for _, a := range slices.Compact(addrs) {
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	return apiServer{prefixes: ps, ports: ports, from: "the endpoints of default/kubernetes in the inputs"}
}

// serviceAccount is the service account a pod runs as.
func serviceAccount(spec *corev1.PodSpec) string {
	return firstOf(spec.ServiceAccountName, spec.DeprecatedServiceAccount, "default")
}

func firstOf(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// tokenMounted reports whether a pod gets a token for the API server: automounted
// (automountServiceAccountToken not false on the pod, or when the pod does not say,
// on its service account), or a projected service account token for the API server's
// audience (no audience given).
func (g *gen) tokenMounted(ns string, spec *corev1.PodSpec, sa string) bool {
	auto := true
	if spec.AutomountServiceAccountToken != nil {
		auto = *spec.AutomountServiceAccountToken
	} else if o := g.inv.Find("ServiceAccount", ns, sa); o != nil {
		if s, ok := o.Obj.(*corev1.ServiceAccount); ok && s.AutomountServiceAccountToken != nil {
			auto = *s.AutomountServiceAccountToken
		}
	}
	if auto {
		return true
	}
	for _, v := range spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil && s.ServiceAccountToken.Audience == "" {
				return true
			}
		}
	}
	return false
}

// identity is who a workload's pods are to the API server.
type identity struct {
	ns, sa string
	user   string
	groups []string
}

func identityOf(w *reach.Workload) (identity, *corev1.PodSpec, bool) {
	pod, ok := podspec.Of(w.Obj)
	if !ok {
		return identity{}, nil, false
	}
	sa := serviceAccount(pod.Spec)
	return identity{ns: w.Namespace, sa: sa, user: authz.ServiceAccountUser(w.Namespace, sa), groups: authz.ServiceAccountGroups(w.Namespace)}, pod.Spec, true
}

// can reports whether the identity may do verb on resource in its namespace or cluster-wide.
func (g *gen) can(id identity, verb, group, resource string) bool {
	for _, ns := range []string{id.ns, ""} {
		if ok, _ := g.rbac.Allows(authz.Request{User: id.user, Groups: id.groups, Verb: verb, APIGroup: group, Resource: resource, Namespace: ns}); ok {
			return true
		}
	}
	return false
}

// discovers reports whether the identity may look up where to connect at run time:
// list or watch pods, Services, Endpoints or EndpointSlices.
func (g *gen) discovers(id identity) bool {
	for _, r := range [][2]string{{"", "pods"}, {"", "services"}, {"", "endpoints"}, {"discovery.k8s.io", "endpointslices"}} {
		for _, verb := range []string{"list", "watch"} {
			if g.can(id, verb, r[0], r[1]) {
				return true
			}
		}
	}
	return false
}

// apiServerFlows adds egress to the API server for every workload whose service
// account is named by an RBAC binding of the inputs (directly, or by one of its groups)
// or whose token is mounted, and warns about workloads that find peers at run time.
func (g *gen) apiServerFlows() {
	g.api = g.apiServerAddresses()
	var granted, tokenOnly, discovering []string
	for _, w := range g.m.Workloads {
		if !g.genEg[w.Namespace] {
			continue
		}
		id, spec, ok := identityOf(w)
		if !ok {
			continue
		}
		var via []string
		for _, b := range g.rbac.Bindings() {
			if rbac.IsBuiltinSource(b.Source) {
				continue // system:basic-user and the like bind every account: to discovery only
			}
			if b.Applies(id.user, id.groups) {
				via = append(via, b.Kind+" "+b.Ref())
			}
		}
		slices.Sort(via)
		via = slices.Compact(via)
		var why string
		switch {
		case len(via) > 0:
			if len(via) > 3 {
				via = append(via[:3], fmt.Sprintf("%d more", len(via)-3))
			}
			why = fmt.Sprintf("service account %s/%s is bound by %s", id.ns, id.sa, strings.Join(via, ", "))
			granted = append(granted, w.Ref().String())
		case g.tokenMounted(w.Namespace, spec, id.sa):
			why = fmt.Sprintf("the token of service account %s/%s is mounted", id.ns, id.sa)
			tokenOnly = append(tokenOnly, w.Ref().String())
		default:
			continue
		}
		g.addFlow(w.Ref(), KubeAPIServer, g.api.ports, why)
		if g.discovers(id) {
			discovering = append(discovering, w.Ref().String())
		}
	}
	if len(granted)+len(tokenOnly) > 0 {
		where := fmt.Sprintf("%s (%s)", prefixesText(g.api.prefixes), g.api.from)
		if g.api.unknown {
			where = "any address but 169.254.0.0/16: the API server's addresses are not in the inputs. Give them (the endpoints of default/kubernetes, not its cluster IP: policies see the connection after the Service is translated) to allow only those"
		}
		g.note("Egress to the API server (for workloads whose service account has RBAC bindings or a mounted token) is on %s to %s.", g.api.ports, where)
	}
	if len(tokenOnly) > 0 {
		g.note("These workloads get egress to the API server only because their service account token is mounted: set automountServiceAccountToken: false on those that do not call the API and generate again: %s.", strings.Join(tokenOnly, ", "))
	}
	for _, w := range discovering {
		g.warn("%s may list Pods, Services or Endpoints through the API: the peers it finds at run time are not inferred.", w)
	}
}

func prefixesText(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}

// content is an object as nested maps, whatever its type.
func content(o *inventory.Object) map[string]any {
	if u, ok := o.Obj.(*unstructured.Unstructured); ok {
		return u.Object
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Obj)
	if err != nil {
		return nil
	}
	return m
}

func str(m map[string]any, path ...string) string {
	s, _, _ := unstructured.NestedString(m, path...)
	return s
}

// num reads an integer field however it was decoded (int64, float64, a digit string).
func num(m map[string]any, path ...string) (int32, bool) {
	v, ok, _ := unstructured.NestedFieldNoCopy(m, path...)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return int32(n), true
	case int32:
		return n, true
	case int:
		return int32(n), true
	case float64:
		return int32(n), true
	case string:
		i, err := strconv.Atoi(n)
		return int32(i), err == nil
	}
	return 0, false
}

// svcRef is a Service the API server calls: namespace, name and port.
type svcRef struct {
	ns, name string
	port     int32
}

func serviceRef(m map[string]any, path ...string) (svcRef, bool) {
	s, ok, _ := unstructured.NestedMap(m, path...)
	if !ok || str(s, "name") == "" {
		return svcRef{}, false
	}
	r := svcRef{ns: firstOf(str(s, "namespace"), "default"), name: str(s, "name"), port: 443}
	if p, ok := num(s, "port"); ok && p != 0 {
		r.port = p
	}
	return r, true
}

// webhookFlows adds ingress from anywhere to the Services the API server calls:
// admission webhooks, aggregated APIs (APIService) and CRD conversion webhooks.
func (g *gen) webhookFlows() {
	var called []string
	for _, o := range g.inv.Objects {
		switch o.Kind() {
		case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "CustomResourceDefinition":
		default:
			continue
		}
		c := content(o)
		if c == nil {
			continue
		}
		var refs []svcRef
		switch {
		case o.GVK.Group == "admissionregistration.k8s.io" && (o.Kind() == "ValidatingWebhookConfiguration" || o.Kind() == "MutatingWebhookConfiguration"):
			hooks, _, _ := unstructured.NestedSlice(c, "webhooks")
			for _, h := range hooks {
				if hm, ok := h.(map[string]any); ok {
					if r, ok := serviceRef(hm, "clientConfig", "service"); ok {
						refs = append(refs, r)
					}
				}
			}
		case o.GVK.Group == "apiregistration.k8s.io" && o.Kind() == "APIService":
			if r, ok := serviceRef(c, "spec", "service"); ok {
				refs = append(refs, r)
			}
		case o.GVK.Group == "apiextensions.k8s.io" && o.Kind() == "CustomResourceDefinition":
			for _, path := range [][]string{{"spec", "conversion", "webhook", "clientConfig", "service"}, {"spec", "conversion", "webhookClientConfig", "service"}} {
				if r, ok := serviceRef(c, path...); ok {
					refs = append(refs, r)
				}
			}
		default:
			continue
		}
		for _, r := range refs {
			what := fmt.Sprintf("%s %s", o.Kind(), o.Name())
			s := g.byNS[r.ns+"/"+r.name]
			if s == nil || len(s.backends) == 0 {
				if g.covered(r.ns) {
					g.warn("%s calls Service %s/%s, which is not in the inputs or has no pods there: allow ingress from anywhere to its pods on the Service's target port.", what, r.ns, r.name)
				}
				continue
			}
			if !g.serviceFlows(Anywhere, s, r.port, "", fmt.Sprintf("the API server calls Service %s on port %d for %s", s.ref(), r.port, what)) {
				if g.genIn[r.ns] {
					g.warn("%s calls Service %s on port %d, which the Service does not have: not allowed.", what, s.ref(), r.port)
				}
				continue
			}
			if g.genIn[r.ns] {
				called = appendOnce(called, s.ref())
			}
		}
	}
	if len(called) > 0 {
		slices.Sort(called)
		g.note("Ingress from anywhere to the pods of the Services the API server calls (%s), on their target ports: the API server is not a pod and its address is not known, so the rules name no source. Name the control plane's addresses in them if you know them.", strings.Join(called, ", "))
	}
}

// exposureFlows adds ingress from anywhere to the backends of LoadBalancer, NodePort
// and externalIPs Services, and from the ingress controllers (or, when none is in the
// inputs, from any pod) to the backends of Ingress objects.
func (g *gen) exposureFlows() {
	exposed := map[*reach.Workload]string{}
	for _, s := range g.svcs {
		t := s.obj.Spec.Type
		how := ""
		switch {
		case t == corev1.ServiceTypeLoadBalancer || t == corev1.ServiceTypeNodePort:
			how = "of type " + string(t)
		case len(s.obj.Spec.ExternalIPs) > 0:
			how = "with externalIPs"
		default:
			continue
		}
		for _, b := range s.backends {
			exposed[b] = s.ref()
		}
		g.serviceFlows(Anywhere, s, 0, "", fmt.Sprintf("Service %s %s receives traffic from outside the cluster", s.ref(), how))
		if g.genIn[s.ns] {
			g.note("Service %s is %s: its pods accept connections from anywhere on its target ports. Name your clients' or load balancer's ranges in the rule if you know them.", s.ref(), how)
		}
	}
	// Ingress controllers: exposed outside the cluster and allowed to list Ingresses.
	var controllers []*reach.Workload
	for _, w := range g.m.Workloads {
		if _, ok := exposed[w]; !ok {
			continue
		}
		if id, _, ok := identityOf(w); ok && g.can(id, "list", "networking.k8s.io", "ingresses") {
			controllers = append(controllers, w)
		}
	}
	var names []string
	for _, c := range controllers {
		names = append(names, fmt.Sprintf("%s (exposed by Service %s)", c.Ref(), exposed[c]))
	}
	for _, o := range g.inv.Kind("Ingress") {
		c := content(o)
		if c == nil {
			continue
		}
		ns := o.EffectiveNamespace()
		var backends []map[string]any
		for _, path := range [][]string{{"spec", "defaultBackend"}, {"spec", "backend"}} {
			if b, ok, _ := unstructured.NestedMap(c, path...); ok {
				backends = append(backends, b)
			}
		}
		rules, _, _ := unstructured.NestedSlice(c, "spec", "rules")
		for _, r := range rules {
			rm, _ := r.(map[string]any)
			paths, _, _ := unstructured.NestedSlice(rm, "http", "paths")
			for _, p := range paths {
				pm, _ := p.(map[string]any)
				if b, ok, _ := unstructured.NestedMap(pm, "backend"); ok {
					backends = append(backends, b)
				}
			}
		}
		for _, b := range backends {
			name, portName := str(b, "service", "name"), str(b, "service", "port", "name")
			port, _ := num(b, "service", "port", "number")
			if name == "" { // extensions/v1beta1 and networking.k8s.io/v1beta1
				name = str(b, "serviceName")
				if p, ok := num(b, "servicePort"); ok {
					port = p
				} else {
					portName = str(b, "servicePort")
				}
			}
			if name == "" {
				continue
			}
			s := g.byNS[ns+"/"+name]
			if s == nil || len(s.backends) == 0 {
				if g.covered(ns) {
					g.warn("Ingress %s/%s routes to Service %s/%s, which is not in the inputs or has no pods there: not allowed.", ns, o.Name(), ns, name)
				}
				continue
			}
			why := fmt.Sprintf("Ingress %s/%s routes to Service %s", ns, o.Name(), s.ref())
			if !slices.ContainsFunc(s.ports, func(sp corev1.ServicePort) bool {
				return (port == 0 || sp.Port == port) && (portName == "" || sp.Name == portName)
			}) {
				if g.genIn[ns] {
					g.warn("Ingress %s/%s routes to port %s of Service %s, which the Service does not have: not allowed.", ns, o.Name(), firstOf(portName, strconv.Itoa(int(port))), s.ref())
				}
				continue
			}
			if len(controllers) == 0 {
				g.serviceFlows(AnyPod, s, port, portName, why+" (its controller is not in the inputs)")
				if g.genIn[ns] {
					g.note("Ingress %s/%s: no ingress controller in the inputs (a workload exposed by a LoadBalancer or NodePort Service that may list Ingresses), so any pod may connect to Service %s's pods on its target ports. Narrow the rule to your controller's namespace and pods; a controller on the host network connects from node addresses (add an ipBlock).", ns, o.Name(), s.ref())
				}
				continue
			}
			for _, ctl := range controllers {
				g.serviceFlows(ctl.Ref(), s, port, portName, why)
			}
		}
	}
	for _, o := range g.inv.Objects {
		if o.GVK.Group == "gateway.networking.k8s.io" && strings.HasSuffix(o.Kind(), "Route") && g.genIn[o.EffectiveNamespace()] {
			g.warn("%s %s/%s: Gateway API routes are not followed; allow ingress from your gateway's pods to its backends.", o.Kind(), o.EffectiveNamespace(), o.Name())
		}
	}
	if len(controllers) > 0 && len(g.inv.Kind("Ingress")) > 0 {
		g.note("Ingress controllers: %s. They may connect to the backends of every Ingress of the inputs.", strings.Join(names, ", "))
	}
}
