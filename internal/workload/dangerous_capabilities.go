package workload

// pod/dangerous-capabilities: a container should not add a Linux capability that
// amounts to root on the node or opens a known escape: SYS_ADMIN, SYS_MODULE, ALL
// (critical), SYS_PTRACE, NET_ADMIN, DAC_READ_SEARCH, SYS_RAWIO, BPF, SYS_BOOT,
// MAC_ADMIN, MAC_OVERRIDE (high), and NET_RAW, DAC_OVERRIDE, PERFMON, MKNOD, SYS_TIME,
// SYSLOG (medium). Names are compared as the container runtimes read them: in any case
// and with or without the "CAP_" prefix. A capability both added and dropped by name is
// dropped (runtimes apply drops after adds); "ALL" is reported even with some drops.
// The PSS capabilities checks only say whether an added capability is allowed; this
// rule grades what each one gives.

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

type capabilityRisk struct {
	Severity finding.Severity
	Reason   string
}

var dangerousCapabilities = map[string]capabilityRisk{
	"ALL":             {finding.Critical, "which grants every capability, root on the host in all but name"},
	"SYS_ADMIN":       {finding.Critical, "which is nearly root on the host (mount, namespaces, cgroup release_agent escapes)"},
	"SYS_MODULE":      {finding.Critical, "which loads kernel modules: code in the host kernel"},
	"SYS_PTRACE":      {finding.High, "which traces and injects code into other processes, the host's ones with hostPID"},
	"NET_ADMIN":       {finding.High, "which rewrites interfaces, routes and firewall rules, the node's own with hostNetwork"},
	"DAC_READ_SEARCH": {finding.High, "which bypasses read permission checks and opens host files by handle (the Shocker escape)"},
	"SYS_RAWIO":       {finding.High, "which gives raw access to I/O ports, devices and kernel memory"},
	"BPF":             {finding.High, "which loads eBPF programs that read kernel memory and hook the host"},
	"SYS_BOOT":        {finding.High, "which reboots the node or loads a new kernel with kexec"},
	"MAC_ADMIN":       {finding.High, "which reconfigures AppArmor and SELinux, the controls that confine the container"},
	"MAC_OVERRIDE":    {finding.High, "which overrides AppArmor and SELinux policy"},
	"NET_RAW":         {finding.Medium, "which opens raw sockets to spoof ARP and DNS on the pod network"},
	"DAC_OVERRIDE":    {finding.Medium, "which bypasses file read, write and execute permission checks"},
	"PERFMON":         {finding.Medium, "which monitors the kernel's performance events and, with BPF, traces the host"},
	"MKNOD":           {finding.Medium, "which creates device nodes, raw access to host disks where the device cgroup allows"},
	"SYS_TIME":        {finding.Medium, "which sets the node's clock, for every pod on it"},
	"SYSLOG":          {finding.Medium, "which reads the kernel log and the kernel addresses it leaks"},
}

// capabilityName normalizes a capability as runtimes do: upper case, no "CAP_" prefix.
func capabilityName(c string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/dangerous-capabilities",
			Title:    "Container adds a dangerous capability",
			Severity: finding.High,
			Description: "Some Linux capabilities give a container near-root power over the node or a known escape: " +
				"SYS_ADMIN, SYS_MODULE and ALL are critical; SYS_PTRACE, NET_ADMIN, DAC_READ_SEARCH, SYS_RAWIO, BPF, " +
				"SYS_BOOT, MAC_ADMIN and MAC_OVERRIDE high; NET_RAW, DAC_OVERRIDE, PERFMON, MKNOD, SYS_TIME and SYSLOG " +
				"medium. CIS Kubernetes Benchmark 5.2.8 and 5.2.9 ask to minimize NET_RAW and added capabilities, the " +
				"NSA/CISA Kubernetes Hardening Guide (Kubernetes Pod security) to drop all that are not needed; Kubescape " +
				"(C-0046) and kube-linter (drop-net-raw-capability) flag these ones. Each finding says what the capability gives.",
			Remediation: "Remove the capability from securityContext.capabilities.add, drop ALL and add back only narrow " +
				"capabilities such as NET_BIND_SERVICE; give node agents that truly need one a dedicated, isolated node pool.",
			Frameworks: finding.Frameworks{CIS: "5.2.9", NSA: nsaPodSecurity, MITRE: "T1611"},
			Kinds:      podspec.Kinds,
		},
		Object: forContainers(allContainers, dangerousCapability),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !(" + dangerousCapAddedCEL + "))",
			Message:    celexpr.ContainersWhere(dangerousCapAddedCEL) + " + ' add a dangerous capability (" + strings.ReplaceAll(dangerousCapsCEL, "'", "") + ")'",
		},
	})
}

func dangerousCapability(_ podspec.Pod, ct podspec.Container) []rule.Result {
	sc := ct.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		return nil
	}
	dropped := map[string]bool{}
	for _, d := range sc.Capabilities.Drop {
		dropped[capabilityName(string(d))] = true
	}
	var out []rule.Result
	for j, a := range sc.Capabilities.Add {
		name := capabilityName(string(a))
		risk, ok := dangerousCapabilities[name]
		if !ok || (name != "ALL" && dropped[name]) {
			continue
		}
		shown := name
		if string(a) != name {
			shown = fmt.Sprintf("%q (%s)", a, name)
		}
		out = append(out, rule.Result{
			Message:  fmt.Sprintf("%s adds capability %s, %s", ct.Describe(), shown, risk.Reason),
			Path:     fmt.Sprintf("%s.securityContext.capabilities.add[%d]", ct.Path, j),
			Severity: severity(risk.Severity),
		})
	}
	return out
}

// capNameCEL normalizes a capability as the rule does: trimmed, upper-cased (the two
// non-ASCII letters whose upper case is ASCII included), without a CAP_ prefix.
func capNameCEL(x string) string {
	u := fmt.Sprintf("%s.trim().replace('\u0131', 'I').replace('\u017f', 'S').upperAscii()", x)
	return fmt.Sprintf("(%[1]s.startsWith('CAP_') ? %[1]s.substring(4) : %[1]s)", u)
}

// dangerousCapsCEL are the capabilities this rule reports, as a CEL list.
const dangerousCapsCEL = "['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'NET_ADMIN', 'DAC_READ_SEARCH', 'SYS_RAWIO', 'BPF', 'SYS_BOOT', 'MAC_ADMIN', 'MAC_OVERRIDE', 'NET_RAW', 'DAC_OVERRIDE', 'PERFMON', 'MKNOD', 'SYS_TIME', 'SYSLOG']"

// dangerousCapAddedCEL: container c adds a dangerous capability it does not also drop
// (ALL counts even when dropped).
var dangerousCapAddedCEL = "c.?securityContext.?capabilities.?add.orValue([]).exists(a, " + capNameCEL("a") + " in " + dangerousCapsCEL +
	" && (" + capNameCEL("a") + " == 'ALL' || !c.securityContext.capabilities.?drop.orValue([]).exists(d, " + capNameCEL("d") + " == " + capNameCEL("a") + ")))"
