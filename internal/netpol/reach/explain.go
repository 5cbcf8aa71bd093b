package reach

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/moat-dev/moat/internal/inventory"
)

// Explanation says why one endpoint may or may not reach another.
type Explanation struct {
	Src, Dst Endpoint
	// Asked is the set of ports asked about (every port when none was given).
	Asked PortSet
	// Allowed is the part of Asked on which the connection is allowed.
	Allowed PortSet
	// Egress and Ingress are the reasons on each side, in sentences.
	Egress, Ingress []string
	Verdict         string
}

func (e *Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %s\n", e.Src, e.Dst)
	b.WriteString("egress of the source:\n")
	for _, l := range e.Egress {
		fmt.Fprintf(&b, "  - %s\n", l)
	}
	b.WriteString("ingress of the destination:\n")
	for _, l := range e.Ingress {
		fmt.Fprintf(&b, "  - %s\n", l)
	}
	b.WriteString(e.Verdict)
	b.WriteByte('\n')
	return b.String()
}

// where is " (FILE:LINE)" for a field of an object read from a file, "" otherwise.
func where(o *inventory.Object, path string) string {
	if o == nil {
		return ""
	}
	src := o.SourceAt(path)
	if src == nil || src.File == "" {
		return ""
	}
	if src.Line > 0 {
		return fmt.Sprintf(" (%s:%d)", src.File, src.Line)
	}
	return fmt.Sprintf(" (%s)", src.File)
}

// portsText is "every port" or the list of ports.
func portsText(p PortSet) string {
	if p.IsAll() {
		return "every port"
	}
	return p.String()
}

func polNames(ps []*Policy) string {
	var n []string
	for _, p := range ps {
		name := p.Title()
		if p.Flavor == Kubernetes {
			name = p.Ref()
		}
		n = append(n, name+where(p.Obj, "metadata.name"))
	}
	return strings.Join(n, ", ")
}

// describe names endpoint i for a sentence.
func (a *Analysis) describe(i int, e Endpoint) string {
	if i >= len(a.classes) {
		node := a.ext[i-len(a.classes)].String()
		if e.IPBlock != "" && e.IPBlock != node {
			return fmt.Sprintf("%s (in the outside range %s)", e.IPBlock, node)
		}
		return "the addresses " + node
	}
	if e.IsExternal() { // a pod IP, read from a cluster: name its workload
		if addr, err := netip.ParseAddr(e.IPBlock); err == nil {
			for _, w := range a.classes[i].members {
				if slices.Contains(w.IPs, addr.Unmap()) {
					if w.Kind == "Pod" && w.Group.Kind != "" && w.Group.Kind != "Pod" {
						return w.Ref().String() + " (of " + w.Group.String() + ")"
					}
					return w.Ref().String()
				}
			}
		}
	}
	return e.String()
}

// endpointIndex is Index with the reason when there is none.
func (a *Analysis) endpointIndex(e Endpoint) (int, error) {
	if !e.IsExternal() {
		return a.lookup(e)
	}
	if i := a.Index(e); i >= 0 {
		return i, nil
	}
	return -1, fmt.Errorf("%s is not a workload or address of the inputs", e)
}

// Explain says which policies and rules decide whether src may reach dst on the
// asked ports (all ports when asked is nil).
func (a *Analysis) Explain(src, dst Endpoint, asked *PortSet) (*Explanation, error) {
	s, err := a.endpointIndex(src)
	if err != nil {
		return nil, err
	}
	d, err := a.endpointIndex(dst)
	if err != nil {
		return nil, err
	}
	nc := len(a.classes)
	if s >= nc && d >= nc {
		return nil, fmt.Errorf("%s and %s are both outside the cluster: no policy applies", src, dst)
	}
	e := &Explanation{Src: src, Dst: dst, Asked: AllPorts()}
	if asked != nil {
		e.Asked = *asked
	}
	sName, dName := a.describe(s, src), a.describe(d, dst)
	e.Allowed = a.Ports(s, d).Intersect(e.Asked)
	var egAll, inAll PortSet = AllPorts(), AllPorts()
	if s < nc {
		egAll = a.side(s, d, true).Intersect(e.Asked)
		e.Egress = a.reasons(s, d, true, sName, dName, e.Asked, egAll)
	} else {
		e.Egress = []string{sName + ": outside the cluster, no policy limits what it sends."}
	}
	if d < nc {
		inAll = a.side(d, s, false).Intersect(e.Asked)
		e.Ingress = a.reasons(d, s, false, dName, sName, e.Asked, inAll)
	} else {
		e.Ingress = []string{dName + ": outside the cluster, no policy limits what it receives."}
	}
	on := ""
	if asked != nil {
		on = " on " + e.Asked.String()
	}
	switch {
	case e.Allowed.Equal(e.Asked):
		e.Verdict = fmt.Sprintf("Allowed: %s may connect to %s%s.", sName, dName, on)
		if asked == nil {
			e.Verdict = fmt.Sprintf("Allowed: %s may connect to %s on every port.", sName, dName)
		}
	case e.Allowed.IsEmpty():
		var why []string
		if egAll.IsEmpty() {
			why = append(why, "the egress of "+sName)
		}
		if inAll.IsEmpty() {
			why = append(why, "the ingress of "+dName)
		}
		if len(why) == 0 {
			why = append(why, fmt.Sprintf("egress allows only %s and ingress only %s, which do not overlap", egAll, inAll))
		}
		e.Verdict = fmt.Sprintf("Denied: %s may not connect to %s%s; blocked by %s.", sName, dName, on, strings.Join(why, " and "))
	default:
		e.Verdict = fmt.Sprintf("Partly allowed: %s may connect to %s on %s only (egress allows %s, ingress allows %s).", sName, dName, e.Allowed, portsText(egAll), portsText(inAll))
	}
	return e, nil
}

// reasons lists, for class ci's side (egress towards peer, or ingress from peer), the
// rules that apply in evaluation order (see decide.go): Cilium deny rules, admin
// rules, each tier's policies and rules, the baseline.
func (a *Analysis) reasons(ci, peer int, egress bool, self, other string, asked, result PortSet) []string {
	c := a.classes[ci]
	dir, towards := "ingress", "from"
	ds, dst := &c.in, c.ports
	if egress {
		dir, towards = "egress", "to"
		ds, dst = &c.eg, a.dstPorts(peer)
	}
	var out []string
	adminLine := func(r *cRule) {
		ports := r.resolve(dst).Intersect(asked)
		if !r.match.has(peer) || ports.IsEmpty() {
			return
		}
		name := ""
		if r.arule.Name != "" {
			name = fmt.Sprintf(" %q", r.arule.Name)
		}
		prio := ""
		if !r.adm.Baseline {
			prio = fmt.Sprintf(" (priority %d)", r.adm.Priority)
		}
		verb := map[Action]string{Allow: "allows", Deny: "denies", Pass: "passes to the NetworkPolicies"}[r.action]
		out = append(out, fmt.Sprintf("%s %s%s rule %s%s%s matches %s %s: it %s %s, unless a rule evaluated before it decided first.",
			r.adm.Kind(), r.adm.Name, prio, r.field(), name, where(r.adm.Obj, r.field()), towards, other, verb, portsText(ports)))
	}
	rem := asked
	isolated := false
	for _, st := range ds.steps {
		if rem.IsEmpty() {
			break
		}
		// decided are the asked ports each rule of the step decides (or passes on),
		// rule by rule in evaluation order.
		decided := make([]PortSet, len(st.rules))
		var pass PortSet
		for i, r := range st.rules {
			if !r.match.has(peer) || r.action == Log {
				continue
			}
			ports := r.resolve(dst)
			decided[i] = ports.Intersect(rem)
			rem = rem.Subtract(ports)
			if r.action == Pass {
				pass = pass.Union(decided[i])
			}
		}
		switch st.kind {
		case stepAdmin, stepBaseline:
			for _, r := range st.rules {
				adminLine(r)
			}
			if st.kind == stepAdmin && rem.Union(pass).IsEmpty() {
				out = append(out, fmt.Sprintf("The admin policies decide every asked port: NetworkPolicies and the baseline are not consulted for this %s.", dir))
			}
		case stepDeny:
			for i, r := range st.rules {
				if !decided[i].IsEmpty() {
					out = append(out, fmt.Sprintf("%s rule %s%s denies %s %s on %s: deny rules win over every allow.",
						r.title(), r.field(), where(r.obj(), r.field()), towards, other, portsText(decided[i])))
				}
			}
		case stepTier:
			tier := ""
			if st.name != DefaultTier {
				tier = fmt.Sprintf(" in Calico tier %q", st.name)
			}
			switch {
			case len(st.pols) == 0 && st.name == DefaultTier && !isolated:
				out = append(out, fmt.Sprintf("No NetworkPolicy selects %s for %s, so NetworkPolicies do not limit its %s.", self, dir, dir))
			case st.isolates:
				isolated = true
				out = append(out, fmt.Sprintf("%s is isolated for %s by %s%s: only what one of their %s rules allows gets through.", self, dir, polNames(st.pols), tier, dir))
			case len(st.pols) > 0:
				out = append(out, fmt.Sprintf("%s%s apply to %s for %s without isolating it: what their rules do not decide goes on.", polNames(st.pols), tier, self, dir))
			}
			n := 0
			for i, r := range st.rules {
				ports := decided[i]
				if ds.simple && r.match.has(peer) {
					ports = r.resolve(dst).Intersect(asked) // every allowing rule, as they add up
				}
				if ports.IsEmpty() {
					continue
				}
				n++
				verb := map[Action]string{Allow: "allows", Deny: "denies", Pass: "passes to the next tier"}[r.action]
				out = append(out, fmt.Sprintf("%s rule %s%s %s %s %s on %s.",
					r.title(), r.field(), where(r.obj(), r.field()), verb, towards, other, portsText(ports)))
			}
			if st.isolates && n == 0 {
				out = append(out, fmt.Sprintf("None of their %s rules matches %s on %s: add a rule %s it to one of them, or a new policy selecting %s, to allow it.", dir, other, portsText(asked), towards, self))
			}
			if st.isolates && !rem.IsEmpty() {
				if !ds.simple && n > 0 {
					out = append(out, fmt.Sprintf("What no rule of the tier decides (%s) is denied.", portsText(rem)))
				}
				rem = PortSet{}
			}
		}
		rem = rem.Union(pass)
	}
	if result.IsEmpty() {
		out = append(out, fmt.Sprintf("Result: %s denies it.", dir))
	} else {
		out = append(out, fmt.Sprintf("Result: %s allows %s.", dir, portsText(result)))
	}
	return out
}

// ParseEndpoint reads SRC or DST as given to `moat netpol explain`: NAMESPACE/KIND/NAME,
// KIND/NAME (in namespace default), an IP address or a CIDR.
func ParseEndpoint(s string) (Endpoint, error) {
	if s == "" {
		return Endpoint{}, fmt.Errorf("empty endpoint")
	}
	if isAddress(s) {
		return Endpoint{IPBlock: s}, nil
	}
	parts := strings.Split(s, "/")
	for _, p := range parts {
		if p == "" {
			return Endpoint{}, fmt.Errorf("endpoint %q: empty part", s)
		}
	}
	switch len(parts) {
	case 3:
		return Endpoint{Namespace: parts[0], Kind: canonicalKind(parts[1]), Name: parts[2]}, nil
	case 2:
		return Endpoint{Namespace: "default", Kind: canonicalKind(parts[0]), Name: parts[1]}, nil
	}
	return Endpoint{}, fmt.Errorf("endpoint %q: want NAMESPACE/KIND/NAME, KIND/NAME, an IP address or a CIDR", s)
}

func isAddress(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// canonicalKind accepts kubectl's spellings: deployment, deploy, Deployment, sts...
func canonicalKind(k string) string {
	switch strings.ToLower(k) {
	case "deploy", "deployment", "deployments":
		return "Deployment"
	case "sts", "statefulset", "statefulsets":
		return "StatefulSet"
	case "ds", "daemonset", "daemonsets":
		return "DaemonSet"
	case "rs", "replicaset", "replicasets":
		return "ReplicaSet"
	case "po", "pod", "pods":
		return "Pod"
	case "job", "jobs":
		return "Job"
	case "cj", "cronjob", "cronjobs":
		return "CronJob"
	case "rc", "replicationcontroller", "replicationcontrollers":
		return "ReplicationController"
	}
	return k
}

// Allowing names the rules that allow class ci's side of a connection with peer on
// some of ports: "NetworkPolicy shop/api spec.egress[1] (net.yaml:30)", admin Allow
// rules included. For a side no policy limits, it is empty.
func (a *Analysis) Allowing(ci, peer int, egress bool, ports PortSet) []string {
	var out []string
	for _, g := range a.Grants(ci, peer, egress) {
		if g.Default() || g.Ports.Intersect(ports).IsEmpty() {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s%s", g.Title(), g.Field, where(g.Obj(), g.Field)))
	}
	return out
}
