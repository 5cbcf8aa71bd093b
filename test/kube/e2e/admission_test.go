package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// webhookProc is one `moat serve admission` process on loopback.
type webhookProc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	url    string
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startWebhook runs the webhook with this config and waits until /readyz answers.
func startWebhook(t *testing.T, c *kubetest.Cluster, dir string, port int, config string, extra ...string) *webhookProc {
	t.Helper()
	certPEM, keyPEM, err := c.IssueServingCert("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, cfgFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "moat.yaml")
	for f, data := range map[string][]byte{certFile: certPEM, keyFile: keyPEM, cfgFile: []byte(config)} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := &webhookProc{stderr: &bytes.Buffer{}, url: fmt.Sprintf("https://127.0.0.1:%d", port)}
	p.cmd = exec.Command(tool(t, "moat"), append([]string{"serve", "admission", "--addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--tls-cert", certFile, "--tls-key", keyFile, "--config", cfgFile}, extra...)...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.CACert())
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook not ready: %v\n%s", err, p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *webhookProc) stop() {
	if p.cmd.Process != nil && p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	}
}

// warnings collects the warnings the API server returns.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

// printedWebhookConfiguration is the ValidatingWebhookConfiguration that
// `moat serve admission --print-manifests` prints, pointed at url on loopback.
func printedWebhookConfiguration(t *testing.T, url string, caBundle []byte) *admissionregistrationv1.ValidatingWebhookConfiguration {
	t.Helper()
	r := moat(t, "serve", "admission", "--print-manifests")
	if r.code != 0 {
		t.Fatalf("--print-manifests: exit %d\n%s", r.code, r.stderr)
	}
	for _, u := range decodeObjects(t, strings.NewReader(r.stdout)) {
		if u.GetKind() != "ValidatingWebhookConfiguration" {
			continue
		}
		var vwc admissionregistrationv1.ValidatingWebhookConfiguration
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &vwc); err != nil {
			t.Fatal(err)
		}
		vwc.Annotations = nil // no cert-manager here
		for i := range vwc.Webhooks {
			vwc.Webhooks[i].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle}
		}
		return &vwc
	}
	t.Fatal("no ValidatingWebhookConfiguration in the printed manifests")
	return nil
}

func pod(ns, name string, mutate func(*corev1.Pod)) *corev1.Pod {
	no, yes := false, true
	uid := int64(10001)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: &no,
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{
				Name:            "app",
				Image:           "registry.example.com/app@sha256:4f0a0b1e0d9c8b7a6f5e4d3c2b1a09182736455463728190a1b2c3d4e5f60718",
				ImagePullPolicy: corev1.PullIfNotPresent,
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: kresource.MustParse("100m"), corev1.ResourceMemory: kresource.MustParse("64Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: kresource.MustParse("500m"), corev1.ResourceMemory: kresource.MustParse("128Mi")},
				},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		},
	}
	if mutate != nil {
		mutate(p)
	}
	return p
}

func ensureNamespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	// No service-account controller runs: make the default ServiceAccount pods name.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: name}}
	if _, err := cs.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// eventuallyNil retries f until it returns nil or 30 s pass: webhook and policy
// configurations take a moment to reach the API server's admission chain.
func eventuallyNil(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAdmissionWebhook registers `moat serve admission` with a real kube-apiserver by
// URL on loopback, then checks its verdicts, replays the Pod Security fixtures of
// k8s.io/pod-security-admission through it, and then through the exported
// ValidatingAdmissionPolicies with the webhook removed.
func TestAdmissionWebhook(t *testing.T) {
	c := kubetest.Start(t)
	cfg := c.RESTConfig()
	warn := &warnings{}
	cfg.WarningHandler = warn
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	port := freePort(t)
	wh := startWebhook(t, c, dir, port, `
admission:
  rules:
    image/latest-tag: warn
  exempt:
    namespaces: [kube-system, moat-system, legacy]
`)
	vwc := printedWebhookConfiguration(t, wh.url+"/validate", c.CACert())
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the printed ValidatingWebhookConfiguration is refused: %v", err)
	}
	for _, ns := range []string{"shop", "legacy"} {
		ensureNamespace(t, cs, ns)
	}
	privileged := func(p *corev1.Pod) {
		yes := true
		p.Spec.Containers[0].SecurityContext.Privileged = &yes
		p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil // privileged implies it
	}
	var denial error
	eventuallyNil(t, "the webhook never denied a privileged pod", func() error {
		_, denial = cs.CoreV1().Pods("shop").Create(ctx, pod("shop", "root-shell", privileged), metav1.CreateOptions{})
		if denial == nil {
			_ = cs.CoreV1().Pods("shop").Delete(ctx, "root-shell", metav1.DeleteOptions{})
			return fmt.Errorf("admitted")
		}
		return nil
	})

	t.Run("privileged pod denied, naming the rule", func(t *testing.T) {
		msg := denial.Error()
		if !apierrors.IsForbidden(denial) && !strings.Contains(msg, "denied the request") {
			t.Errorf("not a webhook denial: %v", denial)
		}
		for _, want := range []string{"pod/privileged-container", "securityContext.privileged", "Fix:"} {
			if !strings.Contains(msg, want) {
				t.Errorf("denial lacks %q: %s", want, msg)
			}
		}
	})
	t.Run("dry run denied the same", func(t *testing.T) {
		_, err := cs.CoreV1().Pods("shop").Create(ctx, pod("shop", "root-shell-dry", privileged), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil || !strings.Contains(err.Error(), "pod/privileged-container") {
			t.Errorf("dry-run: %v", err)
		}
	})
	t.Run("compliant pod admitted", func(t *testing.T) {
		warn.take()
		if _, err := cs.CoreV1().Pods("shop").Create(ctx, pod("shop", "web", nil), metav1.CreateOptions{}); err != nil {
			t.Fatalf("compliant pod refused: %v", err)
		}
		if w := warn.take(); len(w) > 0 {
			t.Errorf("compliant pod warned: %q", w)
		}
	})
	t.Run("warn-mode rule returns a warning", func(t *testing.T) {
		warn.take()
		latest := func(p *corev1.Pod) {
			p.Spec.Containers[0].Image = "registry.example.com/app:latest"
			p.Spec.Containers[0].ImagePullPolicy = corev1.PullAlways
		}
		if _, err := cs.CoreV1().Pods("shop").Create(ctx, pod("shop", "web-latest", latest), metav1.CreateOptions{}); err != nil {
			t.Fatalf("pod with a warn-mode finding refused: %v", err)
		}
		w := warn.take()
		if !slices.ContainsFunc(w, func(s string) bool { return strings.Contains(s, "[image/latest-tag]") }) {
			t.Errorf("no image/latest-tag warning in %q", w)
		}
	})
	t.Run("exempt namespace admitted", func(t *testing.T) {
		if _, err := cs.CoreV1().Pods("legacy").Create(ctx, pod("legacy", "root-shell", privileged), metav1.CreateOptions{}); err != nil {
			t.Errorf("privileged pod in the exempt namespace refused: %v", err)
		}
	})
	t.Run("a pod cannot exempt itself with moat.dev/ignore", func(t *testing.T) {
		warn.take()
		selfExempt := func(p *corev1.Pod) {
			privileged(p)
			p.Annotations = map[string]string{"moat.dev/ignore": "*", "moat.dev/ignore-reason": "trust me"}
			p.Spec.HostPID, p.Spec.HostNetwork = true, true
		}
		_, err := cs.CoreV1().Pods("shop").Create(ctx, pod("shop", "escape", selfExempt), metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "pod/privileged-container") || !strings.Contains(err.Error(), "pod/host-namespaces") {
			t.Errorf("a self-exempting privileged pod: %v, want it denied naming the rules", err)
		}
		if w := warn.take(); !slices.ContainsFunc(w, func(s string) bool { return strings.Contains(s, "is not honoured at admission") }) {
			t.Errorf("no warning that the annotation was refused in %q", w)
		}
	})
	t.Run("bad Deployment refused at apply time", func(t *testing.T) {
		p := pod("shop", "x", privileged)
		one := int32(1)
		labels := map[string]string{"app": "root"}
		dep := newDeployment("shop", "root", one, labels, p.Spec)
		_, err := cs.AppsV1().Deployments("shop").Create(ctx, dep, metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "pod/privileged-container") || !strings.Contains(err.Error(), "spec.template.spec.containers[0].securityContext.privileged") {
			t.Errorf("privileged Deployment: %v", err)
		}
	})

	root := pssFixtures(t)
	for _, level := range []string{"baseline", "restricted"} {
		t.Run("pss fixtures through the webhook/"+level, func(t *testing.T) {
			wh.stop()
			wh = startWebhook(t, c, t.TempDir(), port, `
admission:
  podSecurity: `+level+`
  severities: {critical: audit, high: audit, medium: audit, low: audit, info: audit}
`)
			replay(t, cs, root, level, "webhook", "admission webhook")
		})
	}

	// The webhook removed, the exported policies applied.
	if err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, vwc.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	wh.stop()
	for _, level := range []string{"baseline", "restricted"} {
		t.Run("pss fixtures through the exported policies/"+level, func(t *testing.T) {
			cfgFile := filepath.Join(t.TempDir(), "moat.yaml")
			os.WriteFile(cfgFile, []byte("admission:\n  podSecurity: "+level+"\n"), 0o600)
			r := moat(t, "vap", "export", "--pss-level", level, "--config", cfgFile)
			if r.code != 0 {
				t.Fatalf("vap export: exit %d\n%s", r.code, r.stderr)
			}
			n := applyPolicies(t, cs, r.stdout)
			t.Logf("%d policies applied", n)
			replay(t, cs, root, level, "vap", "ValidatingAdmissionPolicy")
		})
	}
}

// pssFixtures is test/testdata of the k8s.io/pod-security-admission module the main
// module builds with.
func pssFixtures(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission")
	cmd.Dir = repoPath(t, ".")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m k8s.io/pod-security-admission: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "test", "testdata")
}

func latestPSSVersion(t *testing.T, dir string) string {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(dir, "v1.*"))
	minor := func(p string) int { n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "v1.")); return n }
	sort.Slice(ms, func(i, j int) bool { return minor(ms[i]) < minor(ms[j]) })
	if len(ms) == 0 {
		t.Fatalf("no versions in %s", dir)
	}
	return filepath.Base(ms[len(ms)-1])
}

// replay creates every fixture of a level (latest version) as a Pod: each pass fixture
// must be admitted, each fail fixture denied by the named admission kind.
func replay(t *testing.T, cs kubernetes.Interface, root, level, via, deniedBy string) {
	ctx := context.Background()
	version := latestPSSVersion(t, filepath.Join(root, level))
	// A fail fixture known to be denied shows that the configuration is in effect.
	probeFiles, _ := filepath.Glob(filepath.Join(root, level, version, "fail", "*.yaml"))
	if len(probeFiles) == 0 {
		t.Fatal("no fail fixtures")
	}
	counts := map[string]int{}
	var invalid []string
	for _, outcome := range []string{"fail", "pass"} {
		ns := fmt.Sprintf("pss-%s-%s-%s", via, level, outcome)
		ensureNamespace(t, cs, ns)
		files, _ := filepath.Glob(filepath.Join(root, level, version, outcome, "*.yaml"))
		for i, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			p, ok := obj.(*corev1.Pod)
			if !ok {
				t.Fatalf("%s: a %T, not a Pod", f, obj)
			}
			p.Namespace = ns
			// Fixture names such as capabilities_baseline0 are not valid object names.
			p.Name = strings.ReplaceAll(p.Name, "_", "-")
			create := func() error {
				_, err := cs.CoreV1().Pods(ns).Create(ctx, p.DeepCopy(), metav1.CreateOptions{})
				return err
			}
			if outcome == "fail" && i == 0 {
				eventuallyNil(t, deniedBy+" not in effect", func() error {
					if err := create(); err == nil {
						_ = cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
						return fmt.Errorf("%s admitted", filepath.Base(f))
					}
					return nil
				})
				counts[outcome]++
				continue
			}
			err = create()
			// The API server loads policies and bindings asynchronously, each on its
			// own: the probe above shows one in effect, not all. A fail fixture that is
			// admitted is tried again for a while before it counts as admitted.
			for deadline := time.Now().Add(20 * time.Second); outcome == "fail" && err == nil && time.Now().Before(deadline); {
				_ = cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
				time.Sleep(250 * time.Millisecond)
				err = create()
			}
			name := filepath.Join(level, version, outcome, filepath.Base(f))
			switch {
			case outcome == "pass" && err != nil:
				t.Errorf("%s: refused: %v", name, err)
			case outcome == "fail" && err == nil:
				t.Errorf("%s: admitted", name)
			case outcome == "fail" && apierrors.IsInvalid(err):
				// The API server itself forbids what the fixture shows (procMount
				// Unmasked without a user namespace): admission never sees it.
				invalid = append(invalid, filepath.Base(f))
			case outcome == "fail" && !strings.Contains(err.Error(), deniedBy):
				t.Errorf("%s: refused, but not by the %s: %v", name, deniedBy, err)
			default:
				counts[outcome]++
			}
		}
	}
	t.Logf("%s %s via %s: %d fail fixtures denied by the %s, %d pass fixtures admitted; %d fail fixtures refused by API validation before admission %v",
		level, version, via, counts["fail"], deniedBy, counts["pass"], len(invalid), invalid)
	if len(invalid) > 4 {
		t.Errorf("%d fail fixtures never reached admission", len(invalid))
	}
}

// applyPolicies creates the policies and bindings of a `moat vap export` stream.
func applyPolicies(t *testing.T, cs kubernetes.Interface, stream string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for _, u := range decodeObjects(t, strings.NewReader(stream)) {
		var err error
		switch u.GetKind() {
		case "ValidatingAdmissionPolicy":
			var p admissionregistrationv1.ValidatingAdmissionPolicy
			if err = runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err == nil {
				_, err = cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, &p, metav1.CreateOptions{})
				n++
			}
		case "ValidatingAdmissionPolicyBinding":
			var b admissionregistrationv1.ValidatingAdmissionPolicyBinding
			if err = runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &b); err == nil {
				_, err = cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, &b, metav1.CreateOptions{})
			}
		default:
			t.Fatalf("unexpected %s in the export", u.GetKind())
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("apply %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	return n
}

func newDeployment(ns, name string, replicas int32, labels map[string]string, spec corev1.PodSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
}
