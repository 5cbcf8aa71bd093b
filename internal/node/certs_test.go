package node

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/finding"
)

// certTestKeys are generated once per test binary: RSA keys take a while to make.
var (
	certTestKeysMu sync.Mutex
	certTestKeys   = map[string]crypto.Signer{}
)

// certTestKey is a key of a kind: "rsa1024", "rsa2048", "p224", "p256", "ed25519"; one
// key of each, shared by the certificates that ask for it.
func certTestKey(t *testing.T, kind string) crypto.Signer {
	t.Helper()
	certTestKeysMu.Lock()
	defer certTestKeysMu.Unlock()
	if k, ok := certTestKeys[kind]; ok {
		return k
	}
	var k crypto.Signer
	var err error
	switch kind {
	case "rsa1024":
		k, err = rsa.GenerateKey(rand.Reader, 1024)
	case "rsa2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "p224":
		k, err = ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	case "p256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	certTestKeys[kind] = k
	return k
}

// certSpec is a certificate made in the test.
type certSpec struct {
	cn       string
	notAfter time.Time
	key      string // a certTestKey kind
	sig      x509.SignatureAlgorithm
	ca       bool
	issuer   *certMade // nil: self-signed
}

// certMade is a certificate made, with its key.
type certMade struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

var certSerial int64

func (tc certSpec) make(t *testing.T) *certMade {
	t.Helper()
	key := certTestKey(t, tc.key)
	certSerial++
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(certSerial),
		Subject:               pkix.Name{CommonName: tc.cn},
		NotBefore:             beyondNow.Add(-365 * 24 * time.Hour),
		NotAfter:              tc.notAfter,
		SignatureAlgorithm:    tc.sig,
		IsCA:                  tc.ca,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	parent, signer := tpl, key
	if tc.issuer != nil {
		parent, signer = tc.issuer.cert, tc.issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatalf("%s: %v", tc.cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &certMade{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func daysFromNow(n int) time.Time { return beyondNow.Add(time.Duration(n) * 24 * time.Hour) }

// fakeKeyPEM stands for a private key beside a certificate; no rule may read it.
const fakeKeyPEM = "-----BEGIN RSA PRIVATE KEY-----\nTU9BVC1GQUtFLUtFWS1EQVRB\n-----END RSA PRIVATE KEY-----\n"

func TestCertificateExpiry(t *testing.T) {
	ca := certSpec{cn: "kubernetes", notAfter: daysFromNow(3650), key: "p256", ca: true}.make(t)
	tests := []struct {
		name     string
		notAfter time.Time
		want     *finding.Severity // nil: passes
		message  string
	}{
		{"expired a month ago", daysFromNow(-31), severityOf(finding.Critical), "expired on 2026-05-01 (31 days ago)"},
		{"expired an hour ago", beyondNow.Add(-time.Hour), severityOf(finding.Critical), "(less than a day ago)"},
		{"expires in an hour", beyondNow.Add(time.Hour), severityOf(finding.High), "(in less than a day)"},
		{"expires tomorrow", daysFromNow(1), severityOf(finding.High), "expires on 2026-06-02 (in 1 day)"},
		{"expires in 29 days", daysFromNow(29), severityOf(finding.High), "(in 29 days)"},
		{"expires in 30 days", daysFromNow(30), nil, ""},
		{"expires in a year", daysFromNow(365), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := certSpec{cn: "kube-apiserver", notAfter: tt.notAfter, key: "p256", issuer: ca}.make(t)
			const path = "/etc/kubernetes/pki/apiserver.crt"
			h := beyondHost(map[string][]byte{path: append(append([]byte("# the serving certificate\n"), leaf.pem...), ca.pem...)})
			beyondComponent(h, APIServer, "--tls-cert-file="+path)
			f, ok := onlyFinding(t, beyondRun(t, h, "node/certificate-expiry"), tt.want != nil)
			if !ok {
				return
			}
			if f.Severity != *tt.want || f.Path != "--tls-cert-file" || f.Source.String() != path+":2" {
				t.Errorf("got %s at %s (%s), want %s at %s:2 (--tls-cert-file)", f.Severity, f.Source, f.Path, *tt.want, path)
			}
			prefix := "certificate CN=kube-apiserver in " + path + ", certificate 1 of 2 "
			if !strings.HasPrefix(f.Message, prefix) || !strings.Contains(f.Message, tt.message) {
				t.Errorf("message %q, want %q ... %q", f.Message, prefix, tt.message)
			}
		})
	}
}

func TestWeakKey(t *testing.T) {
	rsaCA := certSpec{cn: "rsa-ca", notAfter: daysFromNow(3650), key: "rsa2048", ca: true}.make(t)
	tests := []struct {
		name    string
		cert    func() certSpec
		want    *finding.Severity // nil: passes
		message string
	}{
		{"RSA 2048", func() certSpec { return certSpec{key: "rsa2048", issuer: rsaCA} }, nil, ""},
		{"RSA 1024", func() certSpec { return certSpec{key: "rsa1024", issuer: rsaCA} }, severityOf(finding.Medium), "has an RSA key of 1024 bits (want 2048 or more)"},
		{"ECDSA P-256", func() certSpec { return certSpec{key: "p256", issuer: rsaCA} }, nil, ""},
		// Go makes P-224 keys and certificates for them, but cannot sign with one: the
		// certificate is signed by the RSA CA.
		{"ECDSA P-224", func() certSpec { return certSpec{key: "p224", issuer: rsaCA} }, severityOf(finding.Medium), "has an ECDSA key on P-224 (want P-256 or larger)"},
		{"Ed25519", func() certSpec { return certSpec{key: "ed25519", issuer: rsaCA} }, nil, ""},
		{"signed with SHA-1", func() certSpec { return certSpec{key: "p256", issuer: rsaCA, sig: x509.SHA1WithRSA} }, severityOf(finding.Medium), "is signed with SHA1-RSA (SHA-1 collisions can be made)"},
		{"self-signed root signed with SHA-1", func() certSpec { return certSpec{key: "rsa2048", sig: x509.SHA1WithRSA, ca: true} }, nil, ""},
		{"RSA 1024 signed with SHA-1", func() certSpec { return certSpec{key: "rsa1024", issuer: rsaCA, sig: x509.SHA1WithRSA} }, severityOf(finding.Medium), "has an RSA key of 1024 bits (want 2048 or more) and is signed with SHA1-RSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := tt.cert()
			tc.cn, tc.notAfter = "etcd-server", daysFromNow(365)
			leaf := tc.make(t)
			const path = "/etc/kubernetes/pki/etcd/server.crt"
			h := beyondHost(map[string][]byte{path: leaf.pem, "/etc/kubernetes/pki/etcd/server.key": nil})
			beyondComponent(h, Etcd, "--cert-file="+path, "--key-file=/etc/kubernetes/pki/etcd/server.key")
			f, ok := onlyFinding(t, beyondRun(t, h, "node/weak-key", "node/certificate-expiry"), tt.want != nil)
			if !ok {
				return
			}
			if f.RuleID != "node/weak-key" || f.Severity != *tt.want || f.Resource.Kind != "Etcd" || f.Source.String() != path+":1" {
				t.Errorf("got %s on %s at %s", f.Severity, f.Resource, f.Source)
			}
			if want := "certificate CN=etcd-server in " + path + " " + tt.message; !strings.HasPrefix(f.Message, want) {
				t.Errorf("message %q, want %q", f.Message, want)
			}
		})
	}
}

// TestWeakness covers what Go cannot make: a DSA key, an MD5 signature, a tiny RSA key.
func TestWeakness(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tiny := &rsa.PublicKey{N: new(big.Int).Rsh(small.N, 512), E: 65537}
	tests := []struct {
		name   string
		cert   *x509.Certificate
		want   string
		severe bool
	}{
		{"DSA", &x509.Certificate{PublicKeyAlgorithm: x509.DSA, RawIssuer: []byte("a"), RawSubject: []byte("b")}, "has a DSA key", false},
		{"MD5 signature", &x509.Certificate{SignatureAlgorithm: x509.MD5WithRSA, RawIssuer: []byte("a"), RawSubject: []byte("b")}, "is signed with MD5-RSA (broken)", true},
		{"RSA 512", &x509.Certificate{PublicKey: tiny, RawIssuer: []byte("a"), RawSubject: []byte("b")}, "has an RSA key of 512 bits", true},
		{"self-signed MD5 root", &x509.Certificate{SignatureAlgorithm: x509.MD5WithRSA, RawIssuer: []byte("a"), RawSubject: []byte("a")}, "", false},
		{"MD5 under another key of the same name", &x509.Certificate{SignatureAlgorithm: x509.MD5WithRSA, RawIssuer: []byte("a"), RawSubject: []byte("a"), AuthorityKeyId: []byte{1}, SubjectKeyId: []byte{2}}, "is signed with MD5-RSA", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, severe := weakness(tt.cert)
			got := strings.Join(problems, " and ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) || severe != tt.severe {
				t.Errorf("got %q (severe %t), want %q (severe %t)", got, severe, tt.want, tt.severe)
			}
		})
	}
}

// kubeconfigWith is a kubeconfig embedding a CA and a client certificate, with a
// client key that no message may repeat.
func kubeconfigWith(ca, client []byte, clientKey string) []byte {
	b64 := base64.StdEncoding.EncodeToString
	return []byte(`apiVersion: v1
kind: Config
clusters:
- name: kubernetes
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: ` + b64(ca) + `
contexts:
- name: admin@kubernetes
  context: {cluster: kubernetes, user: kubernetes-admin}
current-context: admin@kubernetes
users:
- name: kubernetes-admin
  user:
    client-certificate-data: ` + b64(client) + `
    client-key-data: ` + b64([]byte(clientKey)) + `
`)
}

func TestKubeconfigCertificates(t *testing.T) {
	ca := certSpec{cn: "kubernetes", notAfter: daysFromNow(3650), key: "p256", ca: true}.make(t)
	admin := certSpec{cn: "kubernetes-admin", notAfter: daysFromNow(20), key: "rsa1024", issuer: ca}.make(t)
	const keyData = "-----BEGIN RSA PRIVATE KEY-----\nU0VDUkVULUtFWS1NQVRFUklBTA==\n-----END RSA PRIVATE KEY-----\n"
	kubeconfig := kubeconfigWith(ca.pem, admin.pem, keyData)
	h := beyondHost(map[string][]byte{"/etc/kubernetes/admin.conf": kubeconfig})
	h.Layout = &Layout{AdminConf: "/etc/kubernetes/admin.conf", PKI: "/etc/kubernetes/pki"}
	beyondComponent(h, APIServer, "--secure-port=6443")
	fs := beyondRun(t, h, "node/certificate-expiry", "node/weak-key")
	if len(fs) != 2 {
		t.Fatalf("want two findings, got %+v", fs)
	}
	want := map[string]string{
		"node/certificate-expiry": "certificate CN=kubernetes-admin in /etc/kubernetes/admin.conf (users[kubernetes-admin].user.client-certificate-data) expires on 2026-06-21 (in 20 days)",
		"node/weak-key":           "certificate CN=kubernetes-admin in /etc/kubernetes/admin.conf (users[kubernetes-admin].user.client-certificate-data) has an RSA key of 1024 bits",
	}
	for _, f := range fs {
		if !strings.HasPrefix(f.Message, want[f.RuleID]) {
			t.Errorf("%s: %q, want %q", f.RuleID, f.Message, want[f.RuleID])
		}
		if f.Source.String() != "/etc/kubernetes/admin.conf:15" {
			t.Errorf("source %s, want the line of client-certificate-data", f.Source)
		}
		if strings.Contains(f.Message, "U0VDUkVULUtFWS1NQVRFUklBTA") || strings.Contains(f.Message, base64.StdEncoding.EncodeToString([]byte(keyData))[:20]) {
			t.Errorf("message holds key data: %s", f.Message)
		}
	}
}

// TestCertificateSources checks which certificates are read and on which component
// each is reported: once, on the first component that uses it.
func TestCertificateSources(t *testing.T) {
	expired := func(cn string) []byte {
		return certSpec{cn: cn, notAfter: daysFromNow(-1), key: "p256"}.make(t).pem
	}
	files := map[string][]byte{
		"/etc/kubernetes/pki/ca.crt":                      expired("ca"),
		"/etc/kubernetes/pki/ca.key":                      nil, // a key: Load keeps no content
		"/etc/kubernetes/pki/apiserver.crt":               expired("apiserver"),
		"/etc/kubernetes/pki/front-proxy-ca.crt":          expired("front-proxy-ca"),
		"/etc/kubernetes/pki/etcd/ca.crt":                 expired("etcd-ca"),
		"/etc/kubernetes/pki/etcd/server.crt":             expired("etcd-server"),
		"/etc/kubernetes/scheduler.conf":                  kubeconfigWith(expired("sched-ca"), expired("system:kube-scheduler"), fakeKeyPEM),
		"/etc/kubernetes/kubelet.conf":                    []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    certificate-authority: pki/kubelet-ca.crt\nusers:\n- name: node\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n"),
		"/etc/kubernetes/pki/kubelet-ca.crt":              expired("kubelet-ca"),
		"/var/lib/kubelet/pki/kubelet-client-current.pem": append(expired("system:node:cp-1"), fakeKeyPEM...),
		"/var/lib/kubelet/pki/kubelet.crt":                expired("cp-1@serving"),
		"/etc/kubernetes/audit-policy.yaml":               []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata}]\n"),
	}
	h := beyondHost(files)
	h.Files["/etc/kubernetes/pki"] = &File{Path: "/etc/kubernetes/pki", Exists: true, Dir: true, Entries: []string{
		"/etc/kubernetes/pki/apiserver.crt", "/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/pki/ca.key",
		"/etc/kubernetes/pki/etcd", "/etc/kubernetes/pki/etcd/ca.crt", "/etc/kubernetes/pki/etcd/server.crt",
		"/etc/kubernetes/pki/front-proxy-ca.crt", "/etc/kubernetes/pki/kubelet-ca.crt",
	}}
	h.Layout = &Layout{PKI: "/etc/kubernetes/pki", AdminConf: "/etc/kubernetes/admin.conf", SchedulerConf: "/etc/kubernetes/scheduler.conf"}
	beyondComponent(h, APIServer, "--client-ca-file=/etc/kubernetes/pki/ca.crt", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
		"--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt", "--audit-policy-file=/etc/kubernetes/audit-policy.yaml")
	beyondComponent(h, Etcd, "--cert-file=/etc/kubernetes/pki/etcd/server.crt", "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt")
	kubelet := beyondComponent(h, Kubelet, "--kubeconfig=/etc/kubernetes/kubelet.conf", "--client-ca-file=/etc/kubernetes/pki/ca.crt")
	kubelet.Kubelet = &KubeletConfig{}
	kubelet.Kubelet.TLSCertFile = "/var/lib/kubelet/pki/kubelet.crt"

	got := map[string][]string{}
	for _, f := range beyondRun(t, h, "node/certificate-expiry") {
		cn, _, _ := strings.Cut(strings.TrimPrefix(f.Message, "certificate CN="), " ")
		got[f.Resource.Kind] = append(got[f.Resource.Kind], cn)
	}
	want := map[string][]string{
		// The API server: its flags' files, the PKI directory's other certificates, and
		// the scheduler's kubeconfig (no scheduler runs here).
		"KubeAPIServer": {"apiserver", "ca", "etcd-ca", "front-proxy-ca", "kubelet-ca", "sched-ca", "system:kube-scheduler"},
		"Etcd":          {"etcd-server"},
		// The kubelet: its tlsCertFile and the file its kubeconfig names; the CA its
		// kubeconfig names is beneath the PKI directory, reported on the API server.
		"Kubelet": {"cp-1@serving", "system:node:cp-1"},
	}
	for kind, cns := range want {
		g := got[kind]
		slices.Sort(g)
		if strings.Join(g, ",") != strings.Join(cns, ",") {
			t.Errorf("%s: got %v, want %v", kind, g, cns)
		}
	}
	if len(got) != len(want) {
		t.Errorf("findings on %v, want only %v", got, want)
	}
}

func TestPEMBlocks(t *testing.T) {
	c1 := certSpec{cn: "one", notAfter: daysFromNow(100), key: "p256"}.make(t)
	c2 := certSpec{cn: "two", notAfter: daysFromNow(100), key: "p256"}.make(t)
	data := []byte("comment\n\n")
	data = append(data, c1.pem...)
	data = append(data, []byte("-----BEGIN GARBAGE\nnot base64 !!\n")...)
	data = append(data, fakeKeyPEM...)
	second := 1 + strings.Count(string(data), "\n")
	data = append(data, c2.pem...)
	blocks := pemBlocks(data)
	if len(blocks) != 2 || blocks[0].line != 3 || blocks[1].line != second {
		t.Fatalf("got %d blocks at %v, want 2 at lines 3 and %d", len(blocks), blocks, second)
	}
}

// TestCAFilePermissions checks the modes and owners of real CA files read with Load.
func TestCAFilePermissions(t *testing.T) {
	ca := certSpec{cn: "kubernetes", notAfter: daysFromNow(3650), key: "p256", ca: true}.make(t)
	tests := []struct {
		name    string
		file    string // beneath the root
		mode    os.FileMode
		uid     int
		kind    string
		message string // "": passes
	}{
		{"client CA 0644 root", "etc/kubernetes/pki/ca.crt", 0o644, 0, "", ""},
		{"client CA 0600 root", "etc/kubernetes/pki/ca.crt", 0o600, 0, "", ""},
		{"client CA 0444 root", "etc/kubernetes/pki/ca.crt", 0o444, 0, "", ""},
		{"client CA group-writable", "etc/kubernetes/pki/ca.crt", 0o664, 0, "KubeAPIServer", "CA file /etc/kubernetes/pki/ca.crt (--client-ca-file) is writable by its group (mode 0664; want 0644 or stricter): whoever can replace it can mint certificates the kube-apiserver accepts"},
		{"client CA world-writable", "etc/kubernetes/pki/ca.crt", 0o666, 0, "KubeAPIServer", "is writable by its group and others (mode 0666"},
		{"client CA others-writable", "etc/kubernetes/pki/ca.crt", 0o646, 0, "KubeAPIServer", "is writable by others (mode 0646"},
		{"client CA not root's", "etc/kubernetes/pki/ca.crt", 0o644, 1000, "KubeAPIServer", "is owned by 1000:1000 (want root)"},
		{"etcd CA writable", "etc/kubernetes/pki/etcd/ca.crt", 0o666, 0, "Etcd", "CA file /etc/kubernetes/pki/etcd/ca.crt (--trusted-ca-file) is writable by its group and others"},
		{"front-proxy CA writable, named by no flag", "etc/kubernetes/pki/front-proxy-ca.crt", 0o666, 0, "KubeAPIServer", "CA file /etc/kubernetes/pki/front-proxy-ca.crt is writable"},
		{"kubelet client CA not root's", "var/lib/kubelet/ca.crt", 0o644, 1000, "Kubelet", "CA file /var/lib/kubelet/ca.crt (authentication.x509.clientCAFile) is owned by 1000:1000"},
		{"a certificate that is no CA may be writable", "etc/kubernetes/pki/apiserver.crt", 0o666, 1000, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range []string{"etc/kubernetes/pki/ca.crt", "etc/kubernetes/pki/etcd/ca.crt", "etc/kubernetes/pki/front-proxy-ca.crt", "etc/kubernetes/pki/apiserver.crt", "var/lib/kubelet/ca.crt"} {
				writeRootFile(t, root, f, ca.pem, 0o644, 0)
			}
			writeRootFile(t, root, "var/lib/kubelet/config.yaml", []byte("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCAFile: /var/lib/kubelet/ca.crt\nrotateCertificates: true\nserverTLSBootstrap: true\n"), 0o600, 0)
			writeRootFile(t, root, tt.file, ca.pem, tt.mode, tt.uid)
			h := loadRoot(t, root,
				"kube-apiserver --client-ca-file=/etc/kubernetes/pki/ca.crt --tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
				"etcd --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
				"kubelet --config=/var/lib/kubelet/config.yaml")
			f, ok := onlyFinding(t, beyondRun(t, h, "node/ca-file-permissions"), tt.message != "")
			if !ok {
				return
			}
			if f.Resource.Kind != tt.kind || !strings.Contains(f.Message, tt.message) || f.Source.String() != "/"+tt.file {
				t.Errorf("got %s %q at %s, want %s %q at /%s", f.Resource.Kind, f.Message, f.Source, tt.kind, tt.message, tt.file)
			}
		})
	}
}

// writeRootFile writes a file beneath root with a mode and an owner.
func writeRootFile(t *testing.T, root, name string, data []byte, mode os.FileMode, uid int) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, uid, uid); err != nil {
		t.Skipf("chown needs root: %v", err)
	}
}

func TestKubeletCertificateRotation(t *testing.T) {
	const config = "/var/lib/kubelet/config.yaml"
	tests := []struct {
		name string
		yaml string
		want map[string]string // rule ID: message
		line map[string]int    // rule ID: line in config
	}{
		{"rotation on, server certificates bootstrapped",
			"rotateCertificates: true\nserverTLSBootstrap: true\n", nil, nil},
		{"rotation off",
			"rotateCertificates: false\nserverTLSBootstrap: true\n",
			map[string]string{"kubelet/rotate-certificates": "rotateCertificates: is false: the kubelet does not renew its client certificate and leaves the cluster when it expires (set in " + config + ")"},
			map[string]int{"kubelet/rotate-certificates": 3}},
		{"rotation left to the default",
			"serverTLSBootstrap: true\n",
			map[string]string{"kubelet/rotate-certificates": "rotateCertificates: is false: the kubelet does not renew its client certificate and leaves the cluster when it expires (the default with a config file)"},
			map[string]int{"kubelet/rotate-certificates": 0}},
		{"self-signed serving certificate",
			"rotateCertificates: true\n",
			map[string]string{"kubelet/rotate-server-certificates": "serverTLSBootstrap: is false and no tlsCertFile is set: the kubelet serves a self-signed certificate that the API server cannot verify and nothing renews (the default with a config file)"},
			map[string]int{"kubelet/rotate-server-certificates": 0}},
		{"serving certificate from a file",
			"rotateCertificates: true\ntlsCertFile: /var/lib/kubelet/pki/kubelet.crt\ntlsPrivateKeyFile: /var/lib/kubelet/pki/kubelet.key\n", nil, nil},
		{"serving certificate rotation gated off",
			"rotateCertificates: true\nserverTLSBootstrap: true\nfeatureGates:\n  RotateKubeletServerCertificate: false\n",
			map[string]string{"kubelet/rotate-server-certificates": "featureGates.RotateKubeletServerCertificate: is false: the kubelet never renews its serving certificate (set in " + config + ")"},
			map[string]int{"kubelet/rotate-server-certificates": 5}},
		{"gate named true",
			"rotateCertificates: true\nserverTLSBootstrap: true\nfeatureGates:\n  RotateKubeletServerCertificate: true\n", nil, nil},
		// The kubelet would not start with this file: its configuration is not judged.
		{"config file unreadable", "rotateCertificates: [\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeRootFile(t, root, strings.TrimPrefix(config, "/"), []byte("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"+tt.yaml), 0o600, 0)
			h := loadRoot(t, root, "kubelet --config="+config)
			fs := beyondRun(t, h, "kubelet/rotate-certificates", "kubelet/rotate-server-certificates")
			if len(fs) != len(tt.want) {
				t.Fatalf("want %d findings, got %+v", len(tt.want), fs)
			}
			for _, f := range fs {
				want, ok := tt.want[f.RuleID]
				if !ok || !strings.HasPrefix(f.Message, want) {
					t.Errorf("%s: %q, want %q", f.RuleID, f.Message, want)
				}
				if f.Source == nil || f.Source.File != config || f.Source.Line != tt.line[f.RuleID] {
					t.Errorf("%s: source %s, want %s:%d", f.RuleID, f.Source, config, tt.line[f.RuleID])
				}
			}
		})
	}
}

// FuzzKubeconfigCertificates feeds the kubeconfig reader arbitrary files: it must never
// panic, and what it says must not hold the client key.
func FuzzKubeconfigCertificates(f *testing.F) {
	f.Add(kubeconfigWith([]byte("not pem"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), fakeKeyPEM))
	f.Add([]byte("apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    client-certificate: ../a.crt\n"))
	f.Add([]byte("clusters: [{name: x, cluster: {certificate-authority-data: '!!'}}]"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, refs := kubeconfigCertificates(certSource{component: APIServer}, "/k.conf", data)
		for _, r := range recs {
			if r.Cert == nil && r.Err == "" {
				t.Fatalf("a record with neither a certificate nor an error: %+v", r)
			}
			if strings.Contains(r.Err, "PRIVATE KEY") || strings.Contains(r.where(), "client-key") {
				t.Fatalf("key data in %+v", r)
			}
		}
		for _, p := range refs {
			if !strings.HasPrefix(p, "/") {
				t.Fatalf("reference %q is not absolute", p)
			}
		}
	})
}
