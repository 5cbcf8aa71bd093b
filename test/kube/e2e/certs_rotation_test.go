package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// The objects of the rotation tests: what the Helm chart installs for the webhook.
const (
	rotNamespace = "moat-system"
	rotSecret    = "moat-admission-tls"
	rotService   = "moat-admission"
	rotWebhook   = "moat-admission" // the printed ValidatingWebhookConfiguration's name
	rotOperator  = "moat-operator"  // the service account the rotator runs as
	rotApps      = "rotation-apps"  // where pods are created through the webhook
)

// Lifetimes of the rotation under load: a serving certificate renewed about every
// 0.8 s, a CA (10 lifetimes) about every 17 s, each change given half a second to
// reach the API server and the webhook.
const (
	rotValidity    = 2 * time.Second
	rotRenewBefore = 1200 * time.Millisecond
	rotGrace       = 500 * time.Millisecond
)

// TestWebhookCertificateRotation runs the operator's certificate Rotator (as the
// certrotate command, with a token of a service account that holds only the RBAC it
// needs) against a real API server that calls `moat serve admission` for every pod
// created, failurePolicy Fail, by URL on loopback. The Secret is copied to the
// webhook's files as the kubelet does (an atomic swap of a ..data symlink), each
// version after a delay of up to 0.8 grace periods. While two CA rotations and dozens
// of serving-certificate renewals happen, pods are created without pause and fresh TLS
// handshakes are checked against the caBundle as the API server holds it: neither may
// fail once. Then, with long lifetimes: a restarted rotator writes nothing, and a
// Secret edited to garbage is reissued while the CA of the certificate still served
// stays trusted for a grace period.
func TestWebhookCertificateRotation(t *testing.T) {
	c := kubetest.Start(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	port := freePort(t)
	url := fmt.Sprintf("https://127.0.0.1:%d/validate", port)
	kubeconfig := kubeconfigFor(t, setUpRotationObjects(t, c, cs, url))

	rot := startRotator(t, kubeconfig, "--cert-validity", rotValidity.String(), "--cert-renew-before", rotRenewBefore.String(),
		"--cert-grace", rotGrace.String())
	first := rotWaitForCert(t, cs)
	files := newRotVolume(t, t.TempDir())
	files.apply(t, first)
	wh := startRotationWebhook(t, port, files, first.Data["ca.crt"])

	var admitted atomic.Int64
	eventuallyNil(t, "the API server never admitted through the webhook", func() error {
		_, err := cs.CoreV1().Pods(rotApps).Create(ctx, pod(rotApps, "first", nil), metav1.CreateOptions{})
		if err == nil {
			admitted.Add(1)
		}
		return err
	})

	// Three loops under one context: the kubelet's copy, the pod creators, the prober.
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	kubelet := &kubeletCopy{files: files, grace: rotGrace}
	wg.Go(func() { kubelet.run(t, runCtx, cs) })
	var failures rotFailures
	for w := range 2 {
		wg.Go(func() {
			for n := 0; runCtx.Err() == nil; n++ {
				name := fmt.Sprintf("w%d-%d", w, n)
				_, err := cs.CoreV1().Pods(rotApps).Create(runCtx, pod(rotApps, name, nil), metav1.CreateOptions{})
				switch {
				case err == nil:
					admitted.Add(1)
				case runCtx.Err() == nil:
					failures.add(name, err)
				}
			}
		})
	}
	probe := &handshakeProbe{addr: fmt.Sprintf("127.0.0.1:%d", port)}
	wg.Go(func() { probe.run(runCtx, cs) })

	start := time.Now()
	deadline := start.Add(50 * time.Second)
	for {
		// Two CA rotations, each finished: the third CA's certificate served and
		// the second CA dropped from the caBundle.
		if kubelet.caRotations() >= 2 && probe.prunes() >= 2 {
			break
		}
		if time.Now().After(deadline) || c.Err() != nil {
			stop()
			wg.Wait()
			t.Fatalf("after %s: %d CA rotations served, %d CA drops seen, want 2 each (cluster: %v)\nrotator:\n%s",
				time.Since(start).Round(time.Second), kubelet.caRotations(), probe.prunes(), c.Err(), rot.logTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(start)
	stop()
	wg.Wait()
	rot.stop()
	wh.stop()
	if log := rot.log.String(); strings.Contains(log, "forbidden") || strings.Contains(log, `"level":"ERROR"`) {
		t.Errorf("the rotator met errors (its RBAC is get, update, list and watch of the two objects by name):\n%s", log)
	}

	reloads := strings.Count(wh.stderr.String(), "reloaded TLS certificate")
	keptPrevious := strings.Count(wh.stderr.String(), "keeping the previous TLS certificate")
	t.Logf("rotation under load for %s: %d admissions (%.0f/s), %d failed; %d serving certificates served (%d renewals), %d CA rotations; "+
		"%d fresh handshakes checked against the caBundle, %d failed; caBundle sizes seen %v, %d CA drops; "+
		"webhook reloaded its certificate %d times (%d half-written swaps kept the previous one)",
		elapsed.Round(100*time.Millisecond), admitted.Load(), float64(admitted.Load())/elapsed.Seconds(), failures.count(),
		kubelet.servedCount(), kubelet.servedCount()-1, kubelet.caRotations(),
		probe.ok.Load()+probe.failed.Load(), probe.failed.Load(), probe.bundleSizes(), probe.prunes(), reloads, keptPrevious)

	t.Run("no admission failed during rotation", func(t *testing.T) {
		if n := failures.count(); n > 0 {
			t.Errorf("%d of %d admissions failed; first ones:\n%s", n, n+int(admitted.Load()), failures.first(5))
		}
		if admitted.Load() < 100 {
			t.Errorf("only %d admissions: too few to show anything", admitted.Load())
		}
	})
	t.Run("every fresh handshake verified against the caBundle", func(t *testing.T) {
		if probe.failed.Load() > 0 {
			t.Errorf("%d of %d handshakes failed; first: %s", probe.failed.Load(), probe.ok.Load()+probe.failed.Load(), probe.firstErr())
		}
		if s := probe.bundleSizes(); slices.Max(s) != 2 {
			t.Errorf("caBundle sizes %v: a rotation trusts the new and the old CA, two at most", s)
		}
	})
	t.Run("rotations happened and were served", func(t *testing.T) {
		if kubelet.servedCount() < 10 {
			t.Errorf("%d serving certificates served, want many renewals", kubelet.servedCount())
		}
		if reloads < kubelet.servedCount()/2 {
			t.Errorf("the webhook reloaded %d times for %d certificates", reloads, kubelet.servedCount())
		}
	})
	t.Run("the certificate names the Service and the URL's address", func(t *testing.T) {
		s, err := cs.CoreV1().Secrets(rotNamespace).Get(ctx, rotSecret, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		leaf := rotLeaf(t, s.Data["tls.crt"])
		wantDNS := []string{"moat-admission", "moat-admission.moat-system", "moat-admission.moat-system.svc", "moat-admission.moat-system.svc.cluster.local"}
		if got := slices.Sorted(slices.Values(leaf.DNSNames)); !slices.Equal(got, wantDNS) {
			t.Errorf("DNS names %q, want %q", got, wantDNS)
		}
		if len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) {
			t.Errorf("IP addresses %v, want 127.0.0.1", leaf.IPAddresses)
		}
		if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
			t.Errorf("extended key usage %v, want serverAuth only", leaf.ExtKeyUsage)
		}
	})

	// With long lifetimes, one reconcile at a time.
	long := []string{"--cert-validity", "1h", "--cert-renew-before", "20m", "--cert-grace", "2s"}
	once := func(t *testing.T) (next time.Duration, log string) {
		t.Helper()
		r := execute(t, certrotateTool(t), append(rotatorArgs(kubeconfig), append(long, "--once")...)...)
		if r.code != 0 {
			t.Fatalf("certrotate --once: exit %d\n%s", r.code, r.stderr)
		}
		secs, err := strconv.ParseFloat(strings.TrimSpace(r.stdout), 64)
		if err != nil {
			t.Fatalf("certrotate --once printed %q", r.stdout)
		}
		return time.Duration(secs * float64(time.Second)), r.stderr
	}
	// settle reconciles until nothing is left to wait for but the next renewal.
	settle := func(t *testing.T) string {
		t.Helper()
		var logs strings.Builder
		for range 6 {
			next, log := once(t)
			logs.WriteString(log)
			if next > time.Minute {
				return logs.String()
			}
			time.Sleep(next + 50*time.Millisecond)
		}
		t.Fatalf("not settled after 6 reconciles:\n%s", logs.String())
		return ""
	}
	t.Run("longer lifetimes: the short certificates are replaced in order", func(t *testing.T) {
		log := settle(t)
		for _, step := range []string{"issued a new CA", "wrote caBundle", "issued a serving certificate", "dropped CAs"} {
			if !strings.Contains(log, step) {
				t.Errorf("no %q in the log:\n%s", step, log)
			}
		}
		if s := rotBundle(t, cs); len(s) != 1 {
			t.Errorf("caBundle holds %d CAs after settling, want 1", len(s))
		}
	})
	t.Run("a restarted rotator writes nothing", func(t *testing.T) {
		before := rotVersions(t, cs)
		next, log := once(t)
		if after := rotVersions(t, cs); after != before {
			t.Errorf("resource rotVersions %v became %v:\n%s", before, after, log)
		}
		if next < 39*time.Minute || next > 40*time.Minute {
			t.Errorf("next check in %s, want the renewal 40 min after issuance", next)
		}
	})
	t.Run("a Secret edited to garbage is reissued; the old CA stays trusted for a grace period", func(t *testing.T) {
		s, err := cs.CoreV1().Secrets(rotNamespace).Get(ctx, rotSecret, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		oldCA := rotBundle(t, cs)[0]
		for _, k := range []string{"tls.crt", "tls.key", "ca.crt", "ca.key"} {
			s.Data[k] = []byte("edited by hand\n")
		}
		if _, err := cs.CoreV1().Secrets(rotNamespace).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		_, log := once(t)
		for _, want := range []rotLogLine{{"WARN", "issued a new CA", "ca.crt: no PEM certificate"}, {"WARN", "issued a serving certificate", "tls.crt: no PEM certificate"}} {
			if !rotLogged(log, want) {
				t.Errorf("no %+v in the log:\n%s", want, log)
			}
		}
		bundle := rotBundle(t, cs)
		if len(bundle) != 2 || !bundle[1].Equal(oldCA) {
			t.Fatalf("caBundle right after the repair holds %d CAs, want the new one and the one still served", len(bundle))
		}
		s, err = cs.CoreV1().Secrets(rotNamespace).Get(ctx, rotSecret, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		leaf := rotLeaf(t, s.Data["tls.crt"])
		if err := leaf.CheckSignatureFrom(bundle[0]); err != nil {
			t.Errorf("the new certificate is not signed by the new CA: %v", err)
		}
		if _, err := tls.X509KeyPair(s.Data["tls.crt"], s.Data["tls.key"]); err != nil {
			t.Errorf("the reissued pair does not load: %v", err)
		}
		settle(t)
		if bundle := rotBundle(t, cs); len(bundle) != 1 || bundle[0].Equal(oldCA) {
			t.Errorf("after the grace period the caBundle holds %d CAs, want the new one alone", len(bundle))
		}
	})
	t.Run("a deleted Secret is created again, the CA still served trusted beside the new one", func(t *testing.T) {
		served := rotBundle(t, cs)[0]
		if err := cs.CoreV1().Secrets(rotNamespace).Delete(ctx, rotSecret, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// Creating needs "create" on Secrets, which RBAC cannot limit to one name: the
		// chart creates the Secret empty instead, and the admin recreates it here.
		admin := kubeconfigFor(t, c.RESTConfig())
		r := execute(t, certrotateTool(t), append(rotatorArgs(admin), append(long, "--once")...)...)
		if r.code != 0 {
			t.Fatalf("certrotate --once: exit %d\n%s", r.code, r.stderr)
		}
		s, err := cs.CoreV1().Secrets(rotNamespace).Get(ctx, rotSecret, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Type != corev1.SecretTypeTLS {
			t.Errorf("type %q", s.Type)
		}
		if _, err := tls.X509KeyPair(s.Data["tls.crt"], s.Data["tls.key"]); err != nil {
			t.Errorf("the new pair does not load: %v", err)
		}
		if bundle := rotBundle(t, cs); len(bundle) != 2 || !bundle[1].Equal(served) {
			t.Errorf("caBundle holds %d CAs, want the new one and the one still served", len(bundle))
		}
	})
	t.Run("without RBAC on the webhook configuration, a clear error", func(t *testing.T) {
		if err := cs.RbacV1().ClusterRoleBindings().Delete(ctx, rotOperator+"-webhook-ca", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		var r run
		eventuallyNil(t, "the rotator still reads the configuration", func() error {
			r = execute(t, certrotateTool(t), append(rotatorArgs(kubeconfig), append(long, "--once")...)...)
			if r.code == 0 {
				return fmt.Errorf("exit 0")
			}
			return nil
		})
		want := `read ValidatingWebhookConfiguration moat-admission: validatingwebhookconfigurations.admissionregistration.k8s.io "moat-admission" is forbidden`
		if !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", r.code, want, r.stderr)
		}
	})
}

// setUpRotationObjects creates what the chart would: namespaces, the Service, an
// empty TLS Secret, the operator's service account with the least RBAC the rotator
// needs, and the webhook configuration (by URL, no caBundle yet, failurePolicy Fail).
// It returns a config with a token of the service account.
func setUpRotationObjects(t *testing.T, c *kubetest.Cluster, cs kubernetes.Interface, url string) *rest.Config {
	t.Helper()
	ctx := context.Background()
	for _, ns := range []string{rotNamespace, rotApps} {
		ensureNamespace(t, cs, ns)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: rotService, Namespace: rotNamespace},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app.kubernetes.io/name": "moat"},
			Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)}}},
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: rotSecret, Namespace: rotNamespace},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": nil, "tls.key": nil},
	}
	rotMust(t, rotCreate(ctx, cs.CoreV1().Services(rotNamespace).Create, svc))
	rotMust(t, rotCreate(ctx, cs.CoreV1().Secrets(rotNamespace).Create, secret))

	// get/update on the Secret and the configuration, list/watch of them by name
	// (metadata.name field selector); no create, since the Secret exists.
	verbs := []string{"get", "update", "list", "watch"}
	rotMust(t, rotCreate(ctx, cs.RbacV1().Roles(rotNamespace).Create, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: rotOperator + "-certs"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{rotSecret}, Verbs: verbs}},
	}))
	rotMust(t, rotCreate(ctx, cs.RbacV1().RoleBindings(rotNamespace).Create, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: rotOperator + "-certs"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: rotOperator + "-certs"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: rotOperator, Namespace: rotNamespace}},
	}))
	rotMust(t, rotCreate(ctx, cs.RbacV1().ClusterRoles().Create, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: rotOperator + "-webhook-ca"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"admissionregistration.k8s.io"}, Resources: []string{"validatingwebhookconfigurations"},
			ResourceNames: []string{rotWebhook}, Verbs: verbs}},
	}))
	rotMust(t, rotCreate(ctx, cs.RbacV1().ClusterRoleBindings().Create, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: rotOperator + "-webhook-ca"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: rotOperator + "-webhook-ca"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: rotOperator, Namespace: rotNamespace}},
	}))
	operator, err := c.ServiceAccountConfig(ctx, rotNamespace, rotOperator)
	rotMust(t, err)

	// Last: from here on the webhook judges cluster-scoped objects such as the RBAC
	// above, and it has no certificate yet.
	vwc := printedWebhookConfiguration(t, url, nil)
	if vwc.Name != rotWebhook {
		t.Fatalf("the printed webhook configuration is %q, want %q", vwc.Name, rotWebhook)
	}
	fail := admissionregistrationv1.Fail
	for i := range vwc.Webhooks {
		vwc.Webhooks[i].FailurePolicy = &fail
	}
	rotMust(t, rotCreate(ctx, cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create, vwc))
	return operator
}

func rotCreate[T any](ctx context.Context, f func(context.Context, T, metav1.CreateOptions) (T, error), obj T) error {
	_, err := f(ctx, obj, metav1.CreateOptions{})
	return err
}

func rotMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var certrotateBuild struct {
	once sync.Once
	path string
	err  error
}

// certrotateTool builds the Rotator's test command of the main module once.
func certrotateTool(t testing.TB) string {
	t.Helper()
	tool(t, "moat") // the repository root and the tools directory
	certrotateBuild.once.Do(func() {
		certrotateBuild.path = filepath.Join(tools.dir, "certrotate")
		cmd := exec.Command("go", "build", "-o", certrotateBuild.path, "./internal/operator/certs/certrotate")
		cmd.Dir = tools.root
		if out, err := cmd.CombinedOutput(); err != nil {
			certrotateBuild.err = fmt.Errorf("go build certrotate: %v\n%s", err, out)
		}
	})
	if certrotateBuild.err != nil {
		t.Fatal(certrotateBuild.err)
	}
	return certrotateBuild.path
}

func rotatorArgs(kubeconfig string) []string {
	return []string{"--kubeconfig", kubeconfig, "--webhook-configuration", rotWebhook,
		"--webhook-secret", rotNamespace + "/" + rotSecret, "--webhook-service", rotNamespace + "/" + rotService,
		"--cert-extra-san", "127.0.0.1"}
}

// rotatorProc is a running certrotate; its log can be read while it runs.
type rotatorProc struct {
	*webhookProc // for stop
	log          *rotBuffer
}

func startRotator(t *testing.T, kubeconfig string, args ...string) *rotatorProc {
	t.Helper()
	p := &rotatorProc{webhookProc: &webhookProc{stderr: &bytes.Buffer{}}, log: &rotBuffer{}}
	p.cmd = exec.Command(certrotateTool(t), append(rotatorArgs(kubeconfig), args...)...)
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

func (p *rotatorProc) logTail(n int) string {
	lines := strings.Split(strings.TrimSpace(p.log.String()), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// rotBuffer is a bytes.Buffer a process writes while the test reads it.
type rotBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *rotBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *rotBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// rotWaitForCert waits until the rotator has filled the Secret.
func rotWaitForCert(t *testing.T, cs kubernetes.Interface) *corev1.Secret {
	t.Helper()
	var s *corev1.Secret
	eventuallyNil(t, "the rotator never issued a serving certificate", func() error {
		var err error
		s, err = cs.CoreV1().Secrets(rotNamespace).Get(context.Background(), rotSecret, metav1.GetOptions{})
		if err == nil && len(s.Data["tls.crt"]) == 0 {
			err = fmt.Errorf("tls.crt is empty")
		}
		return err
	})
	return s
}

// rotVolume is a directory laid out as the kubelet lays out a Secret volume:
// tls.crt -> ..data/tls.crt, ..data -> a directory per version, swapped atomically.
type rotVolume struct {
	dir     string
	version int
}

func newRotVolume(t *testing.T, dir string) *rotVolume {
	t.Helper()
	for _, k := range []string{"tls.crt", "tls.key"} {
		if err := os.Symlink(filepath.Join("..data", k), filepath.Join(dir, k)); err != nil {
			t.Fatal(err)
		}
	}
	return &rotVolume{dir: dir}
}

func (v *rotVolume) certFile() string { return filepath.Join(v.dir, "tls.crt") }
func (v *rotVolume) keyFile() string  { return filepath.Join(v.dir, "tls.key") }

// apply writes the Secret's keys as a new version and points ..data at it.
func (v *rotVolume) apply(t testing.TB, s *corev1.Secret) {
	v.version++
	name := fmt.Sprintf("..v%d", v.version)
	if err := os.Mkdir(filepath.Join(v.dir, name), 0o700); err != nil {
		t.Error(err)
		return
	}
	for _, k := range []string{"tls.crt", "tls.key"} {
		if err := os.WriteFile(filepath.Join(v.dir, name, k), s.Data[k], 0o600); err != nil {
			t.Error(err)
			return
		}
	}
	tmp := filepath.Join(v.dir, "..data_tmp")
	if err := os.Symlink(name, tmp); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, filepath.Join(v.dir, "..data")); err != nil {
		t.Error(err)
		return
	}
	if v.version > 1 {
		os.RemoveAll(filepath.Join(v.dir, fmt.Sprintf("..v%d", v.version-1)))
	}
}

// startRotationWebhook runs `moat serve admission` on the volume's files and waits
// until it answers over TLS verified by ca.
func startRotationWebhook(t *testing.T, port int, files *rotVolume, ca []byte) *webhookProc {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "moat.yaml")
	if err := os.WriteFile(cfg, []byte("admission:\n  exempt:\n    namespaces: [kube-system, moat-system]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &webhookProc{stderr: &bytes.Buffer{}, url: fmt.Sprintf("https://127.0.0.1:%d", port)}
	p.cmd = exec.Command(tool(t, "moat"), "serve", "admission", "--addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--tls-cert", files.certFile(), "--tls-key", files.keyFile(), "--config", cfg)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	eventuallyNil(t, "the webhook never became ready", func() error {
		conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &tls.Config{RootCAs: pool})
		if err == nil {
			conn.Close()
		}
		return err
	})
	return p
}

// kubeletCopy copies each new version of the Secret to the volume after a delay of
// 0, 0.4 or 0.8 grace periods in turn, as the kubelet would within its refresh period.
type kubeletCopy struct {
	files *rotVolume
	grace time.Duration

	mu     sync.Mutex
	served []*x509.Certificate // in the order they were applied
}

func (k *kubeletCopy) run(t *testing.T, ctx context.Context, cs kubernetes.Interface) {
	type pending struct {
		s   *corev1.Secret
		due time.Time
	}
	var queue []pending
	var last []byte
	seen := 0
	for ctx.Err() == nil {
		s, err := cs.CoreV1().Secrets(rotNamespace).Get(ctx, rotSecret, metav1.GetOptions{})
		if err == nil && !bytes.Equal(s.Data["tls.crt"], last) {
			last = s.Data["tls.crt"]
			lag := time.Duration(seen%3) * 4 * k.grace / 10
			seen++
			queue = append(queue, pending{s, time.Now().Add(lag)})
		}
		// Apply the newest version that is due; older ones are superseded.
		due := -1
		for i, p := range queue {
			if !time.Now().Before(p.due) {
				due = i
			}
		}
		if due >= 0 {
			s := queue[due].s
			queue = queue[due+1:]
			k.files.apply(t, s)
			if leaf, err := x509.ParseCertificate(rotPEMBytes(s.Data["tls.crt"])); err == nil {
				k.mu.Lock()
				k.served = append(k.served, leaf)
				k.mu.Unlock()
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// servedCount is the number of serving certificates the webhook was given.
func (k *kubeletCopy) servedCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.served)
}

// caRotations is the number of times the CA of the served certificate changed.
func (k *kubeletCopy) caRotations() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for i := 1; i < len(k.served); i++ {
		if !bytes.Equal(k.served[i].AuthorityKeyId, k.served[i-1].AuthorityKeyId) {
			n++
		}
	}
	return n
}

// handshakeProbe dials the webhook afresh, trusting the caBundle the API server has.
type handshakeProbe struct {
	addr       string
	ok, failed atomic.Int64

	mu      sync.Mutex
	sizes   []int // the caBundle's number of CAs, each change once
	drops   int
	lastErr error
	lastKey string
}

func (p *handshakeProbe) run(ctx context.Context, cs kubernetes.Interface) {
	for ctx.Err() == nil {
		vwc, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, rotWebhook, metav1.GetOptions{})
		if err != nil {
			continue
		}
		bundle := vwc.Webhooks[0].ClientConfig.CABundle
		p.record(bundle)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(bundle)
		d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}
		conn, err := d.DialContext(ctx, "tcp", p.addr)
		switch {
		case err == nil:
			conn.Close()
			p.ok.Add(1)
		case ctx.Err() == nil:
			p.failed.Add(1)
			p.mu.Lock()
			if p.lastErr == nil {
				p.lastErr = err
			}
			p.mu.Unlock()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *handshakeProbe) record(bundle []byte) {
	key := hex.EncodeToString(bundle)
	p.mu.Lock()
	defer p.mu.Unlock()
	if key == p.lastKey {
		return
	}
	p.lastKey = key
	n := bytes.Count(bundle, []byte("BEGIN CERTIFICATE"))
	if len(p.sizes) > 0 && n < p.sizes[len(p.sizes)-1] {
		p.drops++
	}
	p.sizes = append(p.sizes, n)
}

func (p *handshakeProbe) prunes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.drops
}

func (p *handshakeProbe) bundleSizes() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sizes)
}

func (p *handshakeProbe) firstErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// rotFailures counts failed admissions and keeps the first few.
type rotFailures struct {
	mu     sync.Mutex
	n      int
	oldest []string
}

func (f *rotFailures) add(name string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if len(f.oldest) < 10 {
		f.oldest = append(f.oldest, fmt.Sprintf("%s %s: %v", time.Now().Format("15:04:05.000"), name, err))
	}
}

func (f *rotFailures) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *rotFailures) first(n int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.oldest[:min(n, len(f.oldest))], "\n")
}

func rotPEMBytes(data []byte) []byte {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil
	}
	return b.Bytes
}

func rotLeaf(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(rotPEMBytes(data))
	if err != nil {
		t.Fatalf("tls.crt: %v", err)
	}
	return c
}

// rotBundle is the CAs of the webhook configuration's caBundle.
func rotBundle(t *testing.T, cs kubernetes.Interface) []*x509.Certificate {
	t.Helper()
	vwc, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(context.Background(), rotWebhook, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*x509.Certificate
	rest := vwc.Webhooks[0].ClientConfig.CABundle
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return out
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
}

// rotLogLine is a line of the rotator's JSON log.
type rotLogLine struct {
	Level  string `json:"level"`
	Msg    string `json:"msg"`
	Reason string `json:"reason"`
}

// rotLogged tells whether the log has a line of want's level and message whose reason
// is want's.
func rotLogged(log string, want rotLogLine) bool {
	for line := range strings.Lines(log) {
		var l rotLogLine
		if json.Unmarshal([]byte(line), &l) == nil && l == want {
			return true
		}
	}
	return false
}

// rotVersions are the resource rotVersions of the Secret and the webhook configuration.
func rotVersions(t *testing.T, cs kubernetes.Interface) [2]string {
	t.Helper()
	ctx := context.Background()
	s, err := cs.CoreV1().Secrets(rotNamespace).Get(ctx, rotSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vwc, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, rotWebhook, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return [2]string{s.ResourceVersion, vwc.ResourceVersion}
}
