package kubetest

import (
	"crypto/tls"
	"crypto/x509"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The options that make a control plane look like a node's to `moat node`:
// programs named as the components, etcd with TLS and client certificates of
// its own CA, files with a chosen mode and owner, extra etcd and
// controller-manager flags. EtcdGet reads what the API server stored.
func TestNodeOptions(t *testing.T) {
	const mode fs.FileMode = 0o640
	opts := []Option{
		WithNamedBinaries(), WithEtcdTLS(), WithKubeletClientCert(), WithFileMode(mode),
		WithEtcdFlags("--log-level=error"),
		WithControllerManager("serviceaccount-controller"),
		WithControllerManagerFlags("--profiling=false"),
	}
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 4242, 4343 // any ids: root may give files to anyone
		opts = append(opts, WithFileOwner(uid, gid))
	}
	c := Start(t, opts...)

	pids := c.Pids()
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		argv := cmdline(t, pids[name])
		if want := filepath.Join(c.Dir, "bin", name); argv[0] != want {
			t.Errorf("%s runs as %q, want %q", name, argv[0], want)
		}
		for _, flag := range map[string][]string{
			"etcd": {"--client-cert-auth=true", "--peer-client-cert-auth=true", "--log-level=error"},
			"kube-apiserver": {"--etcd-certfile=" + filepath.Join(c.PKI, "apiserver-etcd-client.crt"),
				"--kubelet-client-certificate=" + filepath.Join(c.PKI, "apiserver-kubelet-client.crt")},
			"kube-controller-manager": {"--profiling=false", "--kubeconfig=" + c.Kubeconfig},
		}[name] {
			if !slices.Contains(argv[1:], flag) {
				t.Errorf("%s does not run with %s: %q", name, flag, argv[1:])
			}
		}
	}
	if !strings.HasPrefix(c.EtcdURL, "https://") {
		t.Errorf("EtcdURL = %s, want https", c.EtcdURL)
	}

	for _, name := range []string{"ca.crt", "apiserver.key", "sa.key", "etcd/ca.crt", "etcd/server.key", "apiserver-etcd-client.key", "apiserver-kubelet-client.key"} {
		assertFile(t, filepath.Join(c.PKI, name), mode, uid, gid)
	}
	assertFile(t, c.Kubeconfig, mode, uid, gid)
	assertFile(t, c.PKI, fs.ModeDir|0o700, uid, gid)

	// The API server stored its default namespace in etcd through TLS.
	v, found, err := c.EtcdGet(t.Context(), "/registry/namespaces/default")
	if err != nil || !found || !strings.Contains(string(v), "default") {
		t.Errorf("EtcdGet(default namespace) = %q, %v, %v; want the stored Namespace", v, found, err)
	}
	if _, found, err := c.EtcdGet(t.Context(), "/registry/namespaces/absent"); err != nil || found {
		t.Errorf("EtcdGet(absent) = found %v, %v; want not found", found, err)
	}

	// etcd refuses a client that has no certificate, even one that trusts it.
	ca, err := os.ReadFile(filepath.Join(c.PKI, "etcd/ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	if resp, err := anon.Get(c.EtcdURL + "/v3/kv/range"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("etcd served a client without a certificate: %s", resp.Status)
		}
	}
}

func cmdline(t *testing.T, pid int) []string {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	return strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
}

func assertFile(t *testing.T, path string, mode fs.FileMode, uid, gid int) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if got := st.Mode() & (fs.ModeDir | fs.ModePerm); got != mode {
		t.Errorf("%s has mode %v, want %v", path, got, mode)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && (int(sys.Uid) != uid || int(sys.Gid) != gid) {
		t.Errorf("%s is owned by %d:%d, want %d:%d", path, sys.Uid, sys.Gid, uid, gid)
	}
}
