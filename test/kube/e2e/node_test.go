package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// TestNodeInsecureAndHardened runs `moat node` against a live kube-apiserver,
// kube-controller-manager and etcd, started twice: once with the flags and file
// modes the CIS Kubernetes Benchmark v1.12 warns of, once hardened as it asks.
// The insecure run must fail exactly insecureControlPlane's rules, the hardened one
// none but hardenedControlPlane's (each with its reason).
//
// The kubelet cannot run here: it needs a container runtime (containerd, CRI-O)
// to start, and this machine has none. So a worker node (kubelet and kube-proxy)
// is checked from fixtures, both ways too: its command lines and config files
// under a root directory, with `moat node --root DIR --cmdlines FILE`.
//
// Not tested live: kube-scheduler (the harness does not build it; its rules
// therefore never run on this control plane, and its kubeconfig and manifest
// checks are left to the unit tests of internal/node).
func TestNodeInsecureAndHardened(t *testing.T) {
	requireRoot(t)
	t.Run("insecure control plane", func(t *testing.T) {
		cp := startInsecureControlPlane(t)
		rep := cp.moatNode(t, 1) // critical findings: exit 1 with --fail-on critical
		checkRuleSets(t, rep, insecureControlPlane, controlPlaneManual)
		checkFilePaths(t, rep, cp.insecureFilePaths(t))
		checkMessages(t, rep, []wantMessage{
			{"apiserver/authorization-always-allow", "AlwaysAllow authorizes every request: --authorization-mode=AlwaysAllow"},
			{"controller-manager/bind-address", "--bind-address=0.0.0.0"},
			{"node/etcd-data-dir-permissions", "has mode 0755; want 0700 or stricter"},
		})
	})
	t.Run("hardened control plane", func(t *testing.T) {
		cp := startHardenedControlPlane(t)
		rep := cp.moatNode(t, 0)
		checkRuleSets(t, rep, hardenedControlPlane, controlPlaneManual)
	})
	t.Run("insecure kubelet from fixtures", func(t *testing.T) {
		root := workerRoot(t, "insecure", 7*24*time.Hour)
		rep := moatNodeFixture(t, root, "insecure", 1)
		checkRuleSets(t, rep, insecureKubelet, kubeletManual)
		checkFilePaths(t, rep, insecureWorkerPaths)
		cmdlines := filepath.Join(repoNodeFixtures(t), "kubelet/insecure/cmdlines.txt")
		checkMessages(t, rep, []wantMessage{
			// Flags override the config file, which says readOnlyPort: 0 and
			// anonymous.enabled: false; the finding points at the command line.
			{"kubelet/read-only-port", "readOnlyPort: is 10255, open without authentication (set by --read-only-port)"},
			{"kubelet/anonymous-auth", "(set by --anonymous-auth)"},
			// Values from the file point at their line in it.
			{"kubelet/authorization-always-allow", "(set in /var/lib/kubelet/config.yaml)"},
			{"node/kubelet-client-ca-permissions", "/etc/kubernetes/pki/ca.crt has mode 0666; want 0644 or stricter"},
			{"node/kubelet-kubeconfig-ownership", "/etc/kubernetes/kubelet.conf is owned by 0:1000 (root:alice); want root:root"},
		})
		checkSource(t, rep, "kubelet/read-only-port", cmdlines, 0)
		checkSource(t, rep, "kubelet/authorization-always-allow", "/var/lib/kubelet/config.yaml", 13)
	})
	t.Run("hardened kubelet from fixtures", func(t *testing.T) {
		root := workerRoot(t, "hardened", 365*24*time.Hour)
		rep := moatNodeFixture(t, root, "hardened", 0)
		checkRuleSets(t, rep, hardenedKubelet, kubeletManual)
	})
}

// What the insecure control plane fails: every recommendation its flags and files
// break, and nothing else.
var insecureControlPlane = []string{
	// kube-apiserver (CIS 1.2)
	"apiserver/anonymous-auth",                          // --anonymous-auth=true
	"apiserver/token-auth-file",                         // --token-auth-file
	"apiserver/deny-service-external-ips",               // not enabled
	"apiserver/kubelet-client-certificate",              // not set
	"apiserver/kubelet-certificate-authority",           // not set
	"apiserver/authorization-always-allow",              // --authorization-mode=AlwaysAllow
	"apiserver/authorization-node",                      // ... without Node
	"apiserver/authorization-rbac",                      // ... and without RBAC
	"apiserver/event-rate-limit",                        // not enabled
	"apiserver/always-admit",                            // --enable-admission-plugins=AlwaysAdmit
	"apiserver/always-pull-images",                      // not enabled
	"apiserver/service-account-plugin",                  // --disable-admission-plugins=ServiceAccount,...
	"apiserver/namespace-lifecycle-plugin",              // ...,NamespaceLifecycle
	"apiserver/node-restriction-plugin",                 // not enabled
	"apiserver/profiling",                               // --profiling=true
	"apiserver/audit-log-path",                          // no audit log (so no retention checks)
	"apiserver/audit-policy",                            // no --audit-policy-file, no backend
	"apiserver/service-account-lookup",                  // --service-account-lookup=false
	"apiserver/etcd-client-certificate",                 // etcd over plain HTTP
	"apiserver/etcd-cafile",                             // ... so no etcd CA either
	"apiserver/tls-cipher-suites",                       // TLS_RSA_WITH_AES_128_CBC_SHA among them
	"apiserver/service-account-extend-token-expiration", // --service-account-extend-token-expiration=true
	"apiserver/encryption-provider-config",              // no --encryption-provider-config
	// kube-controller-manager (CIS 1.3)
	"controller-manager/profiling",                         // --profiling=true
	"controller-manager/use-service-account-credentials",   // =false
	"controller-manager/rotate-kubelet-server-certificate", // --feature-gates=RotateKubeletServerCertificate=false
	"controller-manager/bind-address",                      // 0.0.0.0, serving on a port
	// etcd (CIS 2)
	"etcd/client-tls",            // plain HTTP
	"etcd/client-cert-auth",      // no client certificates
	"etcd/auto-tls",              // --auto-tls=true
	"etcd/peer-tls",              // plain HTTP between members
	"etcd/peer-client-cert-auth", // no peer certificates
	"etcd/peer-auto-tls",         // --peer-auto-tls=true
	// Files (CIS 1.1): manifests, kubeconfig, PKI written 0644 and owned by alice
	// (1000:1000), one certificate 0664, etcd's data directory 0755 and alice's.
	"node/apiserver-manifest-permissions",
	"node/apiserver-manifest-ownership",
	"node/controller-manager-manifest-permissions",
	"node/controller-manager-manifest-ownership",
	"node/etcd-manifest-permissions",
	"node/etcd-manifest-ownership",
	"node/etcd-data-dir-permissions",
	"node/etcd-data-dir-ownership",
	"node/admin-kubeconfig-permissions",
	"node/admin-kubeconfig-ownership",
	"node/controller-manager-kubeconfig-permissions",
	"node/controller-manager-kubeconfig-ownership",
	"node/pki-ownership",
	"node/pki-certificate-permissions",
	"node/pki-key-permissions",
	"node/ca-file-permissions", // --client-ca-file's ca.crt is alice's
	// Certificates: front-proxy-ca.crt, generated by the test.
	"node/certificate-expiry", // 10 days left
	"node/weak-key",           // RSA 1024
}

// What the hardened control plane still fails, each with why it cannot be
// otherwise here. Everything the benchmark asks of these three components can be
// done on this machine, so nothing is left: the list stays to say so, and a rule
// that starts failing on the hardened run must be added here with its reason.
var hardenedControlPlane = []string{}

// The manual recommendations of the control plane's components: reported as info
// with their guidance, never as passed.
var controlPlaneManual = []string{
	"apiserver/request-timeout",
	"apiserver/user-client-certificates",
	"apiserver/user-service-account-tokens",
	"apiserver/user-bootstrap-tokens",
	"controller-manager/terminated-pod-gc-threshold",
}

// What the insecure worker fails: its kubelet (the config file and the flags over
// it), kube-proxy's metrics address, and its files.
var insecureKubelet = []string{
	"kubelet/anonymous-auth",                    // --anonymous-auth=true over the file's false
	"kubelet/authorization-always-allow",        // mode: AlwaysAllow
	"kubelet/read-only-port",                    // --read-only-port=10255 over the file's 0
	"kubelet/streaming-connection-idle-timeout", // 0s
	"kubelet/make-iptables-util-chains",         // false
	"kubelet/tls-certificate",                   // no tlsCertFile, no serverTLSBootstrap
	"kubelet/tls-cipher-suites",                 // TLS_RSA_WITH_AES_128_CBC_SHA
	"kubelet/pod-pids-limit",                    // -1
	"kubelet/seccomp-default",                   // false
	"kubelet/hostname-override",                 // --hostname-override=worker-7
	"kubelet/rotate-certificates",               // rotateCertificates: false
	"kubelet/rotate-server-certificates",        // serverTLSBootstrap: false, no tlsCertFile
	"kube-proxy/metrics-bind-address",           // metricsBindAddress: 0.0.0.0:10249
	"node/kubelet-service-permissions",          // 0644
	"node/kubelet-service-ownership",            // alice's
	"node/proxy-kubeconfig-permissions",         // 0644
	"node/proxy-kubeconfig-ownership",           // alice's
	"node/kubelet-kubeconfig-permissions",       // 0640
	"node/kubelet-kubeconfig-ownership",         // root:alice
	"node/kubelet-client-ca-permissions",        // 0666
	"node/kubelet-client-ca-ownership",          // alice's
	"node/kubelet-config-permissions",           // 0644
	"node/kubelet-config-ownership",             // alice's
	"node/cni-file-permissions",                 // 0644
	"node/cni-file-ownership",                   // alice's
	"node/ca-file-permissions",                  // clientCAFile 0666 and alice's
	"node/certificate-expiry",                   // the client certificate has 7 days left
}

// The hardened worker fails nothing.
var hardenedKubelet = []string{}

var kubeletManual = []string{"kubelet/event-record-qps"}

// alice is the owner of the insecure runs' files: any user but root.
const alice = 1000

// owner is a file's uid and gid.
type owner struct{ uid, gid int }

var (
	rootOwned  = owner{0, 0}
	aliceOwned = owner{alice, alice}
)

// controlPlane is a live control plane prepared for `moat node`: its programs run
// under their components' names, and a moat config points the layout's paths
// (kubeadm's /etc/kubernetes/..., absent here) at its files.
type controlPlane struct {
	*kubetest.Cluster
	dir       string // the test's files: manifests, configuration, moat.yaml
	manifests string
	config    string
}

// startInsecureControlPlane starts the control plane with the flags CIS warns of;
// its credentials and manifests are 0644 and alice's.
func startInsecureControlPlane(t *testing.T) *controlPlane {
	dir := t.TempDir()
	tokens := copyFixture(t, "controlplane/tokens.csv", filepath.Join(dir, "tokens.csv"), 0o644, aliceOwned)
	c := kubetest.Start(t,
		kubetest.WithNamedBinaries(),
		kubetest.WithFileMode(0o644), kubetest.WithFileOwner(alice, alice),
		kubetest.WithAPIServerFlags(
			"--authorization-mode=AlwaysAllow",
			"--anonymous-auth=true",
			"--profiling=true",
			"--token-auth-file="+tokens,
			"--enable-admission-plugins=AlwaysAdmit",
			"--disable-admission-plugins=ServiceAccount,NamespaceLifecycle",
			"--service-account-lookup=false",
			"--service-account-extend-token-expiration=true",
			"--tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
		),
		// etcd serves plain HTTP; the auto-TLS flags are what the benchmark looks
		// for (etcd generates certificates it then does not use on http URLs).
		kubetest.WithEtcdFlags("--auto-tls=true", "--peer-auto-tls=true"),
		// AlwaysAllow leaves RBAC's default roles unmade, so the ClusterRole
		// aggregation the harness would wait for never happens.
		kubetest.WithControllerManager("serviceaccount-controller", "root-ca-certificate-publisher-controller", "namespace-controller"),
		kubetest.WithControllerManagerFlags(
			"--profiling=true",
			"--use-service-account-credentials=false",
			"--feature-gates=RotateKubeletServerCertificate=false",
			"--bind-address=0.0.0.0",
			"--secure-port="+strconv.Itoa(freePort(t)),
		),
	)
	// A CA certificate its group may replace, beside the harness's 0644 ones,
	// with a 1024-bit RSA key and ten days left.
	frontProxy, _ := newCA(t, "front-proxy-ca", 1024, 10*24*time.Hour)
	writeOwned(t, filepath.Join(c.PKI, "front-proxy-ca.crt"), pemBlock("CERTIFICATE", frontProxy.Raw), 0o664, aliceOwned)
	// etcd's data readable by all and owned by alice.
	setMode(t, c.EtcdDataDir(), 0o755, aliceOwned)
	return prepareControlPlane(t, c, dir, 0o644, aliceOwned)
}

// startHardenedControlPlane starts the control plane as the benchmark asks: Node and
// RBAC, the admission plugins it names, an audit log with Moat's policy, Secrets
// encrypted with secretbox, etcd over TLS with client certificates of its own CA,
// profiling off, strong ciphers, files 0600 (certificates 0644) and root's.
func startHardenedControlPlane(tb testing.TB) *controlPlane {
	dir := tb.TempDir()
	policy := filepath.Join(dir, "audit-policy.yaml")
	r := moat(tb, "audit", "policy")
	if r.code != 0 {
		tb.Fatalf("moat audit policy: exit %d\n%s", r.code, r.stderr)
	}
	writeOwned(tb, policy, []byte(r.stdout), 0o600, rootOwned)
	encryption := copyFixture(tb, "encryption/secretbox-first.yaml", filepath.Join(dir, "encryption.yaml"), 0o600, rootOwned)
	admission := copyFixture(tb, "controlplane/admission.yaml", filepath.Join(dir, "admission.yaml"), 0o600, rootOwned)
	c := kubetest.Start(tb,
		kubetest.WithNamedBinaries(),
		kubetest.WithEtcdTLS(), kubetest.WithKubeletClientCert(),
		kubetest.WithFileMode(0o600), kubetest.WithFileOwner(0, 0),
		kubetest.WithAPIServerFlags(
			"--anonymous-auth=false",
			"--authorization-mode=Node,RBAC",
			"--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,NodeRestriction,EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs",
			"--admission-control-config-file="+admission,
			"--profiling=false",
			"--audit-policy-file="+policy,
			"--audit-log-path="+filepath.Join(dir, "audit.log"),
			"--audit-log-maxage=30",
			"--audit-log-maxbackup=10",
			"--audit-log-maxsize=100",
			"--service-account-lookup=true",
			"--service-account-extend-token-expiration=false",
			"--encryption-provider-config="+encryption,
			// The serving certificate is ECDSA: the ECDSA suites are the ones used.
			"--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
			"--tls-min-version=VersionTLS12",
		),
		kubetest.WithControllerManager(),
		kubetest.WithControllerManagerFlags(
			"--profiling=false",
			"--use-service-account-credentials=true",
			"--bind-address=127.0.0.1",
		),
	)
	// kubeadm's modes: certificates 0644 (the most the benchmark allows), keys 0600.
	err := filepath.WalkDir(c.PKI, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".crt") {
			err = os.Chmod(p, 0o644)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	// etcd runs as root here, but its data directory belongs to the etcd user where
	// the machine has one, which is what the benchmark (and Moat) then asks.
	if u, err := user.Lookup("etcd"); err == nil {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if g, err := user.LookupGroup("etcd"); err == nil {
			gid, _ = strconv.Atoi(g.Gid)
		}
		setMode(tb, c.EtcdDataDir(), 0o700, owner{uid, gid})
	}
	return prepareControlPlane(tb, c, dir, 0o600, rootOwned)
}

// prepareControlPlane writes the static pod manifests that would run the three
// programs with their live command lines (so that findings point at the manifest's
// lines, as on a kubeadm node) with mode and owner, and the moat config naming the
// cluster's files as the layout's paths.
func prepareControlPlane(tb testing.TB, c *kubetest.Cluster, dir string, mode fs.FileMode, o owner) *controlPlane {
	cp := &controlPlane{Cluster: c, dir: dir, manifests: filepath.Join(dir, "manifests"), config: filepath.Join(dir, "moat.yaml")}
	if err := os.Mkdir(cp.manifests, 0o755); err != nil {
		tb.Fatal(err)
	}
	for name, pid := range c.Pids() {
		writeOwned(tb, filepath.Join(cp.manifests, name+".yaml"), staticPod(tb, name, pid), mode, o)
	}
	config := map[string]any{"node": map[string]any{
		"layout": "kubeadm",
		"paths": map[string]string{
			"manifests":             cp.manifests,
			"pki":                   c.PKI,
			"adminConf":             c.Kubeconfig,
			"controllerManagerConf": c.Kubeconfig,
			"schedulerConf":         filepath.Join(dir, "scheduler.conf"), // no scheduler here
			"etcdDataDir":           c.EtcdDataDir(),
		},
	}}
	data, err := yaml.Marshal(config)
	if err != nil {
		tb.Fatal(err)
	}
	writeOwned(tb, cp.config, data, 0o600, rootOwned)
	return cp
}

// staticPod is a static pod manifest that runs a live process's command line.
func staticPod(tb testing.TB, name string, pid int) []byte {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		tb.Fatal(err)
	}
	argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system"},
		Spec: corev1.PodSpec{
			HostNetwork: true,
			Containers: []corev1.Container{{
				Name: name, Image: "registry.k8s.io/" + name + ":" + kubetest.KubernetesVersion, Command: argv,
			}},
		},
	}
	data, err := yaml.Marshal(pod)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// args are `moat node`'s arguments for the live processes, with the config.
func (cp *controlPlane) args(tb testing.TB) []string {
	args := []string{"node", "--root", "/", "--proc", "/proc", "--config", cp.config, "--node-name", "cp-1", "-o", "json", "--fail-on", "critical"}
	pids := cp.Pids()
	for _, name := range []string{"kube-apiserver", "kube-controller-manager", "etcd"} {
		pid, ok := pids[name]
		if !ok {
			tb.Fatalf("no %s among %v", name, pids)
		}
		args = append(args, "--pid", strconv.Itoa(pid))
	}
	return args
}

// moatNode runs `moat node` on the live processes, wanting exit code want.
func (cp *controlPlane) moatNode(t *testing.T, want int) report {
	t.Helper()
	rep, _ := moatNodeJSON(t, want, 3, cp.args(t)...)
	return rep
}

// moatNodeJSON runs `moat node ARGS`, which must give -o json, and decodes its
// report; it must exit with want and have found components processes.
func moatNodeJSON(tb testing.TB, want, components int, args ...string) (report, run) {
	tb.Helper()
	r := moat(tb, args...)
	if r.code != want {
		tb.Errorf("moat %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		tb.Fatalf("moat %s: output is not JSON: %v\n%s\nstderr:\n%s", strings.Join(args, " "), err, r.stdout, r.stderr)
	}
	if len(rep.Errors) > 0 {
		tb.Errorf("moat node reported errors: %q", rep.Errors)
	}
	if rep.Summary.Objects != components {
		tb.Errorf("moat node checked %d components, want %d", rep.Summary.Objects, components)
	}
	for _, w := range rep.Warnings {
		tb.Logf("moat node warning: %s", w)
	}
	return rep, r
}

// checkRuleSets compares the rules that failed (findings above info) with fail and
// the rules reported as info with manual, printing what differs.
func checkRuleSets(t *testing.T, rep report, fail, manual []string) {
	t.Helper()
	failed, info := map[string][]finding{}, map[string][]finding{}
	for _, f := range rep.Findings {
		if f.Severity == "info" {
			info[f.RuleID] = append(info[f.RuleID], f)
		} else {
			failed[f.RuleID] = append(failed[f.RuleID], f)
		}
	}
	diffRules(t, "failed", failed, fail)
	diffRules(t, "reported as info", info, manual)
}

func diffRules(t *testing.T, what string, got map[string][]finding, want []string) {
	t.Helper()
	wantSet := map[string]bool{}
	for _, id := range want {
		if wantSet[id] {
			t.Errorf("%s is listed twice", id)
		}
		wantSet[id] = true
	}
	var missing, extra []string
	for _, id := range want {
		if _, ok := got[id]; !ok {
			missing = append(missing, id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(got)) {
		if !wantSet[id] {
			for _, f := range got[id] {
				extra = append(extra, fmt.Sprintf("%s (%s) %s: %s", id, f.Severity, f.Path, f.Message))
			}
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Errorf("rules %s differ from the list:\n  expected but absent:%s\n  present but not expected:%s",
			what, bullets(missing), bullets(extra))
	}
}

func bullets(lines []string) string {
	if len(lines) == 0 {
		return " none"
	}
	return "\n    " + strings.Join(lines, "\n    ")
}

// checkFilePaths compares, for each rule given, the files its findings are about
// (their source).
func checkFilePaths(t *testing.T, rep report, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for _, f := range rep.Findings {
		if _, ok := want[f.RuleID]; ok {
			file := "(no source)"
			if f.Source != nil {
				file = f.Source.File
			}
			got[f.RuleID] = append(got[f.RuleID], file)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(want)) {
		g, w := slices.Sorted(slices.Values(got[id])), slices.Sorted(slices.Values(want[id]))
		if !slices.Equal(g, w) {
			t.Errorf("%s names files\n  %s\nwant\n  %s", id, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
		}
	}
}

// insecureFilePaths are the files that findings of the insecure run are about.
func (cp *controlPlane) insecureFilePaths(t *testing.T) map[string][]string {
	var pkiAll, keys []string
	err := filepath.WalkDir(cp.PKI, func(p string, _ fs.DirEntry, err error) error {
		pkiAll = append(pkiAll, p) // the directory and all beneath: alice's
		if strings.HasSuffix(p, ".key") {
			keys = append(keys, p) // 0644
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	manifest := func(name string) []string { return []string{filepath.Join(cp.manifests, name+".yaml")} }
	return map[string][]string{
		"node/apiserver-manifest-permissions":            manifest("kube-apiserver"),
		"node/controller-manager-manifest-ownership":     manifest("kube-controller-manager"),
		"node/etcd-manifest-permissions":                 manifest("etcd"),
		"node/etcd-data-dir-ownership":                   {cp.EtcdDataDir()},
		"node/admin-kubeconfig-permissions":              {cp.Kubeconfig},
		"node/controller-manager-kubeconfig-permissions": {cp.Kubeconfig},
		"node/pki-ownership":                             pkiAll,
		"node/pki-key-permissions":                       keys,
		"node/pki-certificate-permissions":               {filepath.Join(cp.PKI, "front-proxy-ca.crt")}, // the 0644 ones pass
		"node/certificate-expiry":                        {filepath.Join(cp.PKI, "front-proxy-ca.crt")},
		"node/weak-key":                                  {filepath.Join(cp.PKI, "front-proxy-ca.crt")},
		"node/ca-file-permissions":                       {cp.CAFile(), filepath.Join(cp.PKI, "front-proxy-ca.crt")},
	}
}

// wantMessage is a text a rule's finding must contain.
type wantMessage struct{ rule, text string }

func checkMessages(t *testing.T, rep report, want []wantMessage) {
	t.Helper()
	for _, w := range want {
		var msgs []string
		for _, f := range rep.Findings {
			if f.RuleID == w.rule {
				msgs = append(msgs, f.Message)
			}
		}
		if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, w.text) }) {
			t.Errorf("%s: no finding says %q; messages: %q", w.rule, w.text, msgs)
		}
	}
}

// checkSource checks that a rule's finding points at file:line (at file, for line 0).
func checkSource(t *testing.T, rep report, rule, file string, line int) {
	t.Helper()
	for _, f := range rep.Findings {
		if f.RuleID != rule {
			continue
		}
		if f.Source == nil || f.Source.File != file || (line > 0 && f.Source.Line != line) {
			t.Errorf("%s: source %+v, want %s:%d", rule, f.Source, file, line)
		}
		return
	}
	t.Errorf("%s: no finding", rule)
}

// workerFiles are a worker node's files by host path: the fixture under
// testdata/node/kubelet (PROFILE stands for insecure or hardened; "" for a
// certificate the test generates), and the mode and owner each profile gives the
// file. The hardened modes are at the benchmark's limits (0600, 0644 for the client
// CA) or stricter (0400).
var workerFiles = []struct {
	path, fixture      string
	insecure, hardened fileMode
}{
	{"/var/lib/kubelet/config.yaml", "PROFILE/config.yaml", fileMode{0o644, aliceOwned}, fileMode{0o600, rootOwned}},
	{"/etc/kubernetes/kubelet.conf", "kubelet.conf", fileMode{0o640, owner{0, alice}}, fileMode{0o400, rootOwned}},
	{"/etc/kubernetes/pki/ca.crt", "", fileMode{0o666, aliceOwned}, fileMode{0o644, rootOwned}},
	{"/var/lib/kubelet/pki/kubelet-client-current.pem", "", fileMode{0o600, rootOwned}, fileMode{0o600, rootOwned}},
	{"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "10-kubeadm.conf", fileMode{0o644, aliceOwned}, fileMode{0o600, rootOwned}},
	{"/var/lib/kube-proxy/config.conf", "PROFILE/kube-proxy.yaml", fileMode{0o644, rootOwned}, fileMode{0o600, rootOwned}},
	{"/var/lib/kube-proxy/kubeconfig.conf", "kube-proxy.conf", fileMode{0o644, aliceOwned}, fileMode{0o600, rootOwned}},
	{"/etc/cni/net.d/10-bridge.conflist", "10-bridge.conflist", fileMode{0o644, aliceOwned}, fileMode{0o600, rootOwned}},
	{"/etc/passwd", "passwd", fileMode{0o644, rootOwned}, fileMode{0o644, rootOwned}},
	{"/etc/group", "group", fileMode{0o644, rootOwned}, fileMode{0o644, rootOwned}},
}

// fileMode is the mode and owner a file is given.
type fileMode struct {
	mode  fs.FileMode
	owner owner
}

// insecureWorkerPaths are the files that findings of the insecure worker are about.
var insecureWorkerPaths = map[string][]string{
	"node/kubelet-service-permissions":    {"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"},
	"node/proxy-kubeconfig-ownership":     {"/var/lib/kube-proxy/kubeconfig.conf"},
	"node/kubelet-kubeconfig-permissions": {"/etc/kubernetes/kubelet.conf"},
	"node/kubelet-client-ca-ownership":    {"/etc/kubernetes/pki/ca.crt"},
	"node/kubelet-config-permissions":     {"/var/lib/kubelet/config.yaml"},
	"node/cni-file-ownership":             {"/etc/cni/net.d/10-bridge.conflist"},
	"node/certificate-expiry":             {"/var/lib/kubelet/pki/kubelet-client-current.pem"},
	"node/ca-file-permissions":            {"/etc/kubernetes/pki/ca.crt"},
}

// workerRoot lays out a worker node's files under a new root directory, with the
// kubelet's CA (RSA 2048, valid ten years, as kubeadm makes it) and its client
// certificate (ECDSA P-256, valid for clientValidity) generated.
func workerRoot(t *testing.T, profile string, clientValidity time.Duration) string {
	root := t.TempDir()
	ca, caKey := newCA(t, "kubernetes", 2048, 10*365*24*time.Hour)
	generated := map[string][]byte{
		"/etc/kubernetes/pki/ca.crt":                      pemBlock("CERTIFICATE", ca.Raw),
		"/var/lib/kubelet/pki/kubelet-client-current.pem": clientPEM(t, ca, caKey, "system:node:worker-1", "system:nodes", clientValidity),
	}
	for _, f := range workerFiles {
		data, ok := generated[f.path]
		if f.fixture != "" {
			var err error
			fixture := strings.ReplaceAll(f.fixture, "PROFILE", profile)
			if data, err = os.ReadFile(filepath.Join(repoNodeFixtures(t), "kubelet", fixture)); err != nil {
				t.Fatal(err)
			}
		} else if !ok {
			t.Fatalf("%s: no fixture and nothing generated", f.path)
		}
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		m := f.insecure
		if profile == "hardened" {
			m = f.hardened
		}
		writeOwned(t, p, data, m.mode, m.owner)
	}
	t.Logf("%s worker node's files under %s", profile, root)
	return root
}

// moatNodeFixture runs `moat node --root ROOT --cmdlines` with a profile's command lines.
func moatNodeFixture(t *testing.T, root, profile string, want int) report {
	t.Helper()
	cmdlines := filepath.Join(repoNodeFixtures(t), "kubelet", profile, "cmdlines.txt")
	rep, _ := moatNodeJSON(t, want, 2, "node", "--root", root, "--cmdlines", cmdlines, "--node-name", "worker-1",
		"-o", "json", "--fail-on", "critical")
	return rep
}

// repoNodeFixtures is testdata/node of this package, absolute: moat runs in the
// repository root.
func repoNodeFixtures(tb testing.TB) string {
	return repoPath(tb, "test/kube/e2e/testdata/node")
}

// copyFixture copies a fixture under testdata/node to dst with a mode and owner.
func copyFixture(tb testing.TB, fixture, dst string, mode fs.FileMode, o owner) string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/node", fixture))
	if err != nil {
		tb.Fatal(err)
	}
	writeOwned(tb, dst, data, mode, o)
	return dst
}

// writeOwned writes a file with exactly mode (whatever the umask) and owner.
func writeOwned(tb testing.TB, path string, data []byte, mode fs.FileMode, o owner) {
	tb.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		tb.Fatal(err)
	}
	setMode(tb, path, mode, o)
}

func setMode(tb testing.TB, path string, mode fs.FileMode, o owner) {
	tb.Helper()
	if err := os.Chmod(path, mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chown(path, o.uid, o.gid); err != nil {
		tb.Fatal(err)
	}
}

// requireRoot skips a test that gives files to other users.
func requireRoot(tb testing.TB) {
	if os.Getuid() != 0 {
		tb.Skip("the node checks need files owned by root and by other users: run as root")
	}
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		tb.Skip("no /proc: moat node finds processes there")
	}
}

// newCA makes a self-signed CA with an RSA key of bits, valid for validity.
func newCA(t *testing.T, cn string, bits int, validity time.Duration) (*x509.Certificate, *rsa.PrivateKey) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	ca := sign(t, &x509.Certificate{
		Subject:  pkix.Name{CommonName: cn},
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
	}, validity, &key.PublicKey, nil, key)
	return ca, key
}

// clientPEM is a client certificate signed by ca with its ECDSA P-256 key, in one
// PEM file as the kubelet keeps it.
func clientPEM(t *testing.T, ca *x509.Certificate, caKey *rsa.PrivateKey, cn, group string, validity time.Duration) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert := sign(t, &x509.Certificate{
		Subject:  pkix.Name{CommonName: cn, Organization: []string{group}},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, validity, &key.PublicKey, ca, caKey)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pemBlock("CERTIFICATE", cert.Raw), pemBlock("EC PRIVATE KEY", keyDER)...)
}

// sign issues tmpl for pub, valid from an hour ago for validity, signed by parent's
// key (self-signed when parent is nil).
func sign(t *testing.T, tmpl *x509.Certificate, validity time.Duration, pub any, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = serial, time.Now().Add(-time.Hour), time.Now().Add(validity)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
