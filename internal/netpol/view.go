package netpol

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// view is what the reachability rules share: the model of the inventory and its
// analysis, built once per scan.
//
// Monotonicity. Every rule here is monotone: adding a policy P never adds or raises a
// finding about any object other than P. A rule reports what no policy decides (a pod
// that nothing isolates) on the namespace or the workload, and what a policy's rule
// allows on that policy: adding a policy can only narrow what nothing decides, and it
// takes decisions away from other policies or leaves them alone. The one exception is
// a policy that passes traffic down (an AdminNetworkPolicy or Calico rule with action
// Pass): it can expose a rule below it that allowed the traffic all along. The
// property test in monotone_test.go checks this over random worlds.
type view struct {
	inv *inventory.Inventory
	m   *reach.Model
	a   *reach.Analysis
	// byNS are the workloads of each namespace, in the model's order; nsNames their
	// namespaces, sorted.
	byNS    map[string][]*reach.Workload
	nsNames []string
	// polByNS are the namespaced policies of each namespace, in the model's order.
	polByNS map[string][]*reach.Policy
	// allPodsOf are the policies that say themselves which namespaces they select whole.
	allPodsOf []*reach.Policy
	// skippedAt are the indexes in Model.Skipped of the policies left out, by namespace
	// ("" for cluster-wide ones).
	skippedAt map[string][]int
	// nsObjs are the Namespace objects of the inventory by name (the first of a name).
	nsObjs map[string]*inventory.Object
}

// Addresses that are not the public internet: RFC 1918, shared (RFC 6598), loopback,
// link-local (the metadata endpoint), "this network", multicast and reserved.
var privateV4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// metadataAddr is the cloud instance metadata endpoint (AWS, GCP, Azure, OpenStack...).
var metadataAddr = netip.MustParseAddr("169.254.169.254")

func newView(c *rule.Context) *view {
	return c.Shared(viewKey{}, func() any { return buildView(c) }).(*view)
}

// viewKey is the key of the scan's one view in rule.Context.Shared: every NetworkPolicy
// rule reads the same analysis, built once per scan.
type viewKey struct{}

func buildView(c *rule.Context) *view {
	v := &view{inv: c.Inventory, byNS: map[string][]*reach.Workload{}}
	v.m = reach.FromInventory(c.Inventory)
	for _, w := range v.m.Workloads {
		v.byNS[w.Namespace] = append(v.byNS[w.Namespace], w)
	}
	v.nsNames = make([]string, 0, len(v.byNS))
	for ns := range v.byNS {
		v.nsNames = append(v.nsNames, ns)
	}
	sort.Strings(v.nsNames)
	v.polByNS = map[string][]*reach.Policy{}
	for _, p := range v.m.Policies {
		v.polByNS[p.Namespace] = append(v.polByNS[p.Namespace], p)
		if p.AllPodsOf != nil {
			v.allPodsOf = append(v.allPodsOf, p)
		}
	}
	v.skippedAt = map[string][]int{}
	for i, s := range v.m.Skipped {
		v.skippedAt[s.Namespace] = append(v.skippedAt[s.Namespace], i)
	}
	v.nsObjs = map[string]*inventory.Object{}
	for _, o := range c.Inventory.Kind("Namespace") {
		if _, ok := v.nsObjs[o.Name()]; !ok && o.GVK.Group == "" {
			v.nsObjs[o.Name()] = o
		}
	}
	bounds := append(slices.Clone(privateV4), netip.PrefixFrom(metadataAddr, 32))
	v.a = reach.Analyze(v.m, reach.Options{Boundaries: bounds, Probe: true})
	return v
}

// namespaces are the namespaces that run workloads, sorted (shared: do not modify).
func (v *view) namespaces() []string { return v.nsNames }

// policiesIn are the namespaced policies of namespace ns (shared: do not modify).
func (v *view) policiesIn(ns string) []*reach.Policy { return v.polByNS[ns] }

// labelsPath is the field path of a workload's pod labels.
func labelsPath(w *reach.Workload) string {
	p, ok := podspec.Of(w.Obj)
	if !ok {
		return ""
	}
	return p.MetaPath() + ".labels"
}

// isPublic reports an outside range that is all public internet.
func isPublic(p netip.Prefix) bool {
	if !p.Addr().Is4() {
		return false
	}
	return !slices.ContainsFunc(privateV4, func(q netip.Prefix) bool { return q.Overlaps(p) })
}

func workloadName(w *reach.Workload) string { return fmt.Sprintf("%s %q", w.Kind, w.Name) }

// result is a finding about a workload at its pod labels.
func result(w *reach.Workload, msg string) rule.Result {
	return rule.Result{Object: w.Obj, Path: labelsPath(w), Message: msg}
}

func labelsText(l map[string]string) string {
	if len(l) == 0 {
		return "none"
	}
	return labels.Set(l).String()
}

func portsWords(p reach.PortSet) string {
	if p.IsAll() {
		return "every port"
	}
	if p.IsEmpty() {
		return "some ports"
	}
	return p.String()
}

// listMax is how many items listOf names.
const listMax = 4

// listOf names up to four items: `Deployment "api", Job "b" and Pod "c"`,
// `A, B, C, D and 3 more`.
func listOf(items []string) string { return listOfCount(items, len(items)) }

// listOfCount is listOf of n items of which items are the first (at least
// min(n, listMax) of them).
func listOfCount(items []string, n int) string {
	switch {
	case n > listMax:
		return strings.Join(items[:listMax], ", ") + fmt.Sprintf(" and %d more", n-listMax)
	case n > 1:
		return strings.Join(items[:n-1], ", ") + " and " + items[n-1]
	}
	return strings.Join(items[:n], ", ")
}

func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// notEvaluated says what Moat did not evaluate of the policies ps, and which policies
// of namespace ns (and cluster-wide ones) it left out: "" when nothing. Findings whose
// verdict depends on those policies end with it.
func (v *view) notEvaluated(ps []*reach.Policy, ns string) string {
	return v.notEvaluatedOf(ps, ns, true)
}

// notEvaluatedOf is notEvaluated, naming the left-out policies only when skipped is set.
func (v *view) notEvaluatedOf(ps []*reach.Policy, ns string, skipped bool) string {
	var items []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			items = append(items, s)
		}
	}
	for _, p := range ps {
		for _, u := range p.Unevaluated {
			add(p.Title() + ": " + u)
		}
	}
	if skipped {
		// The policies left out of ns and the cluster-wide ones, in the model's order.
		here, global := v.skippedAt[ns], v.skippedAt[""]
		if ns == "" {
			global = nil
		}
		for len(here) > 0 || len(global) > 0 {
			var i int
			if len(global) == 0 || len(here) > 0 && here[0] < global[0] {
				i, here = here[0], here[1:]
			} else {
				i, global = global[0], global[1:]
			}
			s := v.m.Skipped[i]
			add(s.Title() + " was left out (" + s.Reason + ")")
		}
	}
	if len(items) == 0 {
		return ""
	}
	if len(items) > 4 {
		items = append(items[:4], fmt.Sprintf("and %d more", len(items)-4))
	}
	return "; not evaluated: " + strings.Join(items, "; ")
}

// applying are the policies that apply to any of ws in a direction.
func (v *view) applying(ws []*reach.Workload, ingress bool) []*reach.Policy {
	if len(ws) == 1 {
		return v.a.Applying(ws[0], ingress)
	}
	var out []*reach.Policy
	seen := map[*reach.Policy]bool{}
	for _, w := range ws {
		for _, p := range v.a.Applying(w, ingress) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// culprit gathers what one policy (a NetworkPolicy, Cilium or Calico policy, or an
// admin policy) is found to allow, for a finding about that policy.
type culprit struct {
	title  string
	obj    *inventory.Object
	pol    *reach.Policy
	fields []string
	ws     []*reach.Workload
	hasWS  map[*reach.Workload]bool
	ports  reach.PortSet
	extra  []string // what else the finding lists (the sources of a database connection)
}

// culprits collects culprits by policy, in the order they are first seen.
type culprits struct {
	byTitle map[string]*culprit
	order   []*culprit
}

func (cs *culprits) get(g reach.Grant) *culprit {
	if cs.byTitle == nil {
		cs.byTitle = map[string]*culprit{}
	}
	t := g.Title()
	c, ok := cs.byTitle[t]
	if !ok {
		c = &culprit{title: t, obj: g.Obj(), pol: g.Policy}
		cs.byTitle[t] = c
		cs.order = append(cs.order, c)
	}
	return c
}

func (c *culprit) addField(f string) {
	if !slices.Contains(c.fields, f) {
		c.fields = append(c.fields, f)
	}
}

func (c *culprit) addWorkload(w *reach.Workload, ps reach.PortSet) {
	if !c.hasWS[w] {
		if c.hasWS == nil {
			c.hasWS = map[*reach.Workload]bool{}
		}
		c.hasWS[w] = true
		c.ws = append(c.ws, w)
	}
	c.ports = c.ports.Union(ps)
}

// path is the first rule named, the finding's field.
func (c *culprit) path() string {
	fs := slices.Clone(c.fields)
	slices.Sort(fs)
	if len(fs) == 0 {
		return ""
	}
	return fs[0]
}

// rules names the culprit's rules: "spec.egress[0]" or "spec.egress[0] and spec.egress[2]".
func (c *culprit) rules() string {
	fs := slices.Clone(c.fields)
	slices.Sort(fs)
	if len(fs) == 1 {
		return fs[0]
	}
	return strings.Join(fs[:len(fs)-1], ", ") + " and " + fs[len(fs)-1]
}

func (c *culprit) workloads() string {
	var names []string
	for _, w := range c.ws[:min(len(c.ws), listMax)] { // listOf names no more
		n := workloadName(w)
		if w.Namespace != c.namespace() {
			n = fmt.Sprintf("%s in namespace %q", n, w.Namespace)
		}
		names = append(names, n)
	}
	return listOfCount(names, len(c.ws))
}

func (c *culprit) needs() string {
	if len(c.ws) == 1 {
		return "it needs"
	}
	return "they need"
}

func (c *culprit) namespace() string {
	if c.pol != nil {
		return c.pol.Namespace
	}
	return ""
}

// results are the culprits' findings, sorted by policy; msg writes each message.
func (cs *culprits) results(v *view, sev *finding.Severity, msg func(c *culprit) string) []rule.Result {
	var out []rule.Result
	list := slices.Clone(cs.order)
	slices.SortStableFunc(list, func(a, b *culprit) int { return strings.Compare(a.title, b.title) })
	for _, c := range list {
		if c.obj == nil {
			continue
		}
		m := msg(c)
		if c.pol != nil {
			m += v.notEvaluatedOf([]*reach.Policy{c.pol}, "", false)
		}
		out = append(out, rule.Result{Object: c.obj, Path: c.path(), Message: m, Severity: sev})
	}
	return out
}

// cover is what allows class ci's side towards every endpoint of dsts: the ports that no
// policy decides for all of them, and, for each policy, the ports its rules allow
// towards all of them.
type cover struct {
	def    reach.PortSet
	owners []ownerCover
}

type ownerCover struct {
	g      reach.Grant // the first grant seen, for its policy
	fields []string
	ports  reach.PortSet
}

func (v *view) cover(ci int, dsts []int, egress bool) cover {
	var out cover
	if v.a.Unlimited(ci, egress) {
		return cover{def: reach.AllPorts()}
	}
	type acc struct {
		g      reach.Grant
		fields []string
		ports  reach.PortSet
	}
	var owners map[string]*acc
	for i, d := range dsts {
		var def reach.PortSet
		here := map[string]*acc{}
		for _, g := range v.a.Grants(ci, d, egress) {
			if g.Default() {
				def = def.Union(g.Ports)
				continue
			}
			t := g.Title()
			a, ok := here[t]
			if !ok {
				a = &acc{g: g}
				here[t] = a
			}
			a.ports = a.ports.Union(g.Ports)
			if !slices.Contains(a.fields, g.Field) {
				a.fields = append(a.fields, g.Field)
			}
		}
		if i == 0 {
			out.def, owners = def, here
			continue
		}
		out.def = out.def.Intersect(def)
		for t, a := range owners {
			b, ok := here[t]
			if !ok {
				delete(owners, t)
				continue
			}
			a.ports = a.ports.Intersect(b.ports)
			for _, f := range b.fields {
				if !slices.Contains(a.fields, f) {
					a.fields = append(a.fields, f)
				}
			}
		}
	}
	titles := make([]string, 0, len(owners))
	for t, a := range owners {
		if !a.ports.IsEmpty() {
			titles = append(titles, t)
		}
	}
	sort.Strings(titles)
	for _, t := range titles {
		a := owners[t]
		out.owners = append(out.owners, ownerCover{g: a.g, fields: a.fields, ports: a.ports})
	}
	return out
}

// coverMemo is cover towards fixed endpoints, computed once per class: workloads of
// one class share one.
type coverMemo struct {
	v      *view
	dsts   []int
	egress bool
	got    []*cover
}

func (v *view) covers(dsts []int, egress bool) *coverMemo {
	return &coverMemo{v: v, dsts: dsts, egress: egress, got: make([]*cover, v.a.NumClasses())}
}

func (m *coverMemo) of(ci int) cover {
	if c := m.got[ci]; c != nil {
		return *c
	}
	c := m.v.cover(ci, m.dsts, m.egress)
	m.got[ci] = &c
	return c
}

// byNamespace gathers the workloads of a namespace-wide finding with their ports.
type byNamespace map[string][]nsEntry

type nsEntry struct {
	w     *reach.Workload
	ports reach.PortSet
}

func (b byNamespace) add(w *reach.Workload, ps reach.PortSet) {
	b[w.Namespace] = append(b[w.Namespace], nsEntry{w, ps})
}

// they is "it" for one workload, "they" for several; them likewise.
func (es nsEntryList) they() string {
	if len(es) == 1 {
		return "it"
	}
	return "they"
}

func (es nsEntryList) needs() string {
	if len(es) == 1 {
		return "it needs"
	}
	return "they need"
}

func (es nsEntryList) them() string {
	if len(es) == 1 {
		return "it"
	}
	return "them"
}

// describe names the workloads, with the ports when they are not every port:
// `3 workloads (Deployment "api", Job "sync" on TCP/443 and CronJob "b")`.
func (es nsEntryList) describe(withLabels bool) string {
	var names []string
	for _, e := range es[:min(len(es), listMax)] { // listOf names no more
		n := workloadName(e.w)
		if withLabels {
			n += " [" + labelsText(e.w.Labels) + "]"
		}
		if !e.ports.IsAll() {
			n += " on " + e.ports.String()
		}
		names = append(names, n)
	}
	return fmt.Sprintf("%s (%s)", countOf(len(es), "workload"), listOfCount(names, len(es)))
}

type nsEntryList []nsEntry

func (es nsEntryList) workloads() []*reach.Workload {
	out := make([]*reach.Workload, len(es))
	for i, e := range es {
		out[i] = e.w
	}
	return out
}

// allPorts reports whether every entry is on every port.
func (es nsEntryList) allPorts() bool {
	for _, e := range es {
		if !e.ports.IsAll() {
			return false
		}
	}
	return true
}

// results are the namespace-wide findings, one per namespace, sorted.
func (b byNamespace) results(v *view, sev *finding.Severity, msg func(ns string, es nsEntryList) string) []rule.Result {
	var out []rule.Result
	names := make([]string, 0, len(b))
	for ns := range b {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		es := nsEntryList(b[ns])
		out = append(out, rule.Result{Object: v.namespaceObject(ns, es[0].w.Obj), Message: msg(ns, es), Severity: sev})
	}
	return out
}

func severity(s finding.Severity) *finding.Severity { return &s }

// egressTo sorts, for every workload, its egress to the outside endpoints dsts: what no
// policy decides, by namespace, and what policy rules allow, by rule (the culprits).
// Workloads of one equivalence class share one cover.
func (v *view) egressTo(c *rule.Context, dsts []int) (byNamespace, culprits) {
	open := byNamespace{}
	var cs culprits
	covers := v.covers(dsts, true)
	for _, w := range v.m.Workloads {
		if c.Err() != nil {
			break
		}
		ci := v.a.Workload(w)
		cv := covers.of(ci)
		if !cv.def.IsEmpty() {
			open.add(w, cv.def)
		}
		for _, o := range cv.owners {
			cu := cs.get(o.g)
			for _, f := range o.fields {
				cu.addField(f)
			}
			cu.addWorkload(w, o.ports)
		}
	}
	return open, cs
}
