package e2e

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// TestReportCommand reads reports from a real API server with `moat report`, as a
// person does after installing the chart: the report CRDs of deploy/charts/moat/crds,
// reports written by hand as the operator writes them (testdata/report-cmd: a report in
// two parts, an empty one, one missing a part, an older PolicyReport), and the command run as moat and as
// the kubectl plugin. It checks the table, the JSON, and each exit code.
func TestReportCommand(t *testing.T) {
	c := kubetest.Start(t)
	ctx := t.Context()
	admin := kubernetes.NewForConfigOrDie(c.RESTConfig())
	applyReportCRDs(t, dynamic.NewForConfigOrDie(c.RESTConfig()))
	for _, ns := range []string{"shop", "clean", "legacy", "empty", "torn"} {
		if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join("testdata", "report-cmd", "reports.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := create(t, c.RESTConfig(), decodeObjects(t, f)); n != 4 {
		t.Fatalf("created %d reports, want 4", n)
	}
	kc := kubeconfigFor(t, c.RESTConfig())

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   []string // in the output, in this order
		absent   []string
		stderr   string
		jsonWant int // findings in -o json; -1: not JSON
	}{
		{
			name: "both parts of a namespace's report, as a table",
			args: []string{"-n", "shop"}, code: 1, jsonWant: -1,
			stdout: []string{
				"Deployment/shop/cart", "CRITICAL  pod/privileged-container", `container "app" sets securityContext.privileged=true`,
				"Deployment/shop/worker", "LOW       pod/cpu-limits-missing", `container "worker" has no resources.limits.cpu`,
				"2 findings (1 critical, 1 low), 1 suppressed",
			},
			absent: []string{"run-as-non-root"},
		},
		{
			name: "the suppressed result on request",
			args: []string{"-n", "shop", "--show-suppressed"}, code: 1, jsonWant: -1,
			stdout: []string{"MEDIUM    pod/run-as-non-root  (suppressed)", "suppressed by annotation: vendor image, TICKET-9"},
		},
		{
			name: "the findings as JSON, the suppressed one left out as moat scan leaves it",
			args: []string{"-n", "shop", "-o", "json"}, code: 1, jsonWant: 2,
		},
		{
			name: "a gate the failing results reach",
			args: []string{"-n", "shop", "--fail-on", "critical"}, code: 1, jsonWant: -1,
			stdout: []string{"CRITICAL  pod/privileged-container"},
		},
		{
			name: "a gate above every failing result: printed, and exit 0",
			args: []string{"-n", "legacy", "--fail-on", "medium"}, code: 0, jsonWant: -1,
			stdout: []string{"Service/legacy/admin", "LOW       svc/node-port"},
		},
		{
			name: "an empty report is clean",
			args: []string{"-n", "clean"}, code: 0, jsonWant: -1,
			stdout: []string{"no findings"},
		},
		{
			name: "the older PolicyReport where no Report exists",
			args: []string{"-n", "legacy"}, code: 1, jsonWant: -1,
			stdout: []string{"Service/legacy/admin", "LOW       svc/node-port"},
		},
		{
			// The cluster has Reports, so the older API is not read: the legacy
			// PolicyReport is not mixed in.
			name: "every namespace",
			args: []string{"-A"}, code: 1, jsonWant: -1,
			stdout: []string{"Deployment/shop/cart", "Deployment/shop/worker"},
			absent: []string{"Service/legacy/admin"},
		},
		{
			name: "every namespace as JSON",
			args: []string{"-A", "-o", "json"}, code: 1, jsonWant: 2,
		},
		{
			name: "a namespace without a report",
			args: []string{"-n", "empty"}, code: 2, jsonWant: -1,
			stderr: `namespace "empty" has no Moat report`,
		},
		{
			name: "the context's namespace when none is given",
			args: nil, code: 2, jsonWant: -1,
			stderr: `namespace "default" has no Moat report`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := moat(t, append([]string{"report", "--kubeconfig", kc}, tc.args...)...)
			checkReportRun(t, r, tc.code, tc.stdout, tc.absent, tc.stderr)
			if tc.jsonWant >= 0 {
				var doc struct {
					Findings []struct {
						RuleID   string `json:"ruleID"`
						Resource struct {
							Namespace string `json:"namespace"`
						} `json:"resource"`
					} `json:"findings"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
					t.Fatalf("-o json: %v\n%s", err, r.stdout)
				}
				if len(doc.Findings) != tc.jsonWant {
					t.Errorf("-o json: %d findings, want %d: %+v", len(doc.Findings), tc.jsonWant, doc.Findings)
				}
			}
		})
	}

	t.Run("a report whose second part does not come", func(t *testing.T) {
		f, err := os.Open(filepath.Join("testdata", "report-cmd", "torn.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		create(t, c.RESTConfig(), decodeObjects(t, f))
		for _, args := range [][]string{{"-n", "torn"}, {"-A"}} {
			r := moat(t, append([]string{"report", "--kubeconfig", kc}, args...)...)
			checkReportRun(t, r, 2, nil, nil, "report torn/moat-torn is being rewritten (part 2 of 2 is missing); try again")
		}
	})

	t.Run("credentials without RBAC on reports", func(t *testing.T) {
		cfg, err := c.UserConfig("nobody")
		if err != nil {
			t.Fatal(err)
		}
		r := moat(t, "report", "--kubeconfig", kubeconfigFor(t, cfg), "-n", "shop")
		checkReportRun(t, r, 2, nil, nil, `cannot list reports.openreports.io in namespace "shop": the credentials lack RBAC "list"`)
	})

	t.Run("a reader bound to the reports", func(t *testing.T) {
		readReportsRole(t, ctx, admin, "shop", "reader")
		cfg, err := c.UserConfig("reader")
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the reader's binding in force", func() (bool, error) {
			r := moat(t, "report", "--kubeconfig", kubeconfigFor(t, cfg), "-n", "shop")
			return r.code == 1, nil
		})
	})

	t.Run("as the kubectl plugin", func(t *testing.T) {
		plugin := pluginCopy(t)
		r := execute(t, plugin, "report", "--help")
		checkReportRun(t, r, 0, []string{"Usage:\n  kubectl moat report [-n NAMESPACE | -A] [flags]", "  kubectl moat report -n shop"}, []string{"\n  moat report"}, "")

		kubectl, err := exec.LookPath("kubectl")
		if err != nil {
			t.Skip("kubectl is not on PATH: the plugin was run directly only")
		}
		cmd := exec.Command(kubectl, "moat", "report", "-n", "shop", "--kubeconfig", kc)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(plugin)+string(os.PathListSeparator)+os.Getenv("PATH"))
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err = cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		checkReportRun(t, run{code: code, stdout: out.String(), stderr: errb.String()}, 1,
			[]string{"Deployment/shop/cart", "CRITICAL  pod/privileged-container", "Deployment/shop/worker"}, nil, "")
	})
}

// checkReportRun checks a run's exit code, that stdout holds want in order and none of
// absent, and that stderr holds stderr.
func checkReportRun(t *testing.T, r run, code int, want, absent []string, stderr string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	rest := r.stdout
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("stdout lacks %q (in this order):\n%s", w, r.stdout)
			continue
		}
		rest = rest[i+len(w):]
	}
	for _, a := range absent {
		if strings.Contains(r.stdout, a) {
			t.Errorf("stdout has %q:\n%s", a, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, stderr) {
		t.Errorf("stderr lacks %q:\n%s", stderr, r.stderr)
	}
}

// readReportsRole lets user get and list the Reports of namespace ns, and nothing else:
// what `kubectl moat report -n NS` needs.
func readReportsRole(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, user string) {
	t.Helper()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "moat-report-reader", Namespace: ns},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"openreports.io"}, Resources: []string{"reports"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "moat-report-reader", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// pluginCopy copies the moat binary to kubectl-moat in a directory of its own, as krew
// installs it.
func pluginCopy(t *testing.T) string {
	t.Helper()
	src, err := os.Open(tool(t, "moat"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(t.TempDir(), "kubectl-moat")
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}
