package reach

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/netpol/owners"
)

// Rows. `moat netpol conns` prints one row per endpoint. WorkloadRows gives one per
// workload of the model; OwnerRows, over a model built with PodsApart, one per owner:
// the pods of Deployment reviews-v1 are one row, "shop/Deployment/reviews-v1 (3 pods)".
//
// A row must never hide a difference: all the pods of a row have the same connections.
// OwnerRows keeps apart, within one owner,
//   - pods whose labels differ once the per-pod labels (owners.PerPodLabels) are left
//     out, or whose service account or container ports differ: two templates (a
//     rollout under way), even where no policy tells them apart today;
//   - pods that policies treat differently although their templates agree: an ipBlock
//     that holds the IPs of some of them only, or a selector on a per-pod label
//     (statefulset.kubernetes.io/pod-name). Pods are treated alike exactly when they
//     match the same compiled rules as peers and have the same rules deciding their own
//     sides (signature), which is what the engine computes with.
// Each owner shown apart gets a note saying why, and its rows a Variant that tells them
// apart.

// Row is one endpoint of the connections: a workload, or the pods of one owner that
// policies treat alike.
type Row struct {
	Endpoint
	Members []*Workload
	class   int // a class of the members: they all have its connections
}

// WorkloadRows are the workloads of the model in order, one row each. A pod carries
// its owner group and its name, a controller that pods were lent to its group.
func (a *Analysis) WorkloadRows() []Row {
	rows := make([]Row, len(a.Model.Workloads))
	for i, w := range a.Model.Workloads {
		e := w.Ref()
		if w.Pods > 0 {
			e.Group = w.Group.String()
		}
		if w.Kind == "Pod" {
			e.Pod = w.Name
		}
		rows[i] = Row{Endpoint: e, Members: []*Workload{w}, class: a.Workload(w)}
	}
	return rows
}

// OwnerRows groups the workloads by owner (Workload.Group), keeping apart what the
// comment above says, and notes, for each owner shown on several rows, why.
func (a *Analysis) OwnerRows() ([]Row, []string) {
	type ownerKey struct {
		ns string
		g  owners.Ref
	}
	byOwner := map[ownerKey][]*Workload{}
	var order []ownerKey
	for _, w := range a.Model.Workloads {
		k := ownerKey{w.Namespace, w.Group}
		if w.Group.Kind == "" {
			k.g = owners.Ref{Kind: w.Kind, Name: w.Name}
		}
		if _, ok := byOwner[k]; !ok {
			order = append(order, k)
		}
		byOwner[k] = append(byOwner[k], w)
	}
	var rows []Row
	var notes []string
	for _, k := range order {
		parts := a.splitOwner(byOwner[k])
		base := Endpoint{Namespace: k.ns, Kind: k.g.Kind, Name: k.g.Name}
		variants, why := a.variants(parts)
		for i, p := range parts {
			e := base
			e.Variant = variants[i]
			for _, w := range p {
				e.Pods += w.Pods
			}
			if e.Pods > 0 {
				e.Group = k.g.String()
			}
			rows = append(rows, Row{Endpoint: e, Members: p, class: a.Workload(p[0])})
		}
		if len(parts) > 1 {
			notes = append(notes, ownerNote(base, why, rows[len(rows)-len(parts):]))
		}
	}
	slices.SortStableFunc(rows, func(x, y Row) int { return compareEndpoints(x.Endpoint, y.Endpoint) })
	slices.Sort(notes) // by owner: each starts with its name
	return rows, notes
}

// splitOwner parts the workloads of one owner: by template (labels without the
// per-pod ones, service account, ports), then by how policies treat them.
func (a *Analysis) splitOwner(ws []*Workload) [][]*Workload {
	classes := map[int]bool{}
	for _, w := range ws {
		classes[a.Workload(w)] = true
	}
	sigs := map[int]string{}
	if len(classes) > 1 {
		for ci := range classes {
			sigs[ci] = a.signature(ci)
		}
	}
	byKey := map[string]int{}
	var parts [][]*Workload
	for _, w := range ws {
		ci := a.Workload(w)
		k := templateKey(w) + "\x00" + sigs[ci]
		i, ok := byKey[k]
		if !ok {
			i = len(parts)
			byKey[k] = i
			parts = append(parts, nil)
		}
		parts[i] = append(parts[i], w)
	}
	return parts
}

// templateKey is what the workload's template says: labels without the per-pod ones,
// service account, container ports.
func templateKey(w *Workload) string {
	var b strings.Builder
	b.WriteString(labels.Set(owners.TemplateLabels(w.Labels)).String())
	b.WriteByte(0)
	b.WriteString(w.ServiceAccount)
	b.WriteByte(0)
	b.WriteString(containerPortsText(w.Ports))
	return b.String()
}

func containerPortsText(ps []ContainerPort) string {
	var out []string
	for _, p := range ps {
		s := fmt.Sprintf("%s/%d", p.Protocol, p.Port)
		if p.Name != "" {
			s = p.Name + ":" + s
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ",")
}

// signature is what decides the connections of class ci besides its container ports:
// the compiled rules that match it as a peer, and the rules, in order, that decide its
// own ingress and egress. Classes of equal signature and ports have equal connections.
func (a *Analysis) signature(ci int) string {
	var b strings.Builder
	for _, r := range a.rules {
		if r.match.has(ci) {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	c := a.classes[ci]
	ids := func(rs []*cRule) {
		for _, r := range rs {
			b.WriteString(itoa(int32(r.id)))
			b.WriteByte(',')
		}
		b.WriteByte(';')
	}
	for _, ds := range []*dirState{&c.in, &c.eg} {
		fmt.Fprintf(&b, "|%t%t", ds.iso, ds.simple)
		ids(ds.allows)
		for _, st := range ds.steps {
			fmt.Fprintf(&b, "%d%s%t", st.kind, st.name, st.isolates)
			ids(st.rules)
		}
	}
	return b.String()
}

// Why an owner is shown apart, in the order variants are told.
const (
	whyLabels = iota
	whyServiceAccount
	whyPorts
	whyIP
	whyPod
	numWhy
)

// variants tells the parts of one owner apart: for each part the text of each way in
// which the parts differ, joined; and which ways those are. Pod names come in only
// when nothing else tells two parts apart.
func (a *Analysis) variants(parts [][]*Workload) ([]string, []bool) {
	out := make([]string, len(parts))
	why := make([]bool, numWhy)
	if len(parts) < 2 {
		return out, why
	}
	texts := make([][numWhy]string, len(parts))
	labelKeys := differingLabelKeys(parts)
	var named []netip.Prefix
	for _, p := range namedPrefixes(a.Model) {
		named = append(named, p.Masked())
	}
	slices.SortFunc(named, comparePrefixes)
	named = slices.Compact(named)
	for i, p := range parts {
		texts[i][whyLabels] = labelsText(owners.TemplateLabels(p[0].Labels), labelKeys)
		texts[i][whyServiceAccount] = "serviceAccount=" + p[0].ServiceAccount
		texts[i][whyPorts] = "ports " + containerPortsText(p[0].Ports)
		texts[i][whyIP] = ipText(p, named)
	}
	for k := range whyPod {
		for i := range parts {
			if texts[i][k] != texts[0][k] {
				why[k] = true
			}
		}
	}
	join := func(i int) string {
		var s []string
		for k := range numWhy {
			if why[k] {
				s = append(s, texts[i][k])
			}
		}
		return strings.Join(s, "; ")
	}
	seen := map[string]int{}
	for i := range parts {
		out[i] = join(i)
		seen[out[i]]++
	}
	for i := range parts {
		if seen[out[i]] > 1 {
			why[whyPod] = true
		}
	}
	if why[whyPod] {
		for i, p := range parts {
			texts[i][whyPod] = memberNames(p)
			out[i] = join(i)
		}
	}
	return out, why
}

func comparePrefixes(x, y netip.Prefix) int {
	return cmp.Or(x.Addr().Compare(y.Addr()), cmp.Compare(x.Bits(), y.Bits()))
}

// differingLabelKeys are the template label keys on which some parts disagree.
func differingLabelKeys(parts [][]*Workload) []string {
	sets := make([]map[string]string, len(parts))
	keys := map[string]bool{}
	for i, p := range parts {
		sets[i] = owners.TemplateLabels(p[0].Labels)
		for k := range sets[i] {
			keys[k] = true
		}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		for _, s := range sets[1:] {
			v, ok := s[k]
			v0, ok0 := sets[0][k]
			if ok != ok0 || v != v0 {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// labelsText is the part's value of each key, as a selector says it: "release=canary",
// "!release" where the label is absent.
func labelsText(l map[string]string, keys []string) string {
	var s []string
	for _, k := range keys {
		if v, ok := l[k]; ok {
			s = append(s, k+"="+v)
		} else {
			s = append(s, "!"+k)
		}
	}
	return strings.Join(s, ",")
}

// ipText names the CIDRs of the policies that hold an IP of the part's pods.
func ipText(p []*Workload, named []netip.Prefix) string {
	var in []string
	for _, n := range named {
		if slices.ContainsFunc(p, func(w *Workload) bool {
			return slices.ContainsFunc(w.IPs, n.Contains)
		}) {
			in = append(in, n.String())
		}
	}
	if len(in) == 0 {
		return "ip in no ipBlock"
	}
	return "ip in " + strings.Join(in, ",")
}

// memberNames names the pods (or workloads) of a part, at most three.
func memberNames(p []*Workload) string {
	var names []string
	for _, w := range p {
		names = append(names, w.Name)
	}
	slices.Sort(names)
	word := "pod"
	if p[0].Kind != "Pod" {
		word = p[0].Kind
	}
	if len(names) > 1 {
		word += "s"
	}
	if len(names) > 3 {
		return fmt.Sprintf("%s %s and %d more", word, strings.Join(names[:3], ","), len(names)-3)
	}
	return word + " " + strings.Join(names, ",")
}

// ownerNote says why an owner is on several rows, and what each row holds:
// "shop/Deployment/reviews-v1: shown on 2 rows: its pods have different labels
// (release); [!release] 2 pods, [release=canary] 1 pod".
func ownerNote(owner Endpoint, why []bool, rows []Row) string {
	var reasons []string
	if why[whyLabels] {
		reasons = append(reasons, "its pods have different labels")
	}
	if why[whyServiceAccount] {
		reasons = append(reasons, "its pods run as different service accounts")
	}
	if why[whyPorts] {
		reasons = append(reasons, "its pods declare different container ports")
	}
	if why[whyIP] {
		reasons = append(reasons, "an ipBlock holds the IPs of some of its pods only")
	}
	if why[whyPod] {
		r := "policies treat some of its pods differently"
		if keys := differingPerPodKeys(rows); len(keys) > 0 {
			r += " (they differ in the per-pod labels " + strings.Join(keys, ", ") + ")"
		}
		reasons = append(reasons, r)
	}
	var parts []string
	for _, r := range rows {
		n := len(r.Members)
		unit := "workloads"
		if r.Pods > 0 {
			n, unit = r.Pods, "pods"
		}
		if n == 1 {
			unit = strings.TrimSuffix(unit, "s")
		}
		parts = append(parts, fmt.Sprintf("[%s] %d %s", r.Variant, n, unit))
	}
	return fmt.Sprintf("%s: shown on %d rows: %s; %s", owner, len(rows), strings.Join(reasons, "; "), strings.Join(parts, ", "))
}

// differingPerPodKeys are the per-pod label keys whose values differ among the pods
// of rows.
func differingPerPodKeys(rows []Row) []string {
	vals := map[string]map[string]bool{}
	for _, r := range rows {
		for _, w := range r.Members {
			for k, v := range w.Labels {
				if owners.IsPerPod(k) {
					if vals[k] == nil {
						vals[k] = map[string]bool{}
					}
					vals[k][v] = true
				}
			}
		}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		if len(vals[k]) > 1 {
			out = append(out, k)
		}
	}
	return out
}

// lookup finds the class of a workload endpoint: the workload of that name, else the
// pods of that owner (or of an intermediate such as their ReplicaSet), which must all
// have the same connections.
func (a *Analysis) lookup(e Endpoint) (int, error) {
	var found []*Workload
	for _, w := range a.Model.Workloads {
		if w.Namespace != e.Namespace {
			continue
		}
		if w.Kind == e.Kind && w.Name == e.Name {
			return a.Workload(w), nil
		}
		ref := owners.Ref{Kind: e.Kind, Name: e.Name}
		if w.Group == ref || slices.Contains(w.Via, ref) {
			found = append(found, w)
		}
	}
	if len(found) == 0 {
		return -1, fmt.Errorf("%s is not a workload or address of the inputs", e)
	}
	if parts := a.splitOwner(found); len(parts) > 1 {
		first := a.Workload(parts[0][0])
		for _, p := range parts[1:] {
			ci := a.Workload(p[0])
			if a.signature(ci) != a.signature(first) || containerPortsText(a.classes[ci].ports) != containerPortsText(a.classes[first].ports) {
				return -1, fmt.Errorf("policies treat the pods of %s differently (`moat netpol conns` shows them apart); name one of its pods, such as %s/Pod/%s", e, e.Namespace, p[0].Name)
			}
		}
	}
	return a.Workload(found[0]), nil
}
