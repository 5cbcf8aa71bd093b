package node

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// The owners the test node's /etc/passwd and /etc/group name.
const (
	testUIDRoot  = 0
	testUIDEtcd  = 998
	testUIDAlice = 1000
)

const (
	testPasswd       = "root:x:0:0:root:/root:/bin/bash\netcd:x:998:998::/var/lib/etcd:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/sh\n"
	testGroup        = "root:x:0:\netcd:x:998:\nalice:x:1000:\n"
	testPasswdNoEtcd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n"
	testGroupNoEtcd  = "root:x:0:\nalice:x:1000:\n"
)

// testNodeFile is one file or directory of the test node, as a hardened node has it.
type testNodeFile struct {
	path     string
	mode     fs.FileMode
	uid, gid int
	dir      bool
	content  string
}

// testKubeletConfig is the kubelet's --config file: it names the client CA.
const testKubeletConfig = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" +
	"authentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\n"

// nodeFile are the host paths of the test node's files that the cases change.
var nodeFile = struct {
	apiManifest, cmManifest, schedManifest, etcdManifest, adminConf, superAdminConf, schedConf, cmConf, cmLayoutConf, pkiDir, caCrt, caKey, saPub, etcdCAKey, etcdDir, cniDir, cniConf, cniSubdir, kubeletDropIn, kubeletUnit, kubeletConf, kubeletConfig, proxyConf, proxyOwnConf string
}{
	apiManifest:    "/etc/kubernetes/manifests/kube-apiserver.yaml",
	cmManifest:     "/etc/kubernetes/manifests/kube-controller-manager.yaml",
	schedManifest:  "/etc/kubernetes/manifests/kube-scheduler.yaml",
	etcdManifest:   "/etc/kubernetes/manifests/etcd.yaml",
	adminConf:      "/etc/kubernetes/admin.conf",
	superAdminConf: "/etc/kubernetes/super-admin.conf",
	schedConf:      "/etc/kubernetes/scheduler.conf", // the layout's: the scheduler has no --kubeconfig
	cmConf:         "/etc/kubernetes/cm.conf",        // the controller manager's --kubeconfig
	cmLayoutConf:   "/etc/kubernetes/controller-manager.conf",
	pkiDir:         "/etc/kubernetes/pki",
	caCrt:          "/etc/kubernetes/pki/ca.crt",
	caKey:          "/etc/kubernetes/pki/ca.key",
	saPub:          "/etc/kubernetes/pki/sa.pub",
	etcdCAKey:      "/etc/kubernetes/pki/etcd/ca.key",
	etcdDir:        "/srv/etcd", // etcd's --data-dir
	cniDir:         "/etc/cni/custom.d",
	cniConf:        "/etc/cni/custom.d/10-bridge.conflist",
	cniSubdir:      "/etc/cni/custom.d/extra",
	kubeletDropIn:  "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
	kubeletUnit:    "/lib/systemd/system/kubelet.service", // named by the layout, absent
	kubeletConf:    "/etc/kubernetes/kubelet.conf",
	kubeletConfig:  "/var/lib/kubelet/config.yaml",
	proxyConf:      "/var/lib/kube-proxy/kubeconfig.conf",
	proxyOwnConf:   "/var/lib/kube-proxy/own.conf",
}

// hardenedTestNode is a kubeadm control-plane node that passes every file rule.
func hardenedTestNode() []testNodeFile {
	file := func(p string, mode fs.FileMode) testNodeFile {
		return testNodeFile{path: p, mode: mode, content: "test: " + filepath.Base(p) + "\n"}
	}
	dir := func(p string, mode fs.FileMode) testNodeFile { return testNodeFile{path: p, mode: mode, dir: true} }
	etcdData := dir(nodeFile.etcdDir, 0o700)
	etcdData.uid, etcdData.gid = testUIDEtcd, testUIDEtcd
	config := file(nodeFile.kubeletConfig, 0o600)
	config.content = testKubeletConfig
	return []testNodeFile{
		{path: "/etc/passwd", mode: 0o644, content: testPasswd},
		{path: "/etc/group", mode: 0o644, content: testGroup},
		file(nodeFile.apiManifest, 0o600), file(nodeFile.cmManifest, 0o600), file(nodeFile.schedManifest, 0o600), file(nodeFile.etcdManifest, 0o600),
		file(nodeFile.adminConf, 0o600), file(nodeFile.superAdminConf, 0o600),
		file(nodeFile.schedConf, 0o600), file(nodeFile.cmConf, 0o600), file(nodeFile.cmLayoutConf, 0o600),
		dir(nodeFile.pkiDir, 0o755), file(nodeFile.caCrt, 0o644), file(nodeFile.caKey, 0o600), file(nodeFile.saPub, 0o644),
		file(nodeFile.pkiDir+"/apiserver.crt", 0o644), file(nodeFile.pkiDir+"/apiserver.key", 0o600),
		dir(nodeFile.pkiDir+"/etcd", 0o755), file(nodeFile.pkiDir+"/etcd/ca.crt", 0o644), file(nodeFile.etcdCAKey, 0o600),
		etcdData, dir(nodeFile.etcdDir+"/member", 0o700),
		dir(nodeFile.cniDir, 0o755), file(nodeFile.cniConf, 0o600), dir(nodeFile.cniSubdir, 0o755),
		file(nodeFile.kubeletDropIn, 0o600), file(nodeFile.kubeletConf, 0o600), config, file(nodeFile.proxyConf, 0o600),
	}
}

// The command lines of the test node; a case may replace one component's line.
var testNodeCmdlines = map[string]string{
	APIServer:         "kube-apiserver --client-ca-file=/etc/kubernetes/pki/ca.crt --etcd-servers=https://127.0.0.1:2379",
	ControllerManager: "kube-controller-manager --kubeconfig=" + nodeFile.cmConf,
	Scheduler:         "/usr/local/bin/kube-scheduler --bind-address=127.0.0.1",
	Etcd:              "etcd --data-dir=" + nodeFile.etcdDir + " --name=cp-1",
	Kubelet:           "kubelet --kubeconfig=" + nodeFile.kubeletConf + " --config=" + nodeFile.kubeletConfig,
}

// testNodePaths are the layout's paths the test changes: another CNI directory, and a
// service file list with one absent file.
var testNodePaths = Layout{CNI: nodeFile.cniDir, KubeletService: []string{nodeFile.kubeletDropIn, nodeFile.kubeletUnit}}

// writeTestNode writes the node's files beneath root with their modes and, when the test
// runs as root, their owners.
func writeTestNode(t *testing.T, root string, files []testNodeFile) {
	t.Helper()
	for _, f := range files {
		full := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if f.dir {
			if err := os.MkdirAll(full, f.mode); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(full, []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
		chmodTestNode(t, root, f.path, f.mode)
		chownTestNode(t, root, f.path, f.uid, f.gid)
	}
}

// chmodTestNode sets a mode; a directory gets its owner's bits back when the test ends,
// so that a user other than root can remove the temporary directory.
func chmodTestNode(t *testing.T, root, p string, mode fs.FileMode) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.Chmod(full, mode); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(full); err == nil && st.IsDir() && mode&0o700 != 0o700 {
		t.Cleanup(func() { _ = os.Chmod(full, mode|0o700) })
	}
}

// chownTestNode changes an owner where the test can (as root); cases about owners are skipped
// otherwise.
func chownTestNode(t *testing.T, root, p string, uid, gid int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	if err := os.Lchown(filepath.Join(root, p), uid, gid); err != nil {
		t.Fatal(err)
	}
}

func writeTestNodeFile(t *testing.T, root, p, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, p), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fileRuleIDs are the IDs of the rules of this file.
func fileRuleIDs() []string {
	var ids []string
	for _, r := range fileRules {
		ids = append(ids, r.id)
	}
	return ids
}

// wantFileFinding is a finding a case expects: rule, file, and when set the exact message and
// the kind of object it is on (default: the rule's component).
type wantFileFinding struct {
	rule, file, message string
	info                bool
	on                  string
}

func TestFilePermissionsAndOwnersOnRealFiles(t *testing.T) {
	asRoot := os.Geteuid() == 0
	set := nodeChanges{}
	cases := []struct {
		name string
		// owner marks a case that changes owners: it needs root.
		owner  bool
		change func(t *testing.T, root string)
		// cmdlines replace the test node's command lines of these components.
		cmdlines map[string]string
		want     []wantFileFinding
	}{
		{name: "hardened node has no finding"},

		// The static pod manifests: 600 or stricter, root:root.
		{name: "API server manifest 0400 passes", change: set.mode(nodeFile.apiManifest, 0o400)},
		{name: "API server manifest 0640 fails", change: set.mode(nodeFile.apiManifest, 0o640), want: []wantFileFinding{{
			rule: "node/apiserver-manifest-permissions", file: nodeFile.apiManifest,
			message: nodeFile.apiManifest + " has mode 0640; want 0600 or stricter"}}},
		{name: "API server manifest 0644 fails", change: set.mode(nodeFile.apiManifest, 0o644), want: []wantFileFinding{{
			rule: "node/apiserver-manifest-permissions", file: nodeFile.apiManifest}}},
		{name: "API server manifest 0700 fails: execute bits are outside 0600", change: set.mode(nodeFile.apiManifest, 0o700), want: []wantFileFinding{{
			rule: "node/apiserver-manifest-permissions", file: nodeFile.apiManifest}}},
		{name: "API server manifest owned by alice fails", owner: true, change: set.owner(nodeFile.apiManifest, testUIDAlice, testUIDAlice), want: []wantFileFinding{{
			rule: "node/apiserver-manifest-ownership", file: nodeFile.apiManifest,
			message: nodeFile.apiManifest + " is owned by 1000:1000 (alice:alice); want root:root"}}},
		{name: "absent API server manifest is not examined", change: set.remove(nodeFile.apiManifest)},
		{name: "controller manager manifest 0644 fails", change: set.mode(nodeFile.cmManifest, 0o644), want: []wantFileFinding{{
			rule: "node/controller-manager-manifest-permissions", file: nodeFile.cmManifest}}},
		{name: "controller manager manifest in group alice fails", owner: true, change: set.owner(nodeFile.cmManifest, testUIDRoot, testUIDAlice), want: []wantFileFinding{{
			rule: "node/controller-manager-manifest-ownership", file: nodeFile.cmManifest,
			message: nodeFile.cmManifest + " is owned by 0:1000 (root:alice); want root:root"}}},
		{name: "scheduler manifest 0666 fails", change: set.mode(nodeFile.schedManifest, 0o666), want: []wantFileFinding{{
			rule: "node/scheduler-manifest-permissions", file: nodeFile.schedManifest}}},
		{name: "scheduler manifest owned by alice fails", owner: true, change: set.owner(nodeFile.schedManifest, testUIDAlice, testUIDRoot), want: []wantFileFinding{{
			rule: "node/scheduler-manifest-ownership", file: nodeFile.schedManifest}}},
		{name: "etcd manifest 0604 fails", change: set.mode(nodeFile.etcdManifest, 0o604), want: []wantFileFinding{{
			rule: "node/etcd-manifest-permissions", file: nodeFile.etcdManifest}}},
		{name: "etcd manifest owned by etcd fails", owner: true, change: set.owner(nodeFile.etcdManifest, testUIDEtcd, testUIDEtcd), want: []wantFileFinding{{
			rule: "node/etcd-manifest-ownership", file: nodeFile.etcdManifest,
			message: nodeFile.etcdManifest + " is owned by 998:998 (etcd:etcd); want root:root"}}},

		// CNI: files 600 or stricter, every entry root:root.
		{name: "CNI file 0400 passes", change: set.mode(nodeFile.cniConf, 0o400)},
		{name: "CNI file 0644 fails", change: set.mode(nodeFile.cniConf, 0o644), want: []wantFileFinding{{
			rule: "node/cni-file-permissions", file: nodeFile.cniConf, message: nodeFile.cniConf + " has mode 0644; want 0600 or stricter"}}},
		{name: "CNI file owned by alice fails", owner: true, change: set.owner(nodeFile.cniConf, testUIDAlice, testUIDAlice), want: []wantFileFinding{{
			rule: "node/cni-file-ownership", file: nodeFile.cniConf}}},
		{name: "CNI subdirectory owned by alice fails ownership, its mode is not asked", owner: true,
			change: set.owner(nodeFile.cniSubdir, testUIDAlice, testUIDAlice), want: []wantFileFinding{{rule: "node/cni-file-ownership", file: nodeFile.cniSubdir}}},

		// etcd's data directory: 700 or stricter, etcd:etcd (root:root without an etcd user).
		{name: "etcd data dir 0500 passes", change: set.mode(nodeFile.etcdDir, 0o500)},
		{name: "etcd data dir 0750 fails", change: set.mode(nodeFile.etcdDir, 0o750), want: []wantFileFinding{{
			rule: "node/etcd-data-dir-permissions", file: nodeFile.etcdDir, message: nodeFile.etcdDir + " has mode 0750; want 0700 or stricter"}}},
		{name: "etcd data dir 0755 fails", change: set.mode(nodeFile.etcdDir, 0o755), want: []wantFileFinding{{
			rule: "node/etcd-data-dir-permissions", file: nodeFile.etcdDir}}},
		{name: "etcd data dir owned by root fails where an etcd user exists", owner: true, change: set.owner(nodeFile.etcdDir, testUIDRoot, testUIDRoot), want: []wantFileFinding{{
			rule: "node/etcd-data-dir-ownership", file: nodeFile.etcdDir, message: nodeFile.etcdDir + " is owned by 0:0 (root:root); want etcd:etcd"}}},
		{name: "etcd data dir root:root passes on a machine without an etcd user", owner: true,
			change: set.all(set.owner(nodeFile.etcdDir, testUIDRoot, testUIDRoot), set.noEtcdUser)},
		{name: "etcd data dir of an unnamed uid fails on a machine without an etcd user, wanting root:root", owner: true,
			change: set.noEtcdUser, want: []wantFileFinding{{rule: "node/etcd-data-dir-ownership", file: nodeFile.etcdDir,
				message: nodeFile.etcdDir + " is owned by 998:998; want root:root (the machine has no user named etcd, so etcd runs as root, as kubeadm runs it)"}}},
		{name: "etcd without --data-dir: the layout's data dir is checked",
			cmdlines: map[string]string{Etcd: "etcd --name=cp-1"},
			change:   set.dir("/var/lib/etcd", 0o755, testUIDEtcd, testUIDEtcd),
			want:     []wantFileFinding{{rule: "node/etcd-data-dir-permissions", file: "/var/lib/etcd"}}},

		// The administrator's kubeconfigs.
		{name: "admin.conf 0644 fails", change: set.mode(nodeFile.adminConf, 0o644), want: []wantFileFinding{{
			rule: "node/admin-kubeconfig-permissions", file: nodeFile.adminConf, message: nodeFile.adminConf + " has mode 0644; want 0600 or stricter"}}},
		{name: "super-admin.conf 0640 fails", change: set.mode(nodeFile.superAdminConf, 0o640), want: []wantFileFinding{{
			rule: "node/admin-kubeconfig-permissions", file: nodeFile.superAdminConf}}},
		{name: "absent super-admin.conf is not examined", change: set.remove(nodeFile.superAdminConf)},
		{name: "admin.conf owned by alice fails", owner: true, change: set.owner(nodeFile.adminConf, testUIDAlice, testUIDAlice), want: []wantFileFinding{{
			rule: "node/admin-kubeconfig-ownership", file: nodeFile.adminConf,
			message: nodeFile.adminConf + " is owned by 1000:1000 (alice:alice); want root:root"}}},
		{name: "admin.conf that cannot be examined is an info finding, never a pass", change: set.symlinkLoop(nodeFile.adminConf), want: []wantFileFinding{
			{rule: "node/admin-kubeconfig-permissions", file: nodeFile.adminConf, info: true},
			{rule: "node/admin-kubeconfig-ownership", file: nodeFile.adminConf, info: true}}},

		// The scheduler's and controller manager's kubeconfigs.
		{name: "scheduler.conf of the layout 0644 fails when --kubeconfig is not given", change: set.mode(nodeFile.schedConf, 0o644), want: []wantFileFinding{{
			rule: "node/scheduler-kubeconfig-permissions", file: nodeFile.schedConf}}},
		{name: "scheduler.conf owned by alice fails", owner: true, change: set.owner(nodeFile.schedConf, testUIDAlice, testUIDAlice), want: []wantFileFinding{{
			rule: "node/scheduler-kubeconfig-ownership", file: nodeFile.schedConf}}},
		{name: "controller manager's --kubeconfig 0644 fails", change: set.mode(nodeFile.cmConf, 0o644), want: []wantFileFinding{{
			rule: "node/controller-manager-kubeconfig-permissions", file: nodeFile.cmConf}}},
		{name: "controller manager's --kubeconfig owned by alice fails", owner: true, change: set.owner(nodeFile.cmConf, testUIDAlice, testUIDAlice), want: []wantFileFinding{{
			rule: "node/controller-manager-kubeconfig-ownership", file: nodeFile.cmConf}}},
		{name: "the layout's controller-manager.conf is not checked when --kubeconfig names another", change: set.mode(nodeFile.cmLayoutConf, 0o644)},

		// The PKI directory.
		{name: "CA certificate 0600 passes", change: set.mode(nodeFile.caCrt, 0o600)},
		{name: "CA certificate 0664 fails as a PKI certificate and as the kubelet's client CA", change: set.mode(nodeFile.caCrt, 0o664), want: []wantFileFinding{
			{rule: "node/pki-certificate-permissions", file: nodeFile.caCrt, message: nodeFile.caCrt + " has mode 0664; want 0644 or stricter"},
			{rule: "node/kubelet-client-ca-permissions", file: nodeFile.caCrt}}},
		{name: "CA key 0400 passes", change: set.mode(nodeFile.caKey, 0o400)},
		{name: "CA key 0640 fails", change: set.mode(nodeFile.caKey, 0o640), want: []wantFileFinding{{rule: "node/pki-key-permissions", file: nodeFile.caKey}}},
		{name: "etcd CA key 0644 fails", change: set.mode(nodeFile.etcdCAKey, 0o644), want: []wantFileFinding{{rule: "node/pki-key-permissions", file: nodeFile.etcdCAKey}}},
		{name: "PKI directory, a key and another file owned by others fail", owner: true,
			change: set.all(set.owner(nodeFile.pkiDir, testUIDAlice, testUIDAlice), set.owner(nodeFile.etcdCAKey, testUIDEtcd, testUIDEtcd), set.owner(nodeFile.saPub, testUIDRoot, testUIDAlice)),
			want: []wantFileFinding{
				{rule: "node/pki-ownership", file: nodeFile.pkiDir},
				{rule: "node/pki-ownership", file: nodeFile.etcdCAKey},
				{rule: "node/pki-ownership", file: nodeFile.saPub}}},
		{name: "CA certificate owned by alice fails as a PKI file and as the kubelet's client CA", owner: true,
			change: set.owner(nodeFile.caCrt, testUIDAlice, testUIDAlice), want: []wantFileFinding{
				{rule: "node/pki-ownership", file: nodeFile.caCrt}, {rule: "node/kubelet-client-ca-ownership", file: nodeFile.caCrt}}},

		// The kubelet's files.
		{name: "kubelet service drop-in 0644 fails", change: set.mode(nodeFile.kubeletDropIn, 0o644), want: []wantFileFinding{{
			rule: "node/kubelet-service-permissions", file: nodeFile.kubeletDropIn}}},
		{name: "kubelet service drop-in owned by alice fails", owner: true, change: set.owner(nodeFile.kubeletDropIn, testUIDAlice, testUIDAlice), want: []wantFileFinding{{
			rule: "node/kubelet-service-ownership", file: nodeFile.kubeletDropIn}}},
		{name: "kubelet unit 0644 fails once it exists", change: set.file(nodeFile.kubeletUnit, 0o644), want: []wantFileFinding{{
			rule: "node/kubelet-service-permissions", file: nodeFile.kubeletUnit}}},
		{name: "kubelet kubeconfig 0640 fails", change: set.mode(nodeFile.kubeletConf, 0o640), want: []wantFileFinding{{
			rule: "node/kubelet-kubeconfig-permissions", file: nodeFile.kubeletConf}}},
		{name: "kubelet kubeconfig owned by alice fails", owner: true, change: set.owner(nodeFile.kubeletConf, testUIDAlice, testUIDAlice), want: []wantFileFinding{{
			rule: "node/kubelet-kubeconfig-ownership", file: nodeFile.kubeletConf}}},
		{name: "kubelet config 0644 fails", change: set.mode(nodeFile.kubeletConfig, 0o644), want: []wantFileFinding{{
			rule: "node/kubelet-config-permissions", file: nodeFile.kubeletConfig}}},
		{name: "kubelet config owned by alice fails", owner: true, change: set.owner(nodeFile.kubeletConfig, testUIDAlice, testUIDAlice), want: []wantFileFinding{{
			rule: "node/kubelet-config-ownership", file: nodeFile.kubeletConfig}}},
		{name: "kubelet without --config: its config file is not examined", change: set.mode(nodeFile.kubeletConfig, 0o644),
			cmdlines: map[string]string{Kubelet: "kubelet --kubeconfig=" + nodeFile.kubeletConf}},

		// kube-proxy's kubeconfig: on the kubelet when kube-proxy does not run, else on kube-proxy.
		{name: "proxy kubeconfig 0644 fails on the kubelet", change: set.mode(nodeFile.proxyConf, 0o644), want: []wantFileFinding{{
			rule: "node/proxy-kubeconfig-permissions", file: nodeFile.proxyConf, on: Kubelet}}},
		{name: "proxy kubeconfig owned by alice fails", owner: true, change: set.owner(nodeFile.proxyConf, testUIDAlice, testUIDAlice), want: []wantFileFinding{{
			rule: "node/proxy-kubeconfig-ownership", file: nodeFile.proxyConf, on: Kubelet}}},
		{name: "absent proxy kubeconfig passes", change: set.remove(nodeFile.proxyConf)},
		{name: "running kube-proxy: its --kubeconfig is checked on it, the layout's is not",
			cmdlines: map[string]string{KubeProxy: "kube-proxy --kubeconfig=" + nodeFile.proxyOwnConf},
			change:   set.all(set.mode(nodeFile.proxyConf, 0o644), set.file(nodeFile.proxyOwnConf, 0o640)),
			want:     []wantFileFinding{{rule: "node/proxy-kubeconfig-permissions", file: nodeFile.proxyOwnConf, on: KubeProxy}}},
	}

	rules := fileRulesUnderTest(asRoot)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.owner && !asRoot {
				t.Skip("changing a file's owner needs root (os.Chown); run the tests as root to check owners")
			}
			root := t.TempDir()
			writeTestNode(t, root, hardenedTestNode())
			if tc.change != nil {
				tc.change(t, root)
			}
			got := runFileRules(t, root, tc.cmdlines, rules)
			var want []wantFileFinding
			for _, w := range tc.want {
				if asRoot || !strings.HasSuffix(w.rule, "-ownership") {
					want = append(want, w)
				}
			}
			assertFileFindings(t, got, want)
		})
	}
}

// TestFileRulesNotExaminedAreInfo builds a Host by hand with files Load could not
// examine: each is an info finding saying why, never a pass, and never a failure of
// its mode or owner. A file whose mode was read but whose content was not is examined.
func TestFileRulesNotExaminedAreInfo(t *testing.T) {
	anyFlag := func(string) (FlagType, bool) { return FlagType{Type: "string"}, true }
	lay := Layouts["kubeadm"]
	h := &Host{
		Name:   "cp-1",
		Layout: &lay,
		Users:  map[int]string{0: "root"},
		Groups: map[int]string{0: "root"},
		Files: map[string]*File{
			// The manifests are absent: the components run from elsewhere.
			"/etc/kubernetes/manifests/kube-apiserver.yaml":          {Path: "/etc/kubernetes/manifests/kube-apiserver.yaml"},
			"/etc/kubernetes/manifests/kube-controller-manager.yaml": {Path: "/etc/kubernetes/manifests/kube-controller-manager.yaml"},
			"/etc/kubernetes/manifests/kube-scheduler.yaml":          {Path: "/etc/kubernetes/manifests/kube-scheduler.yaml"},
			"/etc/kubernetes/manifests/etcd.yaml":                    {Path: "/etc/kubernetes/manifests/etcd.yaml"},
			// Too large to read, but its mode and owner are known.
			"/etc/kubernetes/admin.conf": {Path: "/etc/kubernetes/admin.conf", Exists: true, Mode: 0o644,
				Err: "larger than 1048576 bytes"},
			"/etc/kubernetes/super-admin.conf": {Path: "/etc/kubernetes/super-admin.conf"},
			// Could not be examined.
			"/var/lib/etcd": {Path: "/var/lib/etcd", Err: "stat /host/var/lib/etcd: permission denied"},
			// The PKI directory is not among the files: it was never read.
		},
	}
	add := func(kind string, args ...string) {
		h.Components = append(h.Components, &Component{Kind: kind, Host: h, Flags: parseFlags(anyFlag, args, nil, false)})
	}
	add(APIServer)
	add(ControllerManager, "--kubeconfig=/etc/kubernetes/elsewhere.conf") // not among the files
	add(Scheduler, "--kubeconfig=conf/scheduler.conf")                    // relative
	add(Etcd, "--data-dir=/var/lib/etcd")

	info := func(id, file, why string) wantFileFinding {
		return wantFileFinding{rule: id, file: file, info: true, message: file + " was not examined (" + why + "); its " +
			map[bool]string{true: "owner", false: "mode"}[strings.HasSuffix(id, "-ownership")] + " is unknown"}
	}
	const unread, relative = "Moat did not read it", "a relative path, which the component resolves from its working directory"
	want := []wantFileFinding{
		{rule: "node/admin-kubeconfig-permissions", file: "/etc/kubernetes/admin.conf",
			message: "/etc/kubernetes/admin.conf has mode 0644; want 0600 or stricter"},
		info("node/controller-manager-kubeconfig-permissions", "/etc/kubernetes/elsewhere.conf", unread),
		info("node/controller-manager-kubeconfig-ownership", "/etc/kubernetes/elsewhere.conf", unread),
		info("node/scheduler-kubeconfig-permissions", "conf/scheduler.conf", relative),
		info("node/scheduler-kubeconfig-ownership", "conf/scheduler.conf", relative),
		info("node/etcd-data-dir-permissions", "/var/lib/etcd", "stat /host/var/lib/etcd: permission denied"),
		info("node/etcd-data-dir-ownership", "/var/lib/etcd", "stat /host/var/lib/etcd: permission denied"),
		info("node/pki-ownership", "/etc/kubernetes/pki", unread),
		info("node/pki-certificate-permissions", "/etc/kubernetes/pki", unread),
		info("node/pki-key-permissions", "/etc/kubernetes/pki", unread),
	}
	found, errs := engine.Run(context.Background(), h.Inventory(), fileRulesUnderTest(true), rule.Options{})
	if len(errs) > 0 {
		t.Fatalf("engine errors: %v", errs)
	}
	assertFileFindings(t, found, want)
}

// TestFileRulesSkipComponentsWithoutFiles: components read through the API come
// without files (Host.Files is nil); the file rules do not judge them at all, rather
// than report every file as not examined.
func TestFileRulesSkipComponentsWithoutFiles(t *testing.T) {
	anyFlag := func(string) (FlagType, bool) { return FlagType{Type: "string"}, true }
	lay := Layouts["kubeadm"]
	h := &Host{Name: "cp-1", Layout: &lay}
	for _, kind := range []string{APIServer, ControllerManager, Scheduler, Etcd, Kubelet} {
		h.Components = append(h.Components, &Component{Kind: kind, Host: h, Flags: parseFlags(anyFlag, nil, nil, false)})
	}
	found, errs := engine.Run(context.Background(), h.Inventory(), fileRulesUnderTest(true), rule.Options{})
	if len(errs) > 0 {
		t.Fatalf("engine errors: %v", errs)
	}
	if len(found) > 0 {
		var msgs []string
		for _, f := range found {
			msgs = append(msgs, f.RuleID+": "+f.Message)
		}
		t.Errorf("findings on components without files:\n  %s", strings.Join(msgs, "\n  "))
	}
}

// TestFileRuleCatalogue holds the rules to the benchmark: each ID with its
// recommendation, severity and component, and metadata a person can act on.
func TestFileRuleCatalogue(t *testing.T) {
	want := []struct {
		id, cis  string
		severity finding.Severity
		kinds    []string
	}{
		{"node/apiserver-manifest-permissions", "1.1.1", finding.Medium, []string{APIServer}},
		{"node/apiserver-manifest-ownership", "1.1.2", finding.Medium, []string{APIServer}},
		{"node/controller-manager-manifest-permissions", "1.1.3", finding.Medium, []string{ControllerManager}},
		{"node/controller-manager-manifest-ownership", "1.1.4", finding.Medium, []string{ControllerManager}},
		{"node/scheduler-manifest-permissions", "1.1.5", finding.Medium, []string{Scheduler}},
		{"node/scheduler-manifest-ownership", "1.1.6", finding.Medium, []string{Scheduler}},
		{"node/etcd-manifest-permissions", "1.1.7", finding.Medium, []string{Etcd}},
		{"node/etcd-manifest-ownership", "1.1.8", finding.Medium, []string{Etcd}},
		{"node/cni-file-permissions", "1.1.9", finding.Low, []string{Kubelet}},
		{"node/cni-file-ownership", "1.1.10", finding.Low, []string{Kubelet}},
		{"node/etcd-data-dir-permissions", "1.1.11", finding.High, []string{Etcd}},
		{"node/etcd-data-dir-ownership", "1.1.12", finding.High, []string{Etcd}},
		{"node/admin-kubeconfig-permissions", "1.1.13", finding.High, []string{APIServer}},
		{"node/admin-kubeconfig-ownership", "1.1.14", finding.High, []string{APIServer}},
		{"node/scheduler-kubeconfig-permissions", "1.1.15", finding.High, []string{Scheduler}},
		{"node/scheduler-kubeconfig-ownership", "1.1.16", finding.High, []string{Scheduler}},
		{"node/controller-manager-kubeconfig-permissions", "1.1.17", finding.High, []string{ControllerManager}},
		{"node/controller-manager-kubeconfig-ownership", "1.1.18", finding.High, []string{ControllerManager}},
		{"node/pki-ownership", "1.1.19", finding.High, []string{APIServer}},
		{"node/pki-certificate-permissions", "1.1.20", finding.Low, []string{APIServer}},
		{"node/pki-key-permissions", "1.1.21", finding.High, []string{APIServer}},
		{"node/kubelet-service-permissions", "4.1.1", finding.Medium, []string{Kubelet}},
		{"node/kubelet-service-ownership", "4.1.2", finding.Medium, []string{Kubelet}},
		{"node/proxy-kubeconfig-permissions", "4.1.3", finding.High, []string{KubeProxy, Kubelet}},
		{"node/proxy-kubeconfig-ownership", "4.1.4", finding.High, []string{KubeProxy, Kubelet}},
		{"node/kubelet-kubeconfig-permissions", "4.1.5", finding.High, []string{Kubelet}},
		{"node/kubelet-kubeconfig-ownership", "4.1.6", finding.High, []string{Kubelet}},
		{"node/kubelet-client-ca-permissions", "4.1.7", finding.Low, []string{Kubelet}},
		{"node/kubelet-client-ca-ownership", "4.1.8", finding.Low, []string{Kubelet}},
		{"node/kubelet-config-permissions", "4.1.9", finding.Medium, []string{Kubelet}},
		{"node/kubelet-config-ownership", "4.1.10", finding.Medium, []string{Kubelet}},
	}
	if len(fileRules) != len(want) {
		t.Errorf("%d file rules, want %d", len(fileRules), len(want))
	}
	for _, w := range want {
		t.Run(w.id, func(t *testing.T) {
			r := rule.Get(w.id)
			if r == nil {
				t.Fatal("not registered")
			}
			if r.Frameworks.CIS != w.cis || r.Severity != w.severity {
				t.Errorf("CIS %s severity %s, want %s %s", r.Frameworks.CIS, r.Severity, w.cis, w.severity)
			}
			var kinds []string
			for _, k := range w.kinds {
				kinds = append(kinds, ObjectKind(k))
			}
			if !slices.Equal(r.Kinds, kinds) {
				t.Errorf("kinds %v, want %v", r.Kinds, kinds)
			}
			command := "chmod "
			if strings.HasSuffix(w.id, "-ownership") {
				command = "chown "
			}
			if !strings.Contains(r.Remediation, command) || !strings.HasSuffix(r.Remediation, ".") {
				t.Errorf("remediation does not give the %scommand as a sentence: %q", command, r.Remediation)
			}
			for _, says := range []string{"not examined", "CIS Kubernetes Benchmark v1.12, " + w.cis + "."} {
				if !strings.Contains(r.Description, says) {
					t.Errorf("description does not say %q: %s", says, r.Description)
				}
			}
		})
	}
}

// fileRulesUnderTest are the registered rules of this file; without root, the owner
// rules are left out (every file then belongs to the user running the test).
func fileRulesUnderTest(asRoot bool) []*rule.Rule {
	var out []*rule.Rule
	for _, id := range fileRuleIDs() {
		if asRoot || !strings.HasSuffix(id, "-ownership") {
			out = append(out, rule.Get(id))
		}
	}
	return out
}

// runFileRules loads the node beneath root with the test's command lines and runs rules
// over it through the engine.
func runFileRules(t *testing.T, root string, replace map[string]string, rules []*rule.Rule) []finding.Finding {
	t.Helper()
	var lines []string
	for _, kind := range Kinds {
		if l, ok := replace[kind]; ok {
			lines = append(lines, l)
		} else if l, ok := testNodeCmdlines[kind]; ok {
			lines = append(lines, l)
		}
	}
	cmdfile := filepath.Join(t.TempDir(), "cmdlines")
	if err := os.WriteFile(cmdfile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	host, err := Load(ctx, Options{Root: root, Cmdlines: cmdfile, Layout: "kubeadm", Paths: testNodePaths})
	if err != nil {
		t.Fatal(err)
	}
	found, errs := engine.Run(ctx, host.Inventory(), rules, rule.Options{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if len(errs) > 0 {
		t.Fatalf("engine errors: %v", errs)
	}
	return found
}

// assertFileFindings checks that the findings are exactly want, each pointing at its file.
func assertFileFindings(t *testing.T, got []finding.Finding, want []wantFileFinding) {
	t.Helper()
	key := func(rule, file string) string { return rule + " " + file }
	var gotKeys, wantKeys []string
	byKey := map[string]finding.Finding{}
	for _, f := range got {
		k := key(f.RuleID, f.Path)
		gotKeys = append(gotKeys, k)
		byKey[k] = f
	}
	for _, w := range want {
		wantKeys = append(wantKeys, key(w.rule, w.file))
	}
	slices.Sort(gotKeys)
	slices.Sort(wantKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		var msgs []string
		for _, f := range got {
			msgs = append(msgs, f.RuleID+": "+f.Message)
		}
		t.Fatalf("findings:\n  %s\nwant:\n  %s\nmessages:\n  %s", strings.Join(gotKeys, "\n  "),
			strings.Join(wantKeys, "\n  "), strings.Join(msgs, "\n  "))
	}
	for _, w := range want {
		f := byKey[key(w.rule, w.file)]
		if f.Source == nil || f.Source.File != w.file || f.Source.Line != 0 {
			t.Errorf("%s: source %v, want %s", w.rule, f.Source, w.file)
		}
		if w.message != "" && f.Message != w.message {
			t.Errorf("%s: message\n  %q\nwant\n  %q", w.rule, f.Message, w.message)
		}
		wantSev := rule.Get(w.rule).Severity
		if w.info {
			wantSev = finding.Info
			if !strings.Contains(f.Message, "was not examined") {
				t.Errorf("%s: message %q does not say the file was not examined", w.rule, f.Message)
			}
		}
		if f.Severity != wantSev {
			t.Errorf("%s: severity %s, want %s", w.rule, f.Severity, wantSev)
		}
		on := w.on
		if on == "" {
			on = fileRuleByID(w.rule).files.on
		}
		if f.Resource.Kind != ObjectKind(on) {
			t.Errorf("%s: on %s, want %s", w.rule, f.Resource.Kind, ObjectKind(on))
		}
	}
}

func fileRuleByID(id string) fileRule {
	for _, r := range fileRules {
		if r.id == id {
			return r
		}
	}
	return fileRule{}
}

// nodeChanges makes the changes a case makes to the hardened node; its methods keep
// their short names out of the package's namespace.
type nodeChanges struct{}

type nodeChange = func(t *testing.T, root string)

func (nodeChanges) mode(p string, m fs.FileMode) nodeChange {
	return func(t *testing.T, root string) { chmodTestNode(t, root, p, m) }
}

func (nodeChanges) owner(p string, uid, gid int) nodeChange {
	return func(t *testing.T, root string) { chownTestNode(t, root, p, uid, gid) }
}

func (nodeChanges) remove(p string) nodeChange {
	return func(t *testing.T, root string) {
		if err := os.Remove(filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
}

func (nodeChanges) dir(p string, m fs.FileMode, uid, gid int) nodeChange {
	return func(t *testing.T, root string) {
		writeTestNode(t, root, []testNodeFile{{path: p, mode: m, uid: uid, gid: gid, dir: true}})
	}
}

func (nodeChanges) file(p string, m fs.FileMode) nodeChange {
	return func(t *testing.T, root string) {
		writeTestNode(t, root, []testNodeFile{{path: p, mode: m, content: "x\n"}})
	}
}

// symlinkLoop replaces a file with a link to itself, which cannot be examined.
func (nodeChanges) symlinkLoop(p string) nodeChange {
	return func(t *testing.T, root string) {
		full := filepath.Join(root, p)
		if err := os.Remove(full); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Base(p), full); err != nil {
			t.Fatal(err)
		}
	}
}

// noEtcdUser makes the node one with no etcd user or group, as kubeadm's are.
func (nodeChanges) noEtcdUser(t *testing.T, root string) {
	writeTestNodeFile(t, root, "/etc/passwd", testPasswdNoEtcd)
	writeTestNodeFile(t, root, "/etc/group", testGroupNoEtcd)
}

func (nodeChanges) all(changes ...nodeChange) nodeChange {
	return func(t *testing.T, root string) {
		for _, c := range changes {
			c(t, root)
		}
	}
}
