package reach

import (
	"cmp"
	"iter"
	"math/bits"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// Options tune an analysis.
type Options struct {
	// Boundaries are extra CIDRs that split the space outside the cluster into more
	// nodes (the private ranges, the metadata address), for rules that ask about them.
	Boundaries []netip.Prefix
	// Probe adds a pod with no labels in a namespace that is not in the model: "any pod
	// of any namespace". It has no workload, so it never appears in Connections.
	Probe bool
}

// ProbeNamespace is the namespace of the probe pod.
const ProbeNamespace = "moat-probe-elsewhere"

// Endpoint is a node of the graph: a workload, or a range of addresses outside the cluster.
type Endpoint struct {
	Namespace string `json:"namespace,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Name      string `json:"name,omitempty"`
	// Variant tells apart the rows of one owner whose pods are shown apart
	// (Analysis.OwnerRows): "release=canary", "ip in 10.0.1.0/24", "pod db-0".
	Variant string `json:"variant,omitempty"`
	IPBlock string `json:"ipBlock,omitempty"`
	// Group is the owner ("Deployment/reviews-v1") of the pods the endpoint stands for,
	// and Pods how many pods of the input it stands for (owner rows only); Pod is the
	// pod a row of pods apart (Analysis.WorkloadRows) is. All empty for workloads from
	// manifests, whose pods are not read.
	Group string `json:"group,omitempty"`
	Pods  int    `json:"pods,omitempty"`
	Pod   string `json:"pod,omitempty"`
}

// String names the endpoint: "shop/Deployment/api", "shop/Deployment/api [release=canary]",
// "10.0.0.0/8".
func (e Endpoint) String() string {
	if e.IPBlock != "" {
		return e.IPBlock
	}
	s := e.Namespace + "/" + e.Kind + "/" + e.Name
	if e.Variant != "" {
		s += " [" + e.Variant + "]"
	}
	return s
}

// IsExternal reports an address range.
func (e Endpoint) IsExternal() bool { return e.IPBlock != "" }

func compareEndpoints(a, b Endpoint) int {
	if a.IsExternal() != b.IsExternal() {
		if a.IsExternal() {
			return 1
		}
		return -1
	}
	if a.IsExternal() {
		pa, ea := netip.ParsePrefix(a.IPBlock)
		pb, eb := netip.ParsePrefix(b.IPBlock)
		if ea == nil && eb == nil {
			return cmp.Or(pa.Addr().Compare(pb.Addr()), cmp.Compare(pa.Bits(), pb.Bits()))
		}
		return strings.Compare(a.IPBlock, b.IPBlock)
	}
	return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name), strings.Compare(a.Variant, b.Variant))
}

// Connection is a pair of endpoints and the ports on which the first may open
// connections to the second.
type Connection struct {
	Src, Dst Endpoint
	Ports    PortSet
}

type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b bitset) or(c bitset) {
	for i := range b {
		b[i] |= c[i]
	}
}
func (b bitset) each(fn func(int)) {
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			fn(i*64 + t)
			w &= w - 1
		}
	}
}

// Analysis is the compiled model: classes, outside nodes, rules with their matches.
type Analysis struct {
	Model   *Model
	classes []*class
	ext     []netip.Prefix
	// bounds are where the outside is cut (partition): IPs between two bounds are alike.
	bounds []netip.Addr
	n      int
	byWork map[*Workload]int
	probe  int
	// selected are the policies that select some class.
	selected map[*Policy]bool
	// rules are every compiled rule, for the signatures that tell classes apart.
	rules []*cRule
	// origin is the origin of each endpoint (origins.go), originNS the namespace of each
	// origin, the first numNSOrigins of them sorted, originMembers its endpoints and
	// originsByFirst the origins in the order of their first endpoints.
	origin                     []int32
	originNS                   []string
	numNSOrigins               int
	probeOrigin, outsideOrigin int
	originMembers              [][]int32
	originsByFirst             []int32
}

// Analyze compiles a model.
func Analyze(m *Model, opt Options) *Analysis {
	a := &Analysis{Model: m, byWork: map[*Workload]int{}, probe: -1, selected: map[*Policy]bool{}}
	// The outside ranges first: pod IPs enter a class's key by the run of addresses
	// between two bounds that holds them, since no ipBlock, except or CIDR tells apart
	// two IPs of one run. Pods of a DaemonSet with a hundred IPs in one run are then one
	// class, not a hundred.
	a.ext, a.bounds = partition(m, opt.Boundaries)
	byKey := map[string]int{}
	byNS := map[string][]int{}
	var kb strings.Builder
	var cells []int32
	for _, w := range m.Workloads {
		kb.Reset()
		kb.WriteString(w.Namespace)
		kb.WriteByte(0)
		kb.WriteString(labels.Set(w.Labels).String())
		kb.WriteByte(0)
		ports := slices.Clone(w.Ports)
		slices.SortFunc(ports, func(x, y ContainerPort) int {
			return cmp.Or(strings.Compare(x.Name, y.Name), cmp.Compare(x.Protocol, y.Protocol), cmp.Compare(x.Port, y.Port))
		})
		for _, p := range ports {
			kb.WriteString(p.Name)
			kb.WriteByte('/')
			kb.WriteString(p.Protocol.String())
			kb.WriteByte('/')
			kb.WriteString(itoa(p.Port))
			kb.WriteByte(',')
		}
		kb.WriteByte(0)
		cells = cells[:0]
		for _, ip := range w.IPs {
			cells = append(cells, a.rangeOf(ip))
		}
		slices.Sort(cells)
		for _, c := range slices.Compact(cells) {
			kb.WriteString(itoa(c))
			kb.WriteByte(',')
		}
		kb.WriteByte(0)
		kb.WriteString(w.ServiceAccount)
		key := kb.String()
		ci, ok := byKey[key]
		if !ok {
			ci = len(a.classes)
			byKey[key] = ci
			a.classes = append(a.classes, &class{ns: w.Namespace, nsLabels: m.Namespaces[w.Namespace], labels: w.Labels, ports: ports, ips: w.IPs, sa: w.ServiceAccount})
			byNS[w.Namespace] = append(byNS[w.Namespace], ci)
		} else if len(w.IPs) > 0 {
			// The class holds every member's IPs: an address names its pod's class.
			c := a.classes[ci]
			c.ips = append(slices.Clip(c.ips), w.IPs...)
		}
		a.classes[ci].members = append(a.classes[ci].members, w)
		a.byWork[w] = ci
	}
	if opt.Probe {
		a.probe = len(a.classes)
		a.classes = append(a.classes, &class{ns: ProbeNamespace, nsLabels: labels.Set{NamespaceNameLabel: ProbeNamespace}, labels: labels.Set{}, probe: true, sa: "default"})
		byNS[ProbeNamespace] = append(byNS[ProbeNamespace], a.probe)
	}
	nc := len(a.classes)
	a.n = nc + len(a.ext)
	nsNames := make([]string, 0, len(byNS))
	for ns := range byNS {
		nsNames = append(nsNames, ns)
	}
	sort.Strings(nsNames)
	nsLabels := func(ns string) labels.Set {
		if ns == ProbeNamespace {
			return labels.Set{NamespaceNameLabel: ProbeNamespace}
		}
		return m.Namespaces[ns]
	}

	// matchSel marks the classes a selector peer matches. Policies repeat the same
	// peers (a namespace's clients, the monitoring namespace, every namespace): the
	// classes of each distinct peer are computed once, and kept as a bitset when they
	// are many, so that a peer that matches every class costs a pass over words, not
	// over classes, in every rule that names it.
	type selMatch struct {
		cis  []int
		bits bitset // when cis would take longer to set than bits to or
	}
	memo := map[string]*selMatch{}
	mark := func(b bitset, m *selMatch) {
		if m.bits != nil {
			b.or(m.bits)
			return
		}
		for _, ci := range m.cis {
			b.set(ci)
		}
	}
	matchSel := func(b bitset, nsSel, podSel labels.Selector, nsOnly string) {
		var key strings.Builder
		if nsSel == nil {
			key.WriteString("ns=" + nsOnly)
		} else {
			key.WriteString("sel=" + nsSel.String())
		}
		key.WriteByte(0)
		if podSel != nil {
			key.WriteString(podSel.String())
		} else {
			key.WriteByte(1)
		}
		if m, ok := memo[key.String()]; ok {
			mark(b, m)
			return
		}
		cis := []int{}
		pick := func(ns string) {
			for _, ci := range byNS[ns] {
				if podSel == nil || podSel.Matches(a.classes[ci].labels) {
					cis = append(cis, ci)
				}
			}
		}
		if nsSel == nil {
			pick(nsOnly)
		} else {
			for _, ns := range nsNames {
				if nsSel.Matches(nsLabels(ns)) {
					pick(ns)
				}
			}
		}
		m := &selMatch{cis: cis}
		if words := (a.n + 63) / 64; len(cis) > words {
			m.bits = newBitset(a.n) // classes only: fits every bitset matchSel marks
			for _, ci := range cis {
				m.bits.set(ci)
			}
			m.cis = nil
		}
		memo[key.String()] = m
		mark(b, m)
	}
	var withIPs []int
	for ci, c := range a.classes {
		if len(c.ips) > 0 {
			withIPs = append(withIPs, ci)
		}
	}
	// matchIPs marks the classes with an IP in the ranges and the outside nodes whose
	// start is in them; the nodes are sorted, so only those inside each range's bounds
	// are looked at.
	matchIPs := func(b bitset, ranges []netip.Prefix, contains func(netip.Addr) bool) {
		for _, ci := range withIPs {
			for _, ip := range a.classes[ci].ips {
				if contains(ip) {
					b.set(ci)
					break
				}
			}
		}
		for _, r := range ranges {
			lo := r.Masked().Addr()
			hi := lastAddr(r)
			i := sort.Search(len(a.ext), func(i int) bool { return a.ext[i].Addr().Compare(lo) >= 0 })
			for ; i < len(a.ext) && a.ext[i].Addr().Compare(hi) <= 0; i++ {
				if contains(a.ext[i].Addr()) {
					b.set(nc + i)
				}
			}
		}
	}
	a.compilePolicies(matchSel, matchIPs, byNS)
	a.buildOrigins()
	return a
}

// rangeOf is the index of the run of addresses (between two bounds) that holds ip, -1
// for an IPv6 address when no policy names one: no CIDR tells such addresses apart.
func (a *Analysis) rangeOf(ip netip.Addr) int32 {
	ip = ip.Unmap()
	i := sort.Search(len(a.bounds), func(i int) bool { return a.bounds[i].Compare(ip) > 0 }) - 1
	if i < 0 || a.bounds[i].BitLen() != ip.BitLen() {
		return -1
	}
	return int32(i)
}

func itoa(n int32) string {
	var b [12]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// dstPorts are the container ports of endpoint i (none outside the cluster).
func (a *Analysis) dstPorts(i int) []ContainerPort {
	if i < len(a.classes) {
		return a.classes[i].ports
	}
	return nil
}

// Ports is what endpoint s may open to endpoint d: the egress of s and the ingress of
// d must both allow it. An outside endpoint has no policy of its own.
func (a *Analysis) Ports(s, d int) PortSet {
	nc := len(a.classes)
	eg := AllPorts()
	if s < nc {
		eg = a.side(s, d, true)
		if eg.IsEmpty() {
			return eg
		}
	}
	if d < nc {
		return eg.Intersect(a.side(d, s, false))
	}
	return eg
}

// EachClassPair calls fn for every pair of endpoints (not both outside) that may
// connect, with the ports.
func (a *Analysis) EachClassPair(fn func(s, d int, ps PortSet)) {
	nc := len(a.classes)
	outside := a.outsideCandidates()
	for s := 0; s < a.n; s++ {
		visit := func(d int) {
			if s >= nc && d >= nc {
				return
			}
			if ps := a.Ports(s, d); !ps.IsEmpty() {
				fn(s, d, ps)
			}
		}
		if s >= nc {
			outside.each(visit)
			continue
		}
		if cand := a.candidates(s); cand != nil {
			cand.each(visit)
			continue
		}
		for d := 0; d < a.n; d++ {
			visit(d)
		}
	}
}

// Connections lists every pair of workloads (and outside ranges) that may connect,
// sorted by source then destination (workloads by namespace, kind and name, then the
// outside ranges by address).
func (a *Analysis) Connections() []Connection {
	cs := a.ConnectionSet()
	out := make([]Connection, 0, cs.Len())
	for c := range cs.All() {
		out = append(out, c)
	}
	return out
}

// ConnectionSet holds the connections compactly (12 bytes each) and yields them one at
// a time, so that a cluster with millions of connections is written without holding
// them all as values.
type ConnectionSet struct {
	a    *Analysis
	eps  []Endpoint // the rows' endpoints; outside ranges follow
	rows []connRow
	sets []PortSet
}

type connRow struct{ s, d, ps int32 }

// Len is the number of connections.
func (cs *ConnectionSet) Len() int { return len(cs.rows) }

// All yields the connections in order.
func (cs *ConnectionSet) All() iter.Seq[Connection] {
	nw := len(cs.eps)
	ep := func(k int32) Endpoint {
		if int(k) < nw {
			return cs.eps[k]
		}
		return Endpoint{IPBlock: cs.a.ext[int(k)-nw].String()}
	}
	return func(yield func(Connection) bool) {
		for _, r := range cs.rows {
			if !yield(Connection{Src: ep(r.s), Dst: ep(r.d), Ports: cs.sets[r.ps]}) {
				return
			}
		}
	}
}

// ConnectionSet computes every connection between the workloads of the model, one
// endpoint each, named by Workload.Ref.
func (a *Analysis) ConnectionSet() *ConnectionSet {
	rows := make([]Row, len(a.Model.Workloads))
	for i, w := range a.Model.Workloads {
		rows[i] = Row{Endpoint: w.Ref(), Members: []*Workload{w}, class: a.Workload(w)}
	}
	return a.ConnectionsOf(rows)
}

// ConnectionsOf computes every connection between rows (in output order, as
// WorkloadRows and OwnerRows give them) and outside ranges.
func (a *Analysis) ConnectionsOf(rows []Row) *ConnectionSet {
	// Order keys: a row's position, then the outside ranges.
	nw := len(rows)
	members := make([][]int32, len(a.classes))
	eps := make([]Endpoint, nw)
	for ri, r := range rows {
		eps[ri] = r.Endpoint
		if r.class >= 0 {
			members[r.class] = append(members[r.class], int32(ri))
		}
	}
	keysOf := func(i int) []int32 {
		if i < len(a.classes) {
			return members[i]
		}
		return []int32{int32(nw + i - len(a.classes))}
	}
	// Port sets are shared: "all" and the last few distinct sets cover nearly every pair.
	cs := &ConnectionSet{a: a, eps: eps, sets: []PortSet{AllPorts()}}
	recent := [4]int32{}
	a.EachClassPair(func(s, d int, ps PortSet) {
		if s < len(a.classes) && len(members[s]) == 0 || d < len(a.classes) && len(members[d]) == 0 {
			return // a class no row stands for (the probe, or one a row's first class speaks for)
		}
		idx := int32(-1)
		if ps.IsAll() {
			idx = 0
		} else {
			for _, r := range recent {
				if r > 0 && cs.sets[r].Equal(ps) {
					idx = r
					break
				}
			}
		}
		if idx < 0 {
			idx = int32(len(cs.sets))
			cs.sets = append(cs.sets, ps)
			copy(recent[1:], recent[:3])
			recent[0] = idx
		}
		for _, sk := range keysOf(s) {
			for _, dk := range keysOf(d) {
				cs.rows = append(cs.rows, connRow{sk, dk, idx})
			}
		}
	})
	slices.SortFunc(cs.rows, func(x, y connRow) int { return cmp.Or(cmp.Compare(x.s, y.s), cmp.Compare(x.d, y.d)) })
	return cs
}

// Index finds the endpoint a workload, an address or a range stands for: a workload's
// class (or, by its owner's name, the class of pods that policies treat alike); an
// address inside a pod (from a cluster) gives its workload; otherwise the outside node
// holding the address (or the start of the range). -1 when unknown.
func (a *Analysis) Index(e Endpoint) int {
	if !e.IsExternal() {
		ci, _ := a.lookup(e)
		return ci
	}
	addr, err := netip.ParseAddr(e.IPBlock)
	if err != nil {
		p, perr := netip.ParsePrefix(e.IPBlock)
		if perr != nil {
			return -1
		}
		addr = p.Masked().Addr()
	} else {
		for ci, c := range a.classes {
			if slices.Contains(c.ips, addr.Unmap()) {
				return ci
			}
		}
	}
	addr = addr.Unmap()
	for i, p := range a.ext {
		if p.Contains(addr) {
			return len(a.classes) + i
		}
	}
	return -1
}

// Workload returns the class index of a workload, -1 if it is not in the model.
func (a *Analysis) Workload(w *Workload) int {
	if ci, ok := a.byWork[w]; ok {
		return ci
	}
	return -1
}

// Probe is the index of the probe pod (Options.Probe), -1 without one.
func (a *Analysis) Probe() int { return a.probe }

// NumEndpoints is the number of endpoints: classes, then outside ranges.
func (a *Analysis) NumEndpoints() int { return a.n }

// NumClasses is the number of pod classes (the probe included).
func (a *Analysis) NumClasses() int { return len(a.classes) }

// Outside is the address range of endpoint i, invalid for a class.
func (a *Analysis) Outside(i int) netip.Prefix {
	if i < len(a.classes) || i >= a.n {
		return netip.Prefix{}
	}
	return a.ext[i-len(a.classes)]
}

// Namespace is the namespace of class i ("" outside the cluster).
func (a *Analysis) Namespace(i int) string {
	if i < len(a.classes) {
		return a.classes[i].ns
	}
	return ""
}

// fill sets bits 0..n-1.
func (b bitset) fill(n int) {
	for i := range b {
		b[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		b[len(b)-1] = 1<<uint(r) - 1
	}
}
