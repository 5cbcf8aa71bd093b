package paths

// The escape layer: a workload whose pod can break out of its container reaches the
// node it runs on. The ways out are the findings of the escape rules: a privileged
// container; the host's PID, IPC or network namespace (hostNetwork reaches the node's
// localhost services and the kubelet); a hostPath volume that is sensitive
// (pod/sensitive-host-path: read-only does not help) or mounted writable
// (pod/writable-host-path); an added capability that is an escape by itself
// (escapeCapabilities); an unmasked /proc. A read-only hostPath of a path that is not
// sensitive is no way out, and neither is a capability such as NET_RAW.
//
// An edge's fixes are the changes any one of which removes it. A pod with two ways
// out keeps its edge when one is closed, so the edge carries the fixes that close
// every way at once; when no single rule's fix does, one fix that names them all.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
)

// escapeCapabilities are the added capabilities that are a known container escape on
// their own: mounts and cgroup release_agent (SYS_ADMIN), kernel modules (SYS_MODULE),
// open_by_handle_at (DAC_READ_SEARCH), raw device and memory access (SYS_RAWIO), a new
// kernel through kexec (SYS_BOOT), kernel programs (BPF), and every one of them (ALL).
// SYS_PTRACE reaches the node's processes only with hostPID (escapeWays).
var escapeCapabilities = map[string]bool{
	"ALL": true, "SYS_ADMIN": true, "SYS_MODULE": true, "DAC_READ_SEARCH": true,
	"SYS_RAWIO": true, "SYS_BOOT": true, "BPF": true,
}

// escapeWay is one way out of a pod's containers: the findings that show it, and the
// fixes any one of which closes it.
type escapeWay struct {
	findings []finding.Finding
	fixes    []*Fix
}

func (b *builder) escape() error {
	escaped := false
	for _, o := range b.workloadObjects() {
		pod, _ := podspec.Of(o)
		r := o.Ref()
		ways := b.escapeWays(r, pod)
		if len(ways) == 0 {
			continue
		}
		escaped = true
		from := b.workload(o)
		to := b.hostNode(pod.Spec.NodeName)
		fixes := b.escapeFixes(r, ways)
		for _, w := range ways {
			for _, f := range w.findings {
				b.g.edge(from, to, EdgeEscape, evidence(f), fixes...)
			}
		}
	}
	if escaped {
		b.assume(Assumption{Text: "a container escape gives root on the node, and with it the kubelet's credentials"})
	}
	return nil
}

// hostNode adds the node a pod runs on: the one spec.nodeName pins it to, or any node.
func (b *builder) hostNode(nodeName string) string {
	if nodeName == "" {
		return b.g.node(Node{ID: NodeHostID("*"), Kind: KindNode, Name: "any node", Target: true}).ID
	}
	return b.g.node(Node{ID: NodeHostID(nodeName), Kind: KindNode, Name: nodeName, Target: true}).ID
}

// escapeWays lists the ways out of a pod, each with its findings and fixes.
func (b *builder) escapeWays(r finding.Resource, pod podspec.Pod) []escapeWay {
	var ways []escapeWay
	for _, id := range []string{"pod/privileged-container", "pod/host-namespaces", "pod/unmasked-proc-mount"} {
		if fs := b.findingsOf(id, r); len(fs) > 0 {
			ways = append(ways, escapeWay{findings: fs, fixes: []*Fix{b.fixOf(fs[0])}})
		}
	}
	ways = append(ways, b.hostPathWays(r, pod)...)
	return append(ways, b.capabilityWays(r, pod)...)
}

// hostPathWays: each hostPath volume that is sensitive, or that a container mounts
// writable, is a way out. Removing the hostPath volumes closes every one; the
// sensitive-path fix closes the sensitive ones, and read-only mounts the others.
func (b *builder) hostPathWays(r finding.Resource, pod podspec.Pod) []escapeWay {
	hostPaths := b.findingsOf("pod/host-path-volumes", r)
	sensitive := b.findingsOf("pod/sensitive-host-path", r)
	writable := b.findingsOf("pod/writable-host-path", r)
	if len(sensitive) == 0 && len(writable) == 0 {
		return nil
	}
	mountOf := map[string]string{} // writable-host-path's field path → volume name
	for _, ct := range pod.Containers() {
		for j, m := range ct.VolumeMounts {
			mountOf[fmt.Sprintf("%s.volumeMounts[%d].readOnly", ct.Path, j)] = m.Name
		}
	}
	var ways []escapeWay
	for _, v := range pod.Volumes() {
		if v.HostPath == nil {
			continue
		}
		in := func(f finding.Finding) bool { return strings.HasPrefix(f.Path, v.Path+".") }
		mounts := func(f finding.Finding) bool { return mountOf[f.Path] == v.Name }
		var w escapeWay
		switch sens, wr := matching(sensitive, in), matching(writable, mounts); {
		case len(sens) > 0:
			w.findings = append(sens, wr...)
			w.fixes = []*Fix{b.fixOf(sens[0])}
		case len(wr) > 0:
			w.findings = wr
			w.fixes = []*Fix{b.fixOf(wr[0])}
		default:
			continue // read-only and not sensitive: no way out
		}
		if hp := matching(hostPaths, in); len(hp) > 0 {
			w.findings = append(hp, w.findings...)
			w.fixes = append([]*Fix{b.fixOf(hp[0])}, w.fixes...)
		}
		ways = append(ways, w)
	}
	return ways
}

// capabilityWays: each added escape capability is a way out, and SYS_PTRACE is one
// with hostPID. Removing the dangerous capabilities closes them, and so does dropping
// ALL (pod/unrestricted-capabilities) where that rule reports the container; hostPID's
// fix closes SYS_PTRACE's.
func (b *builder) capabilityWays(r finding.Resource, pod podspec.Pod) []escapeWay {
	dangerous := b.findingsOf("pod/dangerous-capabilities", r)
	if len(dangerous) == 0 {
		return nil
	}
	unrestricted := b.findingsOf("pod/unrestricted-capabilities", r)
	hostNS := b.findingsOf("pod/host-namespaces", r)
	var ways []escapeWay
	for _, ct := range pod.Containers() {
		sc := ct.SecurityContext
		if sc == nil || sc.Capabilities == nil {
			continue
		}
		for j, c := range sc.Capabilities.Add {
			name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(string(c))), "CAP_")
			ptrace := name == "SYS_PTRACE" && pod.Spec.HostPID
			if !escapeCapabilities[name] && !ptrace {
				continue
			}
			at := fmt.Sprintf("%s.securityContext.capabilities.add[%d]", ct.Path, j)
			fs := matching(dangerous, func(f finding.Finding) bool { return f.Path == at })
			if len(fs) == 0 {
				continue // dropped as well: the rule judged it gone
			}
			w := escapeWay{findings: fs, fixes: []*Fix{b.fixOf(fs[0])}}
			if un := matching(unrestricted, func(f finding.Finding) bool { return strings.HasPrefix(f.Path, ct.Path+".") }); len(un) > 0 {
				w.findings = append(w.findings, un...)
				w.fixes = append(w.fixes, b.fixOf(un[0]))
			}
			if ptrace && len(hostNS) > 0 {
				w.fixes = append(w.fixes, b.fixOf(hostNS[0]))
			}
			ways = append(ways, w)
		}
	}
	return ways
}

// escapeFixes are the fixes that close every way out: those all ways share, or else
// one fix that applies, together, a fix of each way (the fewest, chosen greedily).
func (b *builder) escapeFixes(r finding.Resource, ways []escapeWay) []*Fix {
	common := slices.Clone(ways[0].fixes)
	for _, w := range ways[1:] {
		common = slices.DeleteFunc(common, func(f *Fix) bool { return !slices.Contains(w.fixes, f) })
	}
	if len(common) > 0 {
		return common
	}
	var chosen []*Fix
	open := slices.Clone(ways)
	for len(open) > 0 {
		best, bestN := open[0].fixes[0], 0
		for _, w := range open {
			for _, f := range w.fixes {
				n := 0
				for _, x := range open {
					if slices.Contains(x.fixes, f) {
						n++
					}
				}
				if n > bestN {
					best, bestN = f, n
				}
			}
		}
		chosen = append(chosen, best)
		open = slices.DeleteFunc(open, func(w escapeWay) bool { return slices.Contains(w.fixes, best) })
	}
	ids := make([]string, len(chosen))
	steps := make([]string, len(chosen))
	for i, f := range chosen {
		ids[i] = f.RuleID
		steps[i] = fmt.Sprintf("(%s) %s", f.RuleID, f.Remediation)
	}
	return []*Fix{b.g.fix(Fix{
		ID:          "escape " + strings.Join(ids, "+") + " " + r.String(),
		Resource:    &r,
		Remediation: "Close every way out of the container, all of: " + strings.Join(steps, " "),
	})}
}

// matching are the findings of fs for which ok holds.
func matching(fs []finding.Finding, ok func(finding.Finding) bool) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if ok(f) {
			out = append(out, f)
		}
	}
	return out
}

// workloadObjects are the workloads in the inventory's order (of an object defined
// twice, the definition the builder kept), so that evidence is listed in a stable order.
func (b *builder) workloadObjects() []*inventory.Object {
	out := make([]*inventory.Object, 0, len(b.workloads))
	for _, o := range b.inv.Objects {
		if b.workloads[o.Ref()] == o {
			out = append(out, o)
		}
	}
	return out
}
