package kubetest

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The version constant names the cached binaries; it must follow go.mod.
func TestVersionMatchesGoMod(t *testing.T) {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "require" {
			f = f[1:]
		}
		if len(f) >= 2 && f[0] == "k8s.io/kubernetes" && f[1] != "=>" {
			found = append(found, f[1])
		}
	}
	if len(found) != 1 || found[0] != KubernetesVersion {
		t.Fatalf("go.mod requires k8s.io/kubernetes %v, KubernetesVersion is %s", found, KubernetesVersion)
	}
}

func TestAPIServerFlags(t *testing.T) {
	flags := apiserverFlags("/d/pki", "https://127.0.0.1:1", 6443, options{etcdTLS: true, kubeletClient: true, apiserverFlags: []string{
		"--authorization-mode=Node,RBAC,Webhook",
		"--audit-log-path=/d/audit.log",
		"--profiling",
	}})
	get := func(name string) []string {
		var vals []string
		for _, f := range flags {
			if n, v, _ := strings.Cut(f, "="); n == name {
				vals = append(vals, v)
			}
		}
		return vals
	}
	for name, want := range map[string][]string{
		"--authorization-mode":            {"Node,RBAC,Webhook"}, // replaced, not repeated
		"--audit-log-path":                {"/d/audit.log"},
		"--profiling":                     {""},
		"--secure-port":                   {"6443"},
		"--etcd-servers":                  {"https://127.0.0.1:1"},
		"--client-ca-file":                {"/d/pki/ca.crt"},
		"--endpoint-reconciler-type":      {"none"},
		"--etcd-cafile":                   {"/d/pki/etcd/ca.crt"}, // WithEtcdTLS
		"--etcd-certfile":                 {"/d/pki/apiserver-etcd-client.crt"},
		"--etcd-keyfile":                  {"/d/pki/apiserver-etcd-client.key"},
		"--kubelet-client-key":            {"/d/pki/apiserver-kubelet-client.key"}, // WithKubeletClientCert
		"--kubelet-certificate-authority": {"/d/pki/ca.crt"},
	} {
		if got := get(name); !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, f := range apiserverFlags("/d/pki", "http://127.0.0.1:1", 6443, options{}) {
		if strings.HasPrefix(f, "--etcd-cafile") || strings.HasPrefix(f, "--kubelet-client") {
			t.Errorf("without WithEtcdTLS or WithKubeletClientCert the API server has %s", f)
		}
	}
}

func TestMergeFlags(t *testing.T) {
	for _, tc := range []struct {
		name         string
		flags, extra []string
		want         []string
	}{
		{"an extra flag replaces one of the same name in place",
			[]string{"--a=1", "--b=2", "--c=3"}, []string{"--b=20"}, []string{"--a=1", "--b=20", "--c=3"}},
		{"a new flag is appended, a boolean without a value too",
			[]string{"--a=1"}, []string{"--d=4", "--profiling"}, []string{"--a=1", "--d=4", "--profiling"}},
		{"a boolean without a value replaces one with a value",
			[]string{"--profiling=false"}, []string{"--profiling"}, []string{"--profiling"}},
		{"no extra flags leave them as they are", []string{"--a=1"}, nil, []string{"--a=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := slices.Clone(tc.flags)
			if got := mergeFlags(tc.flags, tc.extra); !slices.Equal(got, tc.want) {
				t.Errorf("mergeFlags(%q, %q) = %q, want %q", tc.flags, tc.extra, got, tc.want)
			}
			if !slices.Equal(tc.flags, base) {
				t.Errorf("mergeFlags changed its argument: %q", tc.flags)
			}
		})
	}
}

func TestCertificates(t *testing.T) {
	ca, err := newAuthority("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)

	certPEM, _, err := ca.clientCert("alice", []string{"devs", "ops"})
	if err != nil {
		t.Fatal(err)
	}
	cert := parseCert(t, certPEM)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify for client auth: %v", err)
	}
	if cert.Subject.CommonName != "alice" || !slices.Equal(slices.Sorted(slices.Values(cert.Subject.Organization)), []string{"devs", "ops"}) {
		t.Errorf("client subject = %v, want CN=alice O=devs,ops", cert.Subject)
	}

	certPEM, _, err = ca.servingCert([]string{"127.0.0.1", "kubernetes.default.svc"})
	if err != nil {
		t.Fatal(err)
	}
	cert = parseCert(t, certPEM)
	for _, host := range []string{"127.0.0.1", "kubernetes.default.svc"} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("serving certificate does not verify for %s: %v", host, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "example.com"}); err == nil {
		t.Error("serving certificate verifies for a host it does not name")
	}
}

func parseCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// Extra API server flags reach the API server (here: an audit log), and Stop
// ends every process and removes every file.
func TestAPIServerFlagsAndStop(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	auditLog := filepath.Join(t.TempDir(), "audit.log")
	c := Start(t, WithAPIServerFlags("--audit-policy-file="+policy, "--audit-log-path="+auditLog))

	cs := kubernetes.NewForConfigOrDie(c.RESTConfig())
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "audited"}}
	if _, err := cs.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !auditLogHas(t, auditLog, func(e auditEvent) bool {
		return e.Verb == "create" && e.ObjectRef.Resource == "namespaces" && e.ObjectRef.Name == "audited" &&
			e.User.Username == AdminUser
	}) {
		t.Errorf("audit log %s has no event for the namespace created by %s", auditLog, AdminUser)
	}

	pids := c.Pids()
	if len(pids) != 2 {
		t.Fatalf("pids = %v, want etcd and kube-apiserver", pids)
	}
	c.Stop()
	for name, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) still exists after Stop: kill 0 = %v", name, pid, err)
		}
	}
	for _, dir := range []string{c.Dir, c.dataDir} {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after Stop: %v", dir, err)
		}
	}
}

type auditEvent struct {
	Verb      string `json:"verb"`
	ObjectRef struct {
		Resource string `json:"resource"`
		Name     string `json:"name"`
	} `json:"objectRef"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
}

// auditLogHas waits a few seconds for the audit log to hold a matching event
// (the log backend writes asynchronously).
func auditLogHas(t *testing.T, path string, match func(auditEvent) bool) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(path)
		if err == nil {
			for line := range strings.Lines(string(data)) {
				var e auditEvent
				if json.Unmarshal([]byte(line), &e) == nil && match(e) {
					return true
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

const helperEnv = "KUBETEST_HELPER_PIDS"

// A control plane dies with the test binary that started it, even when that
// binary is killed and runs no cleanup.
func TestProcessesDieWithTestBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux only")
	}
	if _, err := LookupBinaries(); err != nil && os.Getenv(EnvE2E) == "" {
		t.Skipf("kubetest: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldCluster$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	var pids map[string]int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "PIDS "); ok {
			if err := json.Unmarshal([]byte(rest), &pids); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if pids == nil {
		cmd.Process.Kill()
		t.Fatalf("helper printed no pids: %v", cmd.Wait())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for name, pid := range pids {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("%s (pid %d) outlived the killed test binary", name, pid)
		}
	}
}

// alive reports whether pid is a process that has not ended. A killed child
// of the dead helper is a zombie until init reaps it; it counts as ended.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the parenthesised command name.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// TestHelperHoldCluster is the process that TestProcessesDieWithTestBinary
// kills: it starts a cluster, prints the pids and waits to be killed.
func TestHelperHoldCluster(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper process of TestProcessesDieWithTestBinary")
	}
	c := Start(t)
	data, err := json.Marshal(c.Pids())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PIDS %s\n", data)
	time.Sleep(time.Minute)
	t.Error("helper was not killed")
}
