// Rules node/*-permissions and node/*-ownership: the modes and owners of the files the
// CIS Kubernetes Benchmark v1.12 names in sections 1.1 (control-plane node files) and 4.1
// (worker node files). Each rule looks at the files one component uses and asks of each
// either a mode no wider than the benchmark's, or an owner.
//
// "600 or more restrictive" means no permission bit outside 0600: 0400 passes, 0640 and
// 0700 fail. The owner is compared by id (root is uid and gid 0); names from the node's
// /etc/passwd and /etc/group only make messages readable.
//
// Decisions:
//   - A file that does not exist is not examined and gives no finding: the benchmark says
//     "if exists" of the proxy kubeconfig, the kubelet config and service files and the CNI
//     files, and a manifest or kubeconfig that is absent belongs to a component run from
//     elsewhere (a systemd unit, k3s's single binary), which has nothing there to protect.
//   - A file Load could not examine (it could not stat it, or never looked at the path) is
//     a finding of severity info saying so, never a pass. A file whose mode and owner were
//     read but whose content was not (too large to read) is examined: its mode is known.
//   - A relative path is not examined (info): the component resolves it from its working
//     directory, which Moat does not know.
//   - etcd's data directory (1.1.12) must be owned by the user and group named etcd. A
//     machine with no user named etcd runs etcd as root (kubeadmLayout's static pod does), and
//     there root:root is accepted, and the failure message says why it was asked. Where
//     the user exists but no group is named etcd, etcd:root is asked.
//   - CNI (1.1.9, 1.1.10): permissions are asked of the files beneath the CNI directory
//     (a directory needs its x bits), ownership of every entry, directories included.
//     kube-bench also reads /var/lib/cni/networks (IP allocations, no configuration);
//     Moat reads only the layout's CNI directory.
//   - The PKI directory's owner rule (1.1.19) is high, not low like the certificates':
//     the owner of a key file reads it whatever its mode, and the owner of a CA
//     certificate chooses whom the components trust.
package node

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	for _, r := range fileRules {
		rule.Register(r.rule())
	}
}

// fileRules are the rules, one line each: ID, CIS number, severity, what is asked,
// of which files.
var fileRules = []fileRule{
	{"node/apiserver-manifest-permissions", "1.1.1", finding.Medium, modeAtMost600, apiserverManifestFiles},
	{"node/apiserver-manifest-ownership", "1.1.2", finding.Medium, ownedByRoot, apiserverManifestFiles},
	{"node/controller-manager-manifest-permissions", "1.1.3", finding.Medium, modeAtMost600, controllerManagerManifestFiles},
	{"node/controller-manager-manifest-ownership", "1.1.4", finding.Medium, ownedByRoot, controllerManagerManifestFiles},
	{"node/scheduler-manifest-permissions", "1.1.5", finding.Medium, modeAtMost600, schedulerManifestFiles},
	{"node/scheduler-manifest-ownership", "1.1.6", finding.Medium, ownedByRoot, schedulerManifestFiles},
	{"node/etcd-manifest-permissions", "1.1.7", finding.Medium, modeAtMost600, etcdManifestFiles},
	{"node/etcd-manifest-ownership", "1.1.8", finding.Medium, ownedByRoot, etcdManifestFiles},
	{"node/cni-file-permissions", "1.1.9", finding.Low, modeAtMost600, cniConfigFiles},
	{"node/cni-file-ownership", "1.1.10", finding.Low, ownedByRoot, cniConfigTree},
	{"node/etcd-data-dir-permissions", "1.1.11", finding.High, modeAtMost700, etcdDataDirFiles},
	{"node/etcd-data-dir-ownership", "1.1.12", finding.High, ownedByEtcd, etcdDataDirFiles},
	{"node/admin-kubeconfig-permissions", "1.1.13", finding.High, modeAtMost600, adminKubeconfigFiles},
	{"node/admin-kubeconfig-ownership", "1.1.14", finding.High, ownedByRoot, adminKubeconfigFiles},
	{"node/scheduler-kubeconfig-permissions", "1.1.15", finding.High, modeAtMost600, schedulerKubeconfigFiles},
	{"node/scheduler-kubeconfig-ownership", "1.1.16", finding.High, ownedByRoot, schedulerKubeconfigFiles},
	{"node/controller-manager-kubeconfig-permissions", "1.1.17", finding.High, modeAtMost600, controllerManagerKubeconfigFiles},
	{"node/controller-manager-kubeconfig-ownership", "1.1.18", finding.High, ownedByRoot, controllerManagerKubeconfigFiles},
	{"node/pki-ownership", "1.1.19", finding.High, ownedByRoot, pkiTreeFiles},
	{"node/pki-certificate-permissions", "1.1.20", finding.Low, modeAtMost644, pkiCertificateFiles},
	{"node/pki-key-permissions", "1.1.21", finding.High, modeAtMost600, pkiKeyFiles},
	{"node/kubelet-service-permissions", "4.1.1", finding.Medium, modeAtMost600, kubeletServiceFiles},
	{"node/kubelet-service-ownership", "4.1.2", finding.Medium, ownedByRoot, kubeletServiceFiles},
	{"node/proxy-kubeconfig-permissions", "4.1.3", finding.High, modeAtMost600, proxyKubeconfigFiles},
	{"node/proxy-kubeconfig-ownership", "4.1.4", finding.High, ownedByRoot, proxyKubeconfigFiles},
	{"node/kubelet-kubeconfig-permissions", "4.1.5", finding.High, modeAtMost600, kubeletKubeconfigFiles},
	{"node/kubelet-kubeconfig-ownership", "4.1.6", finding.High, ownedByRoot, kubeletKubeconfigFiles},
	{"node/kubelet-client-ca-permissions", "4.1.7", finding.Low, modeAtMost644, kubeletClientCAFiles},
	{"node/kubelet-client-ca-ownership", "4.1.8", finding.Low, ownedByRoot, kubeletClientCAFiles},
	{"node/kubelet-config-permissions", "4.1.9", finding.Medium, modeAtMost600, kubeletConfigFiles},
	{"node/kubelet-config-ownership", "4.1.10", finding.Medium, ownedByRoot, kubeletConfigFiles},
}

// fileRule asks one thing (a mode or an owner) of a set of files.
type fileRule struct {
	id, cis  string
	severity finding.Severity
	want     fileWant
	files    fileSet
}

// fileWant is what a rule asks of each file, with the words its metadata needs.
type fileWant struct {
	property string // "mode" or "owner", for "its mode is unknown"
	title    string // "permissions wider than 600"
	text     string // "have mode 0600 or stricter", for descriptions
	fix      string // "chmod 600"
	// remediation, when set, replaces the one made from fix.
	remediation string
	// fails returns the message of a file that does not pass, "" for one that does.
	fails func(h *Host, f *File) string
}

// fileSet is a set of files of one component and why they matter.
type fileSet struct {
	// on is the component whose object the rules are on; orOn, when set, is the one they
	// are on when on does not run (the proxy kubeconfig, checked on the kubelet's node
	// when kube-proxy runs as a pod).
	on, orOn string
	name     string // for titles: "API server pod manifest"
	what     string // for descriptions: which files, found how
	example  string // the file on a kubeadmLayout node, for remediations
	why      string // who could read credentials or change a component's flags
	absent   string // why a missing file is not a failure
	// recursive says the remediation's example fixes a whole directory (chown -R).
	recursive bool
	// credentials says the files hold credentials (MITRE ATT&CK T1552.001).
	credentials bool
	paths       func(c *Component) []string
}

var (
	modeAtMost600 = modeAtMost(0o600)
	modeAtMost644 = modeAtMost(0o644)
	modeAtMost700 = modeAtMost(0o700)

	ownedByRoot = fileWant{
		property: "owner",
		title:    "not owned by root:root",
		text:     "be owned by root:root (user and group id 0)",
		fix:      "chown root:root",
		fails: func(h *Host, f *File) string {
			return fileOwnerFails(h, f, 0, 0, "root:root", "")
		},
	}

	ownedByEtcd = fileWant{
		property: "owner",
		title:    "not owned by etcd:etcd",
		text:     "be owned by etcd:etcd (root:root on a machine with no user named etcd, where etcd runs as root as kubeadm runs it)",
		fix:      "chown etcd:etcd",
		remediation: "On the node, run chown etcd:etcd on the directory the finding names; on a machine with " +
			"no user named etcd, where etcd runs as root (kubeadm), chown root:root /var/lib/etcd.",
		fails: etcdDataOwnerFails,
	}
)

// modeAtMost asks for no permission bit outside max.
func modeAtMost(max fs.FileMode) fileWant {
	return fileWant{
		property: "mode",
		title:    fmt.Sprintf("permissions wider than %o", max),
		text:     fmt.Sprintf("have mode %04o or stricter (no permission bit outside %04o)", max, max),
		fix:      fmt.Sprintf("chmod %o", max),
		fails: func(_ *Host, f *File) string {
			if f.ModeAtMost(max) {
				return ""
			}
			return fmt.Sprintf("%s has mode %04o; want %04o or stricter", f.Path, f.Mode.Perm(), max)
		},
	}
}

// fileOwnerFails compares a file's owner with uid:gid by id; want names them for the message.
func fileOwnerFails(h *Host, f *File, uid, gid int, want, why string) string {
	if f.UID == uid && f.GID == gid {
		return ""
	}
	return fmt.Sprintf("%s is owned by %s; want %s%s", f.Path, fileOwnerText(h, f), want, why)
}

// fileOwnerText is "1000:1000 (alice:alice)", or "1000:1000" when the ids have no names.
func fileOwnerText(h *Host, f *File) string {
	ids := fmt.Sprintf("%d:%d", f.UID, f.GID)
	if names := h.Owner(f); names != ids {
		return ids + " (" + names + ")"
	}
	return ids
}

// etcdDataOwnerFails asks for the user and group named etcd, or root:root where the machine
// has no user named etcd.
func etcdDataOwnerFails(h *Host, f *File) string {
	uid, ok := idNamed(h.Users, "etcd")
	if !ok {
		return fileOwnerFails(h, f, 0, 0, "root:root",
			" (the machine has no user named etcd, so etcd runs as root, as kubeadm runs it)")
	}
	gid, ok := idNamed(h.Groups, "etcd")
	if !ok {
		return fileOwnerFails(h, f, uid, 0, "etcd:root", " (the machine has no group named etcd)")
	}
	return fileOwnerFails(h, f, uid, gid, "etcd:etcd", "")
}

// idNamed is the lowest id that has name.
func idNamed(names map[int]string, name string) (int, bool) {
	id, found := 0, false
	for i, n := range names {
		if n == name && (!found || i < id) {
			id, found = i, true
		}
	}
	return id, found
}

// rule makes the registered rule.
func (r fileRule) rule() *rule.Rule {
	s := r.files
	example := r.want.fix
	if s.recursive {
		example = strings.Replace(example, " ", " -R ", 1)
	}
	m := rule.Meta{
		ID:       r.id,
		Title:    s.name + " " + r.want.title,
		Severity: r.severity,
		Description: fmt.Sprintf("%s should %s. %s %s A file Moat could not examine is reported as info, "+
			"never passed. CIS Kubernetes Benchmark v1.12, %s.", s.what, r.want.text, s.why, s.absent, r.cis),
		Remediation: fmt.Sprintf("On the node, run %s on the path the finding names (on a kubeadm node: %s %s).",
			r.want.fix, example, s.example),
		Frameworks: finding.Frameworks{CIS: r.cis},
	}
	if r.want.remediation != "" {
		m.Remediation = r.want.remediation
	}
	if s.credentials {
		m.Frameworks.MITRE = mitreCredFiles
	}
	rl := componentRule(s.on, m, r.check)
	if s.orOn != "" {
		fallback := componentRule(s.orOn, m, func(c *Component) []rule.Result {
			if c.Host.Component(s.on) != nil {
				return nil // the rule runs on s.on's object
			}
			return r.check(c)
		})
		rl.Kinds = append(rl.Kinds, fallback.Kinds...)
		onKind := rl.Object
		rl.Object = func(rc *rule.Context, o *inventory.Object) []rule.Result {
			return append(onKind(rc, o), fallback.Object(rc, o)...)
		}
	}
	return rl
}

// check examines each file of the set once.
func (r fileRule) check(c *Component) []rule.Result {
	var out []rule.Result
	seen := map[string]bool{}
	for _, p := range r.files.paths(c) {
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		if res, ok := r.examine(c.Host, p); ok {
			out = append(out, res)
		}
	}
	return out
}

// examine checks one file: nothing for a file that passes or does not exist, an info
// finding for one that was not examined.
func (r fileRule) examine(h *Host, p string) (rule.Result, bool) {
	notExamined := func(p, why string) (rule.Result, bool) {
		info := finding.Info
		return rule.Result{
			Message:  fmt.Sprintf("%s was not examined (%s); its %s is unknown", p, why, r.want.property),
			Path:     p,
			Source:   &finding.Source{File: p},
			Severity: &info,
		}, true
	}
	if !path.IsAbs(p) {
		return notExamined(p, "a relative path, which the component resolves from its working directory")
	}
	p = path.Clean(p)
	f := h.File(p)
	switch {
	case f == nil:
		return notExamined(p, "Moat did not read it")
	case !f.Exists && f.Err != "":
		return notExamined(p, f.Err)
	case !f.Exists:
		return rule.Result{}, false
	}
	msg := r.want.fails(h, f)
	if msg == "" {
		return rule.Result{}, false
	}
	return rule.Result{Message: msg, Path: p, Source: &finding.Source{File: p}}, true
}

// The sets of files. Paths are what the component's flags name, else the layout's.

// flagPathOr is the value of a component's flag, else def.
func flagPathOr(c *Component, flag, def string) string {
	if v, ok := c.Flags.Lookup(flag); ok && v != "" {
		return v
	}
	return def
}

// filesBeneath lists the entries of dir that keep accepts (keep's file is nil for an
// entry Load did not examine), after dir itself when withDir is set or when dir could
// not be examined, so that the rule says so.
func filesBeneath(h *Host, dir string, withDir bool, keep func(p string, f *File) bool) []string {
	d := h.File(dir)
	var out []string
	if withDir || d == nil || (!d.Exists && d.Err != "") {
		out = append(out, dir)
	}
	if d == nil {
		return out
	}
	for _, p := range d.Entries {
		if keep(p, h.File(p)) {
			out = append(out, p)
		}
	}
	return out
}

func anyFileBeneath(string, *File) bool { return true }

var kubeadmLayout = Layouts["kubeadm"]

var (
	apiserverManifestFiles         = manifestFiles(APIServer, "API server", "the API server")
	controllerManagerManifestFiles = manifestFiles(ControllerManager, "Controller manager", "the controller manager")
	schedulerManifestFiles         = manifestFiles(Scheduler, "Scheduler", "the scheduler")
	etcdManifestFiles              = manifestFiles(Etcd, "etcd", "etcd")
)

// manifestFiles is a control-plane component's static pod manifest; title names the
// component in titles ("API server"), subject in sentences ("the API server").
func manifestFiles(kind, title, subject string) fileSet {
	return fileSet{
		on:      kind,
		name:    title + " pod manifest",
		what:    fmt.Sprintf("The static pod manifest of %s (%s.yaml in the layout's manifest directory)", subject, kind),
		example: path.Join(kubeadmLayout.Manifests, kind+".yaml"),
		why: fmt.Sprintf("The kubelet runs whatever this file says as %s: whoever can write it, or owns it and so "+
			"can change its mode, changes %s's flags and image (turns off authentication, points it at "+
			"other keys) and runs code as root on the control plane; whoever can read it learns the paths of "+
			"its keys and any secret given as a flag.", subject, subject),
		absent: "An absent manifest is not examined: the component then runs from elsewhere (a systemd unit, " +
			"a single k3s binary) and has no manifest here to protect.",
		paths: func(c *Component) []string {
			return []string{path.Join(c.Host.Layout.Manifests, kind+".yaml")}
		},
	}
}

var cniConfigFiles = fileSet{
	on:      Kubelet,
	name:    "CNI configuration file",
	what:    "Each file beneath the CNI configuration directory (the layout's, /etc/cni/net.d with kubeadm)",
	example: kubeadmLayout.CNI + "/*",
	why: "The CNI configuration decides how the container runtime wires every pod to the network: whoever " +
		"can change it can attach pods to another network, drop the plugin that enforces NetworkPolicy or " +
		"route pod traffic through a host they control; some plugins' files name credentials.",
	absent: "Files that do not exist are not examined: the benchmark asks this of the files that are there.",
	paths: func(c *Component) []string {
		return filesBeneath(c.Host, c.Host.Layout.CNI, false, func(_ string, f *File) bool {
			return f == nil || !f.Dir
		})
	},
}

var cniConfigTree = fileSet{
	on:      cniConfigFiles.on,
	name:    "CNI configuration",
	what:    "Each file and directory beneath the CNI configuration directory (the layout's, /etc/cni/net.d with kubeadm)",
	example: cniConfigFiles.example,
	why:     cniConfigFiles.why + " The owner of a file can change its mode and content whatever the mode says.",
	absent:  cniConfigFiles.absent,
	paths: func(c *Component) []string {
		return filesBeneath(c.Host, c.Host.Layout.CNI, false, anyFileBeneath)
	},
}

var etcdDataDirFiles = fileSet{
	credentials: true,
	on:          Etcd,
	name:        "etcd data directory",
	what:        "etcd's data directory (its --data-dir, else the layout's, /var/lib/etcd with kubeadm)",
	example:     kubeadmLayout.EtcdDataDir,
	why: "It holds the whole cluster state, every Secret included (in plain text unless encryption at rest " +
		"is configured): whoever can read it reads every credential in the cluster, whoever can write it " +
		"changes any object without the API server's authorization or admission. etcd itself needs no other " +
		"user to have access.",
	absent: "An absent directory is not examined: there is no data to protect.",
	paths: func(c *Component) []string {
		dir := c.Flags.Value("data-dir")
		if dir == "" {
			dir = c.Host.Layout.EtcdDataDir
		}
		return []string{dir}
	},
}

var adminKubeconfigFiles = fileSet{
	credentials: true,
	on:          APIServer,
	name:        "Administrator kubeconfig",
	what: "The administrator's kubeconfig (the layout's, /etc/kubernetes/admin.conf with kubeadm) and " +
		"super-admin.conf beside it when present",
	example: kubeadmLayout.AdminConf,
	why: "admin.conf holds a client certificate and key of the kubeadm:cluster-admins group, and " +
		"super-admin.conf (kubeadm 1.29 and later) one of system:masters, which no RBAC rule can restrict: " +
		"whoever can read either file, or owns it, is cluster administrator.",
	absent: "An absent file is not examined: clusters not made by kubeadm may keep no administrator " +
		"credentials on the node.",
	paths: func(c *Component) []string {
		admin := c.Host.Layout.AdminConf
		return []string{admin, path.Join(path.Dir(admin), "super-admin.conf")}
	},
}

// componentKubeconfig is the kubeconfig a control-plane component talks to the API server
// with; title names the component in titles, subject in sentences.
func componentKubeconfig(kind, title, subject, user, powers string, layoutPath func(*Layout) string) fileSet {
	return fileSet{
		on:          kind,
		credentials: true,
		name:        title + " kubeconfig",
		what:        fmt.Sprintf("The kubeconfig of %s (the file its --kubeconfig names, else the layout's)", subject),
		example:     layoutPath(&kubeadmLayout),
		why: fmt.Sprintf("It holds the client certificate and key of %s: whoever can read it, or owns it, "+
			"acts as %s, which %s.", user, subject, powers),
		absent: "An absent file is not examined: the component then authenticates otherwise or runs elsewhere.",
		paths: func(c *Component) []string {
			return []string{flagPathOr(c, "kubeconfig", layoutPath(c.Host.Layout))}
		},
	}
}

var schedulerKubeconfigFiles = componentKubeconfig(Scheduler, "Scheduler", "the scheduler", "system:kube-scheduler",
	"can place any pod on any node and read the cluster's pods, nodes and volumes",
	func(l *Layout) string { return l.SchedulerConf })

var controllerManagerKubeconfigFiles = componentKubeconfig(ControllerManager, "Controller manager", "the controller manager",
	"system:kube-controller-manager", "can read any Secret and request a token for any service account, "+
		"its controllers' included, which change workloads in every namespace",
	func(l *Layout) string { return l.ControllerManagerConf })

var pkiTreeFiles = fileSet{
	credentials: true,
	on:          APIServer,
	name:        "PKI directory",
	what:        "The control plane's PKI directory (the layout's, /etc/kubernetes/pki with kubeadm) and every file and directory beneath it",
	example:     kubeadmLayout.PKI,
	recursive:   true,
	why: "It holds the cluster CA's key and the keys of the API server, etcd and the front proxy: the owner " +
		"of a key file reads it whatever its mode and can sign certificates the API server accepts for any " +
		"user, and the owner of a CA certificate chooses whom the components trust.",
	absent: "An absent directory is not examined: the layout keeps its certificates elsewhere.",
	paths: func(c *Component) []string {
		return filesBeneath(c.Host, c.Host.Layout.PKI, true, anyFileBeneath)
	},
}

// pkiFilesEnding lists the files beneath the PKI directory whose names end in suffix.
func pkiFilesEnding(suffix string) func(c *Component) []string {
	return func(c *Component) []string {
		return filesBeneath(c.Host, c.Host.Layout.PKI, false, func(p string, _ *File) bool {
			return strings.HasSuffix(p, suffix)
		})
	}
}

var pkiCertificateFiles = fileSet{
	on:      APIServer,
	name:    "PKI certificate",
	what:    "Each certificate (*.crt) beneath the control plane's PKI directory",
	example: kubeadmLayout.PKI + "/*.crt",
	why: "Certificates are public, but one that others can write can be replaced: a CA certificate swapped " +
		"for another makes the components trust clients and servers that CA signs.",
	absent: "Files that do not exist are not examined.",
	paths:  pkiFilesEnding(".crt"),
}

var pkiKeyFiles = fileSet{
	credentials: true,
	on:          APIServer,
	name:        "PKI private key",
	what:        "Each private key (*.key) beneath the control plane's PKI directory",
	example:     kubeadmLayout.PKI + "/*.key",
	why: "A private key others can read lets them act as the component it belongs to; the CA's key lets them " +
		"sign a certificate for any user, system:masters included, and the service-account key lets them " +
		"mint tokens for every service account.",
	absent: "Files that do not exist are not examined.",
	paths:  pkiFilesEnding(".key"),
}

var kubeletServiceFiles = fileSet{
	on:      Kubelet,
	name:    "Kubelet service file",
	what:    "Each of the kubelet's systemd unit files and drop-ins that the layout names",
	example: kubeadmLayout.KubeletService[0],
	why: "They set the kubelet's command line: whoever can change them changes its flags (turns on " +
		"anonymous access, points it at another config file) at the next restart, as root.",
	absent: "Files that do not exist are not examined: the benchmark asks this of the files that are there.",
	paths:  func(c *Component) []string { return c.Host.Layout.KubeletService },
}

var proxyKubeconfigFiles = fileSet{
	credentials: true,
	on:          KubeProxy,
	orOn:        Kubelet,
	name:        "kube-proxy kubeconfig",
	what: "kube-proxy's kubeconfig (the file its --kubeconfig names, else the layout's; checked on the " +
		"kubelet when kube-proxy does not run as a process here)",
	example: kubeadmLayout.ProxyKubeconfig,
	why: "It holds the credentials kube-proxy talks to the API server with: whoever can read it, or owns it, " +
		"acts as kube-proxy, and whoever can change it points kube-proxy at another server that programs " +
		"the node's service routing.",
	absent: "An absent file is not examined: the benchmark asks this only if it exists.",
	paths: func(c *Component) []string {
		if c.Kind == KubeProxy {
			return []string{c.proxyKubeconfig()}
		}
		return []string{c.Host.Layout.ProxyKubeconfig}
	},
}

var kubeletKubeconfigFiles = fileSet{
	credentials: true,
	on:          Kubelet,
	name:        "Kubelet kubeconfig",
	what:        "The kubelet's kubeconfig (the file its --kubeconfig names, else the layout's)",
	example:     kubeadmLayout.KubeletKubeconfig,
	why: "It holds the kubelet's client credentials (system:node:NAME): whoever can read it, or owns it, " +
		"acts as the node, reads the Secrets of the pods bound to it and changes its status and pods.",
	absent: "An absent file is not examined: a standalone kubelet needs none.",
	paths: func(c *Component) []string {
		return []string{flagPathOr(c, "kubeconfig", c.Host.Layout.KubeletKubeconfig)}
	},
}

var kubeletClientCAFiles = fileSet{
	on:   Kubelet,
	name: "Kubelet client CA file",
	what: "The CA file the kubelet authenticates clients with (authentication.x509.clientCAFile of its " +
		"configuration, or --client-ca-file)",
	example: kubeadmLayout.PKI + "/ca.crt",
	why: "The kubelet accepts any client certificate this CA signed: whoever can replace it can add a CA of " +
		"their own and reach the kubelet's API, which runs commands in every pod on the node.",
	absent: "An absent file, or none configured, is not examined.",
	paths: func(c *Component) []string {
		if c.Kubelet == nil {
			return nil
		}
		return []string{c.Kubelet.Authentication.X509.ClientCAFile}
	},
}

var kubeletConfigFiles = fileSet{
	on:      Kubelet,
	name:    "Kubelet config file",
	what:    "The kubelet's configuration file (the file its --config names)",
	example: kubeadmLayout.KubeletConfig,
	why: "It sets the kubelet's authentication, authorization, TLS and read-only port: whoever can change " +
		"it, or owns it, turns them off at the next restart; it may name credentials.",
	absent: "An absent file, or none when the kubelet runs without --config, is not examined: the " +
		"benchmark asks this only if the file is used.",
	paths: func(c *Component) []string {
		// The flag as given rather than KubeletConfig.File (the same path, cleaned), so
		// that a relative path is reported as such.
		return []string{flagPathOr(c, "config", "")}
	},
}
