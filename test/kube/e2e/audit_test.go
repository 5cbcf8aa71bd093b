package e2e

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// auditAlert is the part of a `moat serve audit` alert the test reads.
type auditAlert struct {
	Rule         string   `json:"rule"`
	Severity     string   `json:"severity"`
	Message      string   `json:"message"`
	User         string   `json:"user"`
	Impersonator string   `json:"impersonator"`
	Verb         string   `json:"verb"`
	AuditID      string   `json:"auditID"`
	MITRE        []string `json:"mitre"`
	Object       *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"object"`
}

// TestAuditWebhook runs the real kube-apiserver with `moat audit policy` as its audit
// policy and its audit webhook backend pointed at `moat serve audit` (HTTPS on loopback,
// the API server authenticated by its client certificate), performs attacker actions
// through the API and checks that each raises its alert, while a benign workload raises
// none and a forged event from a client without the certificate is refused.
func TestAuditWebhook(t *testing.T) {
	dir := t.TempDir()

	// The webhook kubeconfig (with the CA of Moat's serving certificate and the API
	// server's client certificate) must exist before the API server starts, and the
	// cluster's CA only exists once it has: both certificates come from a CA of the
	// test's own, which Moat also trusts for client certificates.
	pki := auditCerts(t, "127.0.0.1")
	certFile, keyFile, clientCAFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "client-ca.crt")
	auditWriteFile(t, certFile, pki.certPEM)
	auditWriteFile(t, keyFile, pki.keyPEM)
	auditWriteFile(t, clientCAFile, pki.caPEM)
	alertsFile := filepath.Join(dir, "alerts.jsonl")

	srv := exec.Command(tool(t, "moat"), "serve", "audit", "--addr", "127.0.0.1:0",
		"--tls-cert", certFile, "--tls-key", keyFile, "--client-ca", clientCAFile, "--client-name", "kube-apiserver",
		"--alerts-file", alertsFile, "--no-stdout")
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	logs := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case logs <- sc.Text():
			default:
			}
		}
		close(logs)
	}()
	url := ""
	for url == "" {
		select {
		case line, ok := <-logs:
			if !ok {
				t.Fatal("moat serve audit ended before listening")
			}
			t.Log("moat:", line)
			if m := regexp.MustCompile(`url=(https://\S+/audit)`).FindStringSubmatch(line); m != nil {
				url = m[1]
			}
		case <-time.After(30 * time.Second):
			t.Fatal("moat serve audit did not start listening within 30s")
		}
	}

	// A forged event from a client without the API server's certificate is refused.
	forged := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"kind":"Event","apiVersion":"audit.k8s.io/v1",` +
		`"level":"Request","auditID":"forged","stage":"ResponseComplete","verb":"create","user":{"username":"bob"},` +
		`"objectRef":{"resource":"clusterrolebindings","apiGroup":"rbac.authorization.k8s.io","name":"eve-admin"},"responseStatus":{"code":201},` +
		`"requestObject":{"kind":"ClusterRoleBinding","roleRef":{"kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"eve"}]}}]}`)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pki.caPEM)
	anon := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if resp, err := anon.Post(url, "application/json", bytes.NewReader(forged)); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("forged event without a client certificate: status %d, want 401", resp.StatusCode)
		}
	}

	policy := moat(t, "audit", "policy")
	if policy.code != 0 {
		t.Fatalf("moat audit policy: exit %d\n%s", policy.code, policy.stderr)
	}
	policyFile := filepath.Join(dir, "audit-policy.yaml")
	auditWriteFile(t, policyFile, []byte(policy.stdout))
	webhookFile := filepath.Join(dir, "audit-webhook.kubeconfig")
	auditWriteFile(t, webhookFile, fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: moat
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: kube-apiserver
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: moat
  context: {cluster: moat, user: kube-apiserver}
current-context: moat
`, url, auditB64(pki.caPEM), auditB64(pki.clientCertPEM), auditB64(pki.clientKeyPEM)))

	// The API server refuses to start with a policy it cannot load: starting is the check
	// that it accepts Moat's.
	// The log backend writes the same events (same policy) for `moat audit scan`.
	auditLog := filepath.Join(dir, "audit.log")
	c := kubetest.Start(t, kubetest.WithAPIServerFlags(
		"--audit-policy-file="+policyFile,
		"--audit-webhook-config-file="+webhookFile,
		"--audit-webhook-batch-max-wait=1s",
		"--audit-log-path="+auditLog,
	))
	ctx := t.Context()
	admin := kubernetes.NewForConfigOrDie(c.RESTConfig())

	// --- A benign workload: namespace, service account, restricted deployment, ClusterIP
	// service, plain configmap, a read-only role bound to a user.
	auditMust(t, "benign namespace", func() error {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop",
			Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
		return err
	})
	auditMust(t, "benign service account", func() error {
		_, err := admin.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "web"}}, metav1.CreateOptions{})
		return err
	})
	labels := map[string]string{"app": "web"}
	auditMust(t, "benign deployment", func() error {
		_, err := admin.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{
						ServiceAccountName: "web",
						SecurityContext:    &corev1.PodSecurityContext{RunAsNonRoot: new(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
						Containers: []corev1.Container{{Name: "web", Image: "registry.example.com/shop/web:1.4.2",
							Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
							SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: new(false), ReadOnlyRootFilesystem: new(true),
								Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
					},
				},
			},
		}, metav1.CreateOptions{})
		return err
	})
	auditMust(t, "benign service", func() error {
		_, err := admin.CoreV1().Services("shop").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}, metav1.CreateOptions{})
		return err
	})
	auditMust(t, "benign configmap", func() error {
		_, err := admin.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web-config"},
			Data: map[string]string{"LOG_LEVEL": "info", "DB_HOST": "db.shop.svc"}}, metav1.CreateOptions{})
		return err
	})
	auditMust(t, "benign role", func() error {
		_, err := admin.RbacV1().Roles("shop").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get", "list", "watch"}}}}, metav1.CreateOptions{})
		return err
	})
	auditMust(t, "benign rolebinding", func() error {
		_, err := admin.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "carol-reads-pods"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "pod-reader"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "carol@example.com"}}}, metav1.CreateOptions{})
		return err
	})
	auditMust(t, "benign reads", func() error {
		_, err := admin.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
		return err
	})
	// The benign events reach Moat within a batch wait (1s); none may raise an alert.
	time.Sleep(4 * time.Second)
	if got := auditReadAlerts(t, alertsFile); len(got) > 0 {
		t.Errorf("the benign workload raised %d alerts:", len(got))
		for _, a := range got {
			t.Errorf("  %s: %s", a.Rule, a.Message)
		}
	}

	// --- The attacker's actions.
	auditMust(t, "namespace attack", func() error {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "attack"}}, metav1.CreateOptions{})
		return err
	})
	auditMust(t, "service account attack/default", func() error { // no controller manager here
		_, err := admin.CoreV1().ServiceAccounts("attack").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
		return err
	})
	// 1. A privileged pod.
	auditMust(t, "privileged pod", func() error {
		_, err := admin.CoreV1().Pods("attack").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "root-shell"},
			Spec: corev1.PodSpec{AutomountServiceAccountToken: new(false), Containers: []corev1.Container{{Name: "shell", Image: "alpine:3.20",
				Command: []string{"sleep", "infinity"}, SecurityContext: &corev1.SecurityContext{Privileged: new(true)}}}}}, metav1.CreateOptions{})
		return err
	})
	// 2. A binding to cluster-admin.
	auditMust(t, "cluster-admin binding", func() error {
		_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "mallory-admin"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "mallory@example.com"}}}, metav1.CreateOptions{})
		return err
	})
	// 3. A secret read as an impersonated non-system user.
	auditMust(t, "secret", func() error {
		_, err := admin.CoreV1().Secrets("attack").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-credentials"},
			StringData: map[string]string{"password": "s3cr3t"}}, metav1.CreateOptions{})
		return err
	})
	auditMust(t, "role for dave", func() error {
		_, err := admin.RbacV1().Roles("attack").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "secret-reader"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"db-credentials"}, Verbs: []string{"get"}}}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		_, err = admin.RbacV1().RoleBindings("attack").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dave-reads-secret"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "secret-reader"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "dave@example.com"}}}, metav1.CreateOptions{})
		return err
	})
	asDave := c.RESTConfig()
	asDave.Impersonate = rest.ImpersonationConfig{UserName: "dave@example.com"}
	auditMust(t, "secret read as dave", func() error {
		_, err := kubernetes.NewForConfigOrDie(asDave).CoreV1().Secrets("attack").Get(ctx, "db-credentials", metav1.GetOptions{})
		return err
	})
	// 4. An exec attempt (the pod has no node: the API server answers with an error, but
	// the attempt is what counts).
	execErr := admin.CoreV1().RESTClient().Post().Namespace("attack").Resource("pods").Name("root-shell").SubResource("exec").
		Param("container", "shell").Param("command", "sh").Param("command", "-c").Param("command", "id").Param("stdout", "true").
		Do(ctx).Error()
	t.Logf("exec attempt: %v", execErr)
	// 5. A NodePort service.
	auditMust(t, "nodeport service", func() error {
		_, err := admin.CoreV1().Services("attack").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "backdoor"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": "backdoor"},
				Ports: []corev1.ServicePort{{Port: 22, TargetPort: intstr.FromInt32(22)}}}}, metav1.CreateOptions{})
		return err
	})
	// 6. A webhook configuration created, then changed to fail open.
	vwcs := admin.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	none := admissionregistrationv1.SideEffectClassNone
	fail := admissionregistrationv1.Fail
	url443 := "https://127.0.0.1:1/validate"
	auditMust(t, "webhook configuration", func() error {
		_, err := vwcs.Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "guard"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "guard.example.com", SideEffects: &none, FailurePolicy: &fail,
				AdmissionReviewVersions: []string{"v1"}, ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url443},
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"guarded": "true"}},
				Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{"CREATE"},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{"batch"}, APIVersions: []string{"v1"}, Resources: []string{"cronjobs"}}}}}}}, metav1.CreateOptions{})
		return err
	})
	auditMust(t, "webhook configuration changed", func() error {
		w, err := vwcs.Get(ctx, "guard", metav1.GetOptions{})
		if err != nil {
			return err
		}
		ignore := admissionregistrationv1.Ignore
		w.Webhooks[0].FailurePolicy = &ignore
		_, err = vwcs.Update(ctx, w, metav1.UpdateOptions{})
		return err
	})

	// 7. A stolen identity probing for secrets: refused ten times within a minute.
	eveCfg, err := c.UserConfig("eve@example.com")
	if err != nil {
		t.Fatal(err)
	}
	eve := kubernetes.NewForConfigOrDie(eveCfg)
	for i := range 10 {
		if _, err := eve.CoreV1().Secrets("kube-system").Get(ctx, fmt.Sprintf("token-%d", i), metav1.GetOptions{}); err == nil {
			t.Fatal("eve read a kube-system secret")
		}
	}

	type expect struct {
		what string
		ok   func(auditAlert) bool
	}
	objectIs := func(a auditAlert, resource, ns, name string) bool {
		return a.Object != nil && a.Object.Resource == resource && a.Object.Namespace == ns && a.Object.Name == name
	}
	expects := []expect{
		{"privileged pod", func(a auditAlert) bool {
			return a.Rule == "audit/privileged-container" && objectIs(a, "pods", "attack", "root-shell") && a.User == kubetest.AdminUser
		}},
		{"binding to cluster-admin", func(a auditAlert) bool {
			return a.Rule == "audit/binding-cluster-admin" && objectIs(a, "clusterrolebindings", "", "mallory-admin") && strings.Contains(a.Message, "mallory@example.com")
		}},
		{"secret read by impersonated user", func(a auditAlert) bool {
			return a.Rule == "audit/secret-read-by-user" && objectIs(a, "secrets", "attack", "db-credentials") && a.User == "dave@example.com" && a.Impersonator == kubetest.AdminUser
		}},
		{"impersonation", func(a auditAlert) bool {
			return a.Rule == "audit/impersonation" && a.User == "dave@example.com" && a.Impersonator == kubetest.AdminUser
		}},
		{"exec attempt", func(a auditAlert) bool {
			return a.Rule == "audit/pod-exec" && objectIs(a, "pods", "attack", "root-shell") && a.Object.Subresource == "exec" && strings.Contains(a.Message, "sh -c id")
		}},
		{"shell in exec", func(a auditAlert) bool {
			return a.Rule == "audit/pod-exec-shell" && objectIs(a, "pods", "attack", "root-shell")
		}},
		{"NodePort service", func(a auditAlert) bool {
			return a.Rule == "audit/nodeport-service" && objectIs(a, "services", "attack", "backdoor")
		}},
		{"webhook configuration created", func(a auditAlert) bool {
			return a.Rule == "audit/validating-webhook-changed" && a.Verb == "create" && objectIs(a, "validatingwebhookconfigurations", "", "guard")
		}},
		{"secret access denied", func(a auditAlert) bool {
			return a.Rule == "audit/secret-access-denied" && a.User == "eve@example.com" && objectIs(a, "secrets", "kube-system", "token-0")
		}},
		{"repeated forbidden requests", func(a auditAlert) bool {
			return a.Rule == "audit/repeated-forbidden" && a.User == "eve@example.com" && objectIs(a, "secrets", "kube-system", "token-9")
		}},
		{"webhook configuration changed", func(a auditAlert) bool {
			return a.Rule == "audit/validating-webhook-changed" && a.Verb == "update" && objectIs(a, "validatingwebhookconfigurations", "", "guard")
		}},
	}
	var alerts []auditAlert
	deadline := time.Now().Add(60 * time.Second)
	missing := expects
	for len(missing) > 0 && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		alerts = auditReadAlerts(t, alertsFile)
		missing = missing[:0:0]
		for _, e := range expects {
			found := false
			for _, a := range alerts {
				found = found || e.ok(a)
			}
			if !found {
				missing = append(missing, e)
			}
		}
	}
	for _, e := range missing {
		t.Errorf("no alert for the %s", e.what)
	}
	for _, a := range alerts {
		t.Logf("alert %s [%s] %s (audit ID %s, MITRE %v)", a.Rule, a.Severity, a.Message, a.AuditID, a.MITRE)
		if a.AuditID == "" || len(a.MITRE) == 0 || a.User == "" {
			t.Errorf("alert misses fields: %+v", a)
		}
		if a.Object != nil && a.Object.Namespace == "shop" {
			t.Errorf("alert on the benign workload: %s: %s", a.Rule, a.Message)
		}
	}
	if t.Failed() {
		for _, l := range auditDrain(logs) {
			t.Log("moat:", l)
		}
	}

	// Offline, over the API server's audit log (JSON lines), `moat audit scan` finds the
	// same alerts for the same requests.
	if dst := os.Getenv("MOAT_AUDIT_LOG_COPY"); dst != "" { // to refresh real-event fixtures
		if b, err := os.ReadFile(auditLog); err == nil {
			os.WriteFile(dst, b, 0o600)
		}
	}
	scanned := moat(t, "audit", "scan", "--fail-on", "critical", auditLog)
	if scanned.code != 1 {
		t.Errorf("moat audit scan %s: exit %d, want 1 (critical alerts)\n%s", auditLog, scanned.code, scanned.stderr)
	}
	offline := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(scanned.stdout), "\n") {
		var a auditAlert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("moat audit scan output %q: %v", line, err)
		}
		offline[a.Rule+" "+a.AuditID] = true
	}
	for _, a := range alerts {
		if !offline[a.Rule+" "+a.AuditID] {
			t.Errorf("moat audit scan over the audit log lacks %s for audit ID %s", a.Rule, a.AuditID)
		}
	}
	if len(offline) != len(alerts) {
		t.Errorf("moat audit scan: %d alerts, the webhook receiver %d\n%s", len(offline), len(alerts), scanned.stdout)
	}

	// SIGTERM drains and stops cleanly, reporting its counters.
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("moat serve audit after SIGTERM: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Error("moat serve audit did not stop within 40s of SIGTERM")
	}
	var stopped string
	for _, l := range auditDrain(logs) {
		if strings.Contains(l, "msg=stopped") {
			stopped = l
		}
	}
	t.Log("moat:", stopped)
	// The one refused request is the forged event; every batch of the API server was taken.
	if !strings.Contains(stopped, "dropped=0") || !strings.Contains(stopped, "rejected=0") || !strings.Contains(stopped, "refused=1 ") {
		t.Errorf("final counters: %q", stopped)
	}
}

func auditDrain(logs chan string) []string {
	var out []string
	for {
		select {
		case l, ok := <-logs:
			if !ok {
				return out
			}
			out = append(out, l)
		case <-time.After(200 * time.Millisecond):
			return out
		}
	}
}

func auditReadAlerts(t *testing.T, path string) []auditAlert {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []auditAlert
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var a auditAlert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("alert line %q: %v", line, err)
		}
		out = append(out, a)
	}
	return out
}

func auditMust(t *testing.T, what string, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func auditWriteFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func auditB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// auditPKI is a CA, a serving certificate for Moat signed by it, and a client
// certificate for the API server (CN kube-apiserver) signed by it.
type auditPKI struct {
	caPEM, certPEM, keyPEM, clientCertPEM, clientKeyPEM []byte
}

// auditCerts makes a CA, a serving certificate for host and a client certificate, both
// signed by it.
func auditCerts(t *testing.T, host string) auditPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "moat-e2e-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(tmpl *x509.Certificate) (certPEM, keyPEM []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	}
	p := auditPKI{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	p.certPEM, p.keyPEM = issue(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP(host)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	p.clientCertPEM, p.clientKeyPEM = issue(&x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return p
}
