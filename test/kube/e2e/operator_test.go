package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

var (
	openReports        = schema.GroupVersionResource{Group: "openreports.io", Version: "v1alpha1", Resource: "reports"}
	openClusterReports = schema.GroupVersionResource{Group: "openreports.io", Version: "v1alpha1", Resource: "clusterreports"}
)

const operatorNS = "moat-system"

// syncBuffer is a bytes.Buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// operatorProc is `moat serve operator` running against the test's API server.
type operatorProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	health string
	done   chan struct{}
}

// startOperator runs the operator with the chart's own arguments that matter here,
// a kubeconfig and a loopback health port, and waits until its caches are synced.
func startOperator(t *testing.T, kubeconfig string, extra ...string) *operatorProc {
	t.Helper()
	port := freePort(t)
	p := &operatorProc{stderr: &syncBuffer{}, health: fmt.Sprintf("http://127.0.0.1:%d", port), done: make(chan struct{})}
	args := append([]string{"serve", "operator", "--kubeconfig", kubeconfig, "--lease-namespace", operatorNS,
		"--health-addr", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-addr", "", "--log-level", "debug"}, extra...)
	p.cmd = exec.Command(tool(t, "moat"), args...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.health + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("the operator exited: %v\n%s", p.cmd.ProcessState, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the operator is not ready after 60 s\n%s", p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *operatorProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *operatorProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// installChart renders deploy/charts/moat as Helm does, with Moat's loader, into
// namespace moat-system and applies it.
func installChart(t *testing.T, c *kubetest.Cluster, set ...string) []*unstructured.Unstructured {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(c.RESTConfig())
	ensureNamespace(t, cs, operatorNS)
	args := []string{"-n", operatorNS}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	objs := render(t, append(args, "deploy/charts/moat")...)
	create(t, c.RESTConfig(), objs)
	return objs
}

// operatorKubeconfig is a kubeconfig with a TokenRequest token of the chart's operator
// service account: the test proves that the chart's RBAC is enough.
func operatorKubeconfig(t *testing.T, c *kubetest.Cluster) string {
	t.Helper()
	cfg, err := c.ServiceAccountConfig(context.Background(), operatorNS, "moat-operator")
	if err != nil {
		t.Fatal(err)
	}
	return kubeconfigFor(t, cfg)
}

// reportResult is one result of a Moat report, as the tests compare it.
type reportResult struct {
	Policy, Result, Resource, Message string
}

func (r reportResult) String() string {
	return fmt.Sprintf("%s %s %s: %s", r.Result, r.Policy, r.Resource, r.Message)
}

// readMoatReports returns the results of every part of every Moat report (namespace "" and
// the cluster report when ns is "*").
func readMoatReports(t *testing.T, dyn dynamic.Interface, ns string) []reportResult {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=moat"}
	var items []unstructured.Unstructured
	if ns == "*" {
		l, err := dyn.Resource(openReports).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, l.Items...)
		cl, err := dyn.Resource(openClusterReports).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, cl.Items...)
	} else {
		l, err := dyn.Resource(openReports).Namespace(ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		items = l.Items
	}
	var out []reportResult
	for _, it := range items {
		results, _, _ := unstructured.NestedSlice(it.Object, "results")
		for _, r := range results {
			m, _ := r.(map[string]any)
			rr := reportResult{Policy: str(m["policy"]), Result: str(m["result"]), Message: str(m["message"])}
			if res, _ := m["resources"].([]any); len(res) > 0 {
				ref, _ := res[0].(map[string]any)
				rr.Resource = resource{Kind: str(ref["kind"]), Namespace: str(ref["namespace"]), Name: str(ref["name"])}.String()
			}
			out = append(out, rr)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func has(rs []reportResult, policy, resource string) bool {
	return slices.ContainsFunc(rs, func(r reportResult) bool {
		return r.Policy == policy && r.Resource == resource && r.Result == "fail"
	})
}

// waitFor polls cond every 20 ms until it holds or the timeout passes, and returns
// how long it took.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// scanFailures is what `moat scan --cluster` finds, as report results.
func scanFailures(t *testing.T, kubeconfig string) []reportResult {
	t.Helper()
	rep, _ := scanJSON(t, []int{0, 1}, "--cluster", "--kubeconfig", kubeconfig)
	var out []reportResult
	for _, f := range rep.Findings {
		out = append(out, reportResult{Policy: f.RuleID, Result: "fail", Resource: f.Resource.String(), Message: f.Message})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func failures(rs []reportResult) []reportResult {
	return slices.DeleteFunc(slices.Clone(rs), func(r reportResult) bool { return r.Result != "fail" })
}

// diff describes how two sorted result lists differ.
func diff(a, b []reportResult) string {
	var only []string
	inB := map[string]bool{}
	for _, r := range b {
		inB[r.String()] = true
	}
	inA := map[string]bool{}
	for _, r := range a {
		inA[r.String()] = true
		if !inB[r.String()] {
			only = append(only, "only in the reports: "+r.String())
		}
	}
	for _, r := range b {
		if !inA[r.String()] {
			only = append(only, "only in the scan:    "+r.String())
		}
	}
	return strings.Join(only, "\n")
}

func privilegedDeployment(ns, name string, privileged bool) *appsv1.Deployment {
	d := newDeployment(ns, name, 1, map[string]string{"app": name}, corev1.PodSpec{
		Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1.0",
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(privileged)}}},
	})
	return d
}

// TestOperator installs the chart on a real API server and runs the operator as a
// process with a token of the chart's own service account. It checks that the reports
// follow the cluster: a privileged Deployment's failure appears in its namespace's
// Report and goes when fixed; a deleted namespace's Report goes; a RoleBinding that
// opens an escalation path changes the report of its namespace; after all of it the
// reports hold what `moat scan --cluster` finds. It measures the time from a change to
// the report over 200 changes, and checks that a permission taken from the chart's role
// is a clear error in the cluster report.
func TestOperator(t *testing.T) {
	ctx := context.Background()
	c := kubetest.Start(t, kubetest.WithControllerManager())
	admin := c.RESTConfig()
	cs := kubernetes.NewForConfigOrDie(admin)
	dyn := dynamic.NewForConfigOrDie(admin)
	installChart(t, c)
	create(t, admin, render(t, "examples/shop"))
	kc := operatorKubeconfig(t, c)
	metricsTLS := metricsFlags(t, c)
	op := startOperator(t, kc, metricsTLS.args...)

	waitFor(t, "the cluster report is written", 30*time.Second, func() bool {
		_, err := dyn.Resource(openClusterReports).Get(ctx, "moat-cluster", metav1.GetOptions{})
		return err == nil
	})
	waitFor(t, "the shop's report shows its privileged DaemonSet", 30*time.Second, func() bool {
		return has(readMoatReports(t, dyn, "shop"), "pod/privileged-container", "DaemonSet/shop/log-shipper")
	})

	ensureNamespace(t, cs, "team-a")
	ensureNamespace(t, cs, "team-b")
	deployments := cs.AppsV1().Deployments("team-a")
	t.Run("a privileged Deployment fails, and passes once fixed", func(t *testing.T) {
		if _, err := deployments.Create(ctx, privilegedDeployment("team-a", "web", true), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		took := waitFor(t, "team-a's report shows the privileged Deployment", 10*time.Second, func() bool {
			return has(readMoatReports(t, dyn, "team-a"), "pod/privileged-container", "Deployment/team-a/web")
		})
		t.Logf("reported in %s", took)
		d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = ptr.To(false)
		if _, err := deployments.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the fixed Deployment's failure is gone", 10*time.Second, func() bool {
			return !has(readMoatReports(t, dyn, "team-a"), "pod/privileged-container", "Deployment/team-a/web")
		})
	})

	t.Run("a RoleBinding that opens an escalation path changes the report of its namespace", func(t *testing.T) {
		before := readMoatReports(t, dyn, "team-b")
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "team-a-admins", Namespace: "team-b"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "admin"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: "team-a"}},
		}
		if _, err := cs.RbacV1().RoleBindings("team-b").Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "team-b's report names the RoleBinding", 10*time.Second, func() bool {
			return slices.ContainsFunc(readMoatReports(t, dyn, "team-b"), func(r reportResult) bool {
				return r.Resource == "RoleBinding/team-b/team-a-admins" && r.Result == "fail"
			})
		})
		after := readMoatReports(t, dyn, "team-b")
		t.Logf("team-b's report: %d results before, %d after:\n%s", len(before), len(after), diff(after, before))
		if slices.ContainsFunc(readMoatReports(t, dyn, "team-a"), func(r reportResult) bool { return strings.Contains(r.Resource, "team-a-admins") }) {
			t.Error("team-a's report names team-b's RoleBinding")
		}
	})

	t.Run("reaction time over 200 changes", func(t *testing.T) {
		if _, err := deployments.Create(ctx, privilegedDeployment("team-a", "flip", false), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		var times []time.Duration
		for i := range 200 {
			privileged := i%2 == 0
			d, err := deployments.Get(ctx, "flip", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			d.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = ptr.To(privileged)
			if _, err := deployments.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			times = append(times, waitFor(t, fmt.Sprintf("change %d reported", i), 20*time.Second, func() bool {
				return has(readMoatReports(t, dyn, "team-a"), "pod/privileged-container", "Deployment/team-a/flip") == privileged
			}))
		}
		slices.Sort(times)
		p50, p99 := times[len(times)/2], times[len(times)*99/100]
		t.Logf("change to report over %d changes: p50 %s, p99 %s, max %s (the report is polled every 20 ms)", len(times), p50, p99, times[len(times)-1])
		if p50 > time.Second || p99 > 3*time.Second {
			t.Errorf("p50 %s, p99 %s: want at most 1 s and 3 s", p50, p99)
		}
	})

	t.Run("a deleted namespace's report is gone", func(t *testing.T) {
		if err := cs.CoreV1().Namespaces().Delete(ctx, "team-a", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "team-a's report is gone", 60*time.Second, func() bool {
			_, err := dyn.Resource(openReports).Namespace("team-a").Get(ctx, "moat-team-a", metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		})
	})

	t.Run("the reports hold what moat scan --cluster finds", func(t *testing.T) {
		n := waitReportsMatchScan(t, dyn, kubeconfigFor(t, admin), 20*time.Second)
		t.Logf("%d failing results, the same as the scan's findings", n)
	})

	t.Run("metrics are served over TLS, to clients with a certificate only", func(t *testing.T) {
		body := metricsTLS.scrape(t, true)
		for _, want := range []string{`moat_findings_by_namespace{namespace="shop",severity="critical"}`, "moat_operator_reconcile_duration_seconds_bucket", "moat_operator_leader 1"} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics has no %s", want)
			}
		}
		metricsTLS.scrape(t, false)
	})

	t.Run("a permission taken from the chart's role is a clear error", func(t *testing.T) {
		op.stop()
		roles := cs.RbacV1().ClusterRoles()
		role, err := roles.Get(ctx, "moat-operator", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		kept := slices.DeleteFunc(slices.Clone(role.Rules), func(r rbacv1.PolicyRule) bool { return slices.Contains(r.Resources, "secrets") })
		if len(kept) == len(role.Rules) {
			t.Fatal("the chart's ClusterRole has no rule on secrets")
		}
		role.Rules = kept
		if _, err := roles.Update(ctx, role, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		startOperator(t, kc)
		waitFor(t, "the cluster report says secrets could not be read", 30*time.Second, func() bool {
			return slices.ContainsFunc(readMoatReports(t, dyn, "*"), func(r reportResult) bool {
				return r.Result == "error" && strings.Contains(r.Message, "secrets") && strings.Contains(r.Message, "missing RBAC")
			})
		})
	})
}

// TestOperatorFailover runs two operator replicas; while a stream of changes goes on,
// the leader is killed (no chance to release its Lease). Once the Lease passes to the
// other replica, the reports must equal a fresh `moat scan --cluster`: no update lost,
// none left over.
func TestOperatorFailover(t *testing.T) {
	ctx := context.Background()
	c := kubetest.Start(t, kubetest.WithControllerManager())
	admin := c.RESTConfig()
	cs := kubernetes.NewForConfigOrDie(admin)
	dyn := dynamic.NewForConfigOrDie(admin)
	installChart(t, c)
	kc := operatorKubeconfig(t, c)
	lease := []string{"--lease-duration", "4s", "--lease-renew-deadline", "3s", "--lease-retry-period", "500ms"}
	ops := []*operatorProc{startOperator(t, kc, lease...), startOperator(t, kc, lease...)}

	leader := func() *operatorProc {
		l, err := cs.CoordinationV1().Leases(operatorNS).Get(ctx, "moat-operator", metav1.GetOptions{})
		if err != nil || l.Spec.HolderIdentity == nil {
			return nil
		}
		for _, p := range ops {
			if strings.HasSuffix(*l.Spec.HolderIdentity, fmt.Sprintf("_%d", p.cmd.Process.Pid)) {
				return p
			}
		}
		return nil
	}
	var first *operatorProc
	waitFor(t, "a replica leads", 30*time.Second, func() bool { first = leader(); return first != nil })

	ensureNamespace(t, cs, "stream")
	deployments := cs.AppsV1().Deployments("stream")
	const changes = 60
	for i := range changes {
		if i == changes/3 {
			first.kill()
			t.Logf("killed the leader (pid %d) after %d changes", first.cmd.Process.Pid, i)
		}
		name := fmt.Sprintf("app-%d", i%10)
		d, err := deployments.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = deployments.Create(ctx, privilegedDeployment("stream", name, i%3 == 0), metav1.CreateOptions{})
		case err == nil:
			d.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = ptr.To(i%3 == 0)
			_, err = deployments.Update(ctx, d, metav1.UpdateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if err := deployments.Delete(ctx, fmt.Sprintf("app-%d", (i+5)%10), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := waitFor(t, "the other replica leads", 30*time.Second, func() bool { l := leader(); return l != nil && l != first })
	t.Logf("the lease passed within %s of the last change", took)

	n := waitReportsMatchScan(t, dyn, kubeconfigFor(t, admin), 30*time.Second)
	t.Logf("after the failover the reports hold the %d findings of a fresh scan", n)
}

// waitReportsMatchScan waits until the failing results of the reports are the findings
// of a fresh `moat scan --cluster` (the reports may lag a change by a reconcile), and
// returns how many there are.
func waitReportsMatchScan(t *testing.T, dyn dynamic.Interface, adminKC string, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, want := failures(readMoatReports(t, dyn, "*")), scanFailures(t, adminKC)
		last := diff(got, want)
		if last == "" {
			return len(got)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reports differ from a fresh scan:\n%s", last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// metricsTLS is the metrics server's TLS setup of a test: a serving certificate of the
// cluster's CA, and clients must present a certificate of that CA.
type metricsTLS struct {
	args   []string
	url    string
	client *tls.Config
}

func metricsFlags(t *testing.T, c *kubetest.Cluster) metricsTLS {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM, err := c.IssueServingCert("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	user, err := c.UserConfig("prometheus")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(user.CertData, user.KeyData)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.CACert())
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	return metricsTLS{
		args:   []string{"--metrics-addr", addr, "--tls-cert", cert, "--tls-key", key, "--client-ca", c.CAFile()},
		url:    "https://" + addr + "/metrics",
		client: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}},
	}
}

// scrape gets /metrics with the client certificate, or checks that without it the
// server refuses.
func (m metricsTLS) scrape(t *testing.T, withCert bool) string {
	t.Helper()
	cfg := m.client.Clone()
	if !withCert {
		cfg.Certificates = nil
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	resp, err := hc.Get(m.url)
	if !withCert {
		if err == nil {
			resp.Body.Close()
			t.Fatalf("a client without a certificate got %s", resp.Status)
		}
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s %v", resp.Status, err)
	}
	return string(b)
}
