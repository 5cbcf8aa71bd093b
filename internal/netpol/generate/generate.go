// Package generate infers the connections a set of manifests needs and writes
// NetworkPolicies that allow them and little else:
//
//   - which workload calls which Service, found by the Service's DNS name or host:port in
//     environment variables, arguments and ConfigMaps, and the hosts outside the cluster
//     named there by URL or host:port;
//   - egress to the API server for workloads whose service account has RBAC bindings or
//     whose token is mounted;
//   - ingress from anywhere to the Services the API server calls (admission webhooks,
//     aggregated APIs, CRD conversion webhooks) and to LoadBalancer, NodePort and
//     externalIPs Services;
//   - ingress to Ingress backends from the ingress controllers of the inputs;
//   - the connections the NetworkPolicies of the inputs allow by naming their peer.
//
// Per namespace it writes a default deny and DNS egress to kube-dns, and per workload one
// policy for its inbound and outbound flows. By default the NetworkPolicies of the inputs
// are kept and the generated ones only add to them (see Options.Narrow and docs/netpol.md).
//
// It is pure: it reads the inventory and returns a plan; WriteYAML renders it.
// kube-system is never given policies (its components need traffic Moat cannot see).
package generate

import (
	"cmp"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
)

// Options tune the generation.
type Options struct {
	// Narrow replaces the NetworkPolicies of the inputs instead of adding to them: they
	// are ignored, every namespace with workloads (but kube-system) gets a default deny
	// for ingress and egress, and the notes name the policies to delete. Off (the
	// default), the existing policies are kept and the generated ones never take away
	// a connection they allow by naming its peer, nor isolate a direction that a
	// namespace with policies leaves open.
	Narrow bool
	// APIServer are the addresses pods reach the API server at (the endpoints of the
	// default/kubernetes Service). Empty: those of an Endpoints or EndpointSlice of
	// default/kubernetes in the inputs; without one, every address but link-local.
	APIServer []netip.Prefix
}

// Flow is one connection the inputs show to be needed: Src may open connections to Dst
// on Ports. Src and Dst are workloads, or one of the pseudo endpoints Anywhere, AnyPod,
// KubeAPIServer and Internet, or (for an IP address named in the manifests) a CIDR.
type Flow struct {
	Src, Dst reach.Endpoint
	Ports    reach.PortSet
	// Why says where the need was found: `Service shop/db referenced in env DB_HOST of container "api"`.
	Why []string
	// reasons are the Why entries with the ports each one needs.
	reasons []reason
}

type reason struct {
	why   string
	ports reach.PortSet
}

// whyFor lists the reasons that need some of ports.
func (f Flow) whyFor(ports reach.PortSet) string {
	var out []string
	for _, r := range f.reasons {
		if !r.ports.Intersect(ports).IsEmpty() {
			out = appendOnce(out, r.why)
		}
	}
	return strings.Join(out, "; ")
}

// Pseudo endpoints of flows.
var (
	// Anywhere is every source, in and outside the cluster: the API server calling a
	// webhook, the clients of a LoadBalancer. It is written as a rule without from.
	Anywhere = reach.Endpoint{IPBlock: "anywhere"}
	// AnyPod is every pod of every namespace (namespaceSelector: {}).
	AnyPod = reach.Endpoint{IPBlock: "any pod"}
	// KubeAPIServer is the API server, written as ipBlocks (see Options.APIServer).
	KubeAPIServer = reach.Endpoint{IPBlock: "kube-apiserver"}
	// Internet is a host outside the cluster whose addresses are unknown: 0.0.0.0/0
	// except the link-local range (where the cloud metadata service is).
	Internet = reach.Endpoint{IPBlock: "0.0.0.0/0"}
)

// Plan is what generate infers and writes.
type Plan struct {
	// Namespaces are the namespaces that get policies.
	Namespaces []string
	Flows      []Flow
	Policies   []*networkingv1.NetworkPolicy
	// Comments holds, per policy name "NS/NAME", the lines written above it.
	Comments map[string][]string
	// Notes are decisions a person should review (traffic allowed from anywhere, the
	// API server's addresses, existing policies kept or to delete).
	Notes []string
	// Warnings name what could not be inferred, with the workloads concerned: hosts
	// without a port, Services without a selector, peers found at run time.
	Warnings []string
}

var (
	anyIPv4   = netip.MustParsePrefix("0.0.0.0/0")
	linkLocal = netip.MustParsePrefix("169.254.0.0/16")
)

// Infer builds the plan of an inventory with the default options.
func Infer(inv *inventory.Inventory) *Plan { return InferWith(inv, Options{}) }

// InferWith builds the plan of an inventory.
func InferWith(inv *inventory.Inventory, opt Options) *Plan {
	g := &gen{
		inv:      inv,
		opt:      opt,
		m:        reach.FromInventory(inv),
		rbac:     rbac.PolicyOf(inv),
		p:        &Plan{Comments: map[string][]string{}},
		flows:    map[[2]reach.Endpoint]*Flow{},
		byRef:    map[reach.Endpoint]*reach.Workload{},
		genIn:    map[string]bool{},
		genEg:    map[string]bool{},
		warnings: map[string]bool{},
		isoMemo:  map[isoKey]bool{},
	}
	g.inNS = map[string][]*reach.Workload{}
	for _, w := range g.m.Workloads {
		g.byRef[w.Ref()] = w
		g.inNS[w.Namespace] = append(g.inNS[w.Namespace], w)
	}
	g.namespaces()
	g.services()
	g.referenceFlows()
	g.dnsFlows()
	g.apiServerFlows()
	g.webhookFlows()
	g.exposureFlows()
	g.existingFlows()
	g.hostNetworkWarnings()
	for _, f := range g.flows {
		if !f.Ports.IsEmpty() && g.relevant(f) {
			g.p.Flows = append(g.p.Flows, *f)
		}
	}
	slices.SortFunc(g.p.Flows, func(a, b Flow) int {
		return cmp.Or(strings.Compare(a.Src.String(), b.Src.String()), strings.Compare(a.Dst.String(), b.Dst.String()))
	})
	g.build()
	for w := range g.warnings {
		g.p.Warnings = append(g.p.Warnings, w)
	}
	slices.Sort(g.p.Warnings)
	return g.p
}

// gen is the state of one generation.
type gen struct {
	inv  *inventory.Inventory
	opt  Options
	m    *reach.Model
	rbac *authz.Policy
	p    *Plan

	svcs  []*service
	byNS  map[string]*service // "ns/name" → Service, selectorless ones included
	byRef map[reach.Endpoint]*reach.Workload
	inNS  map[string][]*reach.Workload
	flows map[[2]reach.Endpoint]*Flow
	// genIn and genEg are the namespaces whose ingress and egress the generated
	// policies isolate (a default deny for that direction).
	genIn, genEg map[string]bool
	// existing are the NetworkPolicies of the inputs that are kept, by namespace (none with Narrow).
	existing map[string][]*reach.Policy
	// api is how the API server is written.
	api      apiServer
	warnings map[string]bool
	isoMemo  map[isoKey]bool
}

func (g *gen) warn(format string, args ...any) { g.warnings[fmt.Sprintf(format, args...)] = true }

// covered reports whether the namespace gets policies.
func (g *gen) covered(ns string) bool { return g.genIn[ns] || g.genEg[ns] }

// relevant keeps the flows that a generated policy may have to allow: one end is a
// workload whose namespace gets policies for that direction.
func (g *gen) relevant(f *Flow) bool {
	if w := g.byRef[f.Src]; w != nil && g.genEg[w.Namespace] {
		return true
	}
	if w := g.byRef[f.Dst]; w != nil && g.genIn[w.Namespace] {
		return true
	}
	return false
}

// flow returns the flow from src to dst, creating it.
func (g *gen) flow(src, dst reach.Endpoint) *Flow {
	k := [2]reach.Endpoint{src, dst}
	f := g.flows[k]
	if f == nil {
		f = &Flow{Src: src, Dst: dst}
		g.flows[k] = f
	}
	return f
}

func (g *gen) addFlow(src, dst reach.Endpoint, ports reach.PortSet, why string) {
	if ports.IsEmpty() {
		return
	}
	f := g.flow(src, dst)
	f.Ports = f.Ports.Union(ports)
	f.Why = appendOnce(f.Why, why)
	f.reasons = append(f.reasons, reason{why, ports})
}

func appendOnce(xs []string, s string) []string {
	if slices.Contains(xs, s) {
		return xs
	}
	return append(xs, s)
}

// namespaces decides which namespaces get policies, and for which directions. With
// Narrow, every namespace with workloads but kube-system, both directions. Otherwise a
// namespace without NetworkPolicies gets both; a namespace with NetworkPolicies gets a
// default deny only for the directions its own policies already isolate (the others
// it leaves open on purpose, or relies on being open); a namespace with Calico or
// Cilium policies, which this generator does not evaluate, gets none.
func (g *gen) namespaces() {
	g.existing = map[string][]*reach.Policy{}
	hasNP := map[string][]string{}
	for _, o := range g.inv.Kind("NetworkPolicy") {
		if o.GVK.Group == networkingv1.GroupName {
			hasNP[o.EffectiveNamespace()] = append(hasNP[o.EffectiveNamespace()], o.Name())
		}
	}
	other := map[string][]string{}
	var clusterWide []string
	for _, o := range g.inv.Objects {
		switch {
		case o.Kind() == "CiliumNetworkPolicy" || (o.Kind() == "NetworkPolicy" && strings.HasSuffix(o.GVK.Group, "projectcalico.org")):
			other[o.EffectiveNamespace()] = append(other[o.EffectiveNamespace()], o.Kind()+" "+o.Name())
		case o.Kind() == "CiliumClusterwideNetworkPolicy" || o.Kind() == "GlobalNetworkPolicy" ||
			o.Kind() == "AdminNetworkPolicy" || o.Kind() == "BaselineAdminNetworkPolicy":
			clusterWide = append(clusterWide, o.Kind()+" "+o.Name())
		}
	}
	if len(clusterWide) > 0 {
		slices.Sort(clusterWide)
		g.note("Cluster-wide policies apply besides the generated NetworkPolicies (%s): an admin Deny or a Calico/Cilium deny rule wins over any NetworkPolicy allow; check that they admit the connections below.", strings.Join(clusterWide, ", "))
	}
	if !g.opt.Narrow {
		for _, p := range g.m.Policies {
			// Only networking.k8s.io NetworkPolicies: the engine may model other
			// flavors, whose namespaces get no generated policies.
			if p.Obj != nil && p.Obj.GVK.Group == networkingv1.GroupName && p.Obj.Kind() == "NetworkPolicy" {
				g.existing[p.Namespace] = append(g.existing[p.Namespace], p)
			}
		}
	}
	seen := map[string]bool{}
	for _, w := range g.m.Workloads {
		ns := w.Namespace
		if ns == dnsNamespace || seen[ns] {
			continue
		}
		seen[ns] = true
		switch {
		case g.opt.Narrow:
			g.genIn[ns], g.genEg[ns] = true, true
			if names := hasNP[ns]; len(names) > 0 {
				slices.Sort(names)
				g.note("Narrow: the generated policies replace the NetworkPolicies of namespace %s (%s): delete them when applying these.", ns, strings.Join(names, ", "))
			}
			if len(other[ns]) > 0 {
				g.note("Narrow: namespace %s also has %s, which still apply (their deny rules win over the generated allows).", ns, strings.Join(other[ns], ", "))
			}
		case len(other[ns]) > 0:
			g.note("Namespace %s has %s, which generate does not evaluate: no policies generated for it (with Narrow they are).", ns, strings.Join(other[ns], ", "))
		case len(hasNP[ns]) == 0:
			g.genIn[ns], g.genEg[ns] = true, true
		default:
			for _, p := range g.existing[ns] {
				g.genIn[ns] = g.genIn[ns] || p.Ingress
				g.genEg[ns] = g.genEg[ns] || p.Egress
			}
			names := hasNP[ns]
			slices.Sort(names)
			var open []string
			if !g.genIn[ns] {
				open = append(open, "ingress")
			}
			if !g.genEg[ns] {
				open = append(open, "egress")
			}
			msg := fmt.Sprintf("Namespace %s has NetworkPolicies (%s): they are kept and the generated policies only add to them.", ns, strings.Join(names, ", "))
			if len(open) > 0 {
				msg += fmt.Sprintf(" None of them isolates %s, so its %s is left open (Narrow isolates it too).", strings.Join(open, " or "), strings.Join(open, " and "))
			}
			g.note("%s", msg)
		}
		if g.covered(ns) {
			g.p.Namespaces = append(g.p.Namespaces, ns)
		}
	}
	slices.Sort(g.p.Namespaces)
}

func (g *gen) note(format string, args ...any) {
	g.p.Notes = appendOnce(g.p.Notes, fmt.Sprintf(format, args...))
}

// WriteYAML writes the plan's policies as a YAML stream, each with its comment. The
// warnings open the stream as comments, so that they travel with the file.
func WriteYAML(w io.Writer, p *Plan) error {
	var b strings.Builder
	b.WriteString("# NetworkPolicies generated by `moat netpol generate` from the manifests.\n# Review them before applying: they allow only the connections Moat inferred.\n")
	if len(p.Warnings) > 0 {
		b.WriteString("#\n# Not inferred (add rules for these if they are needed):\n")
		for _, w := range p.Warnings {
			b.WriteString("#   - " + w + "\n")
		}
	}
	for i, np := range p.Policies {
		if i > 0 {
			b.WriteString("---\n")
		}
		for _, c := range p.Comments[np.Namespace+"/"+np.Name] {
			b.WriteString("# " + c + "\n")
		}
		data, err := yaml.Marshal(np)
		if err != nil {
			return err
		}
		for _, line := range strings.SplitAfter(string(data), "\n") {
			if strings.TrimSpace(line) == "creationTimestamp: null" {
				continue
			}
			b.WriteString(line)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
