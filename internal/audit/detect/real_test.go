package detect

import (
	"os"
	"slices"
	"testing"

	"github.com/moat-dev/moat/internal/audit"
)

// TestRealAPIServerLog runs the default pack over the audit log a real kube-apiserver
// v1.37.2 wrote with `moat audit policy` during the e2e test (refresh it with
// MOAT_AUDIT_LOG_COPY=FILE on TestAuditWebhook): the API server's own bootstrap (it creates
// cluster-admin and its binding, and the system ClusterRoles with wildcards) raises
// nothing, and the test's attacker actions raise exactly their alerts.
func TestRealAPIServerLog(t *testing.T) {
	f, err := os.Open("testdata/apiserver-v1.37.2-audit.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(s, 0)
	var rules []string
	events := 0
	err = audit.Reader{}.Decode(f, "apiserver-v1.37.2-audit.log", func(ev *audit.Event) error {
		events++
		e.Eval(ev, func(a audit.Alert) {
			rules = append(rules, a.Rule)
			if a.User == "system:apiserver" {
				t.Errorf("alert on the API server's own bootstrap: %s: %s", a.Rule, a.Message)
			}
		})
		return nil
	}, func(p audit.Problem) { t.Error(p) })
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rules)
	want := []string{
		"audit/binding-cluster-admin", "audit/impersonation", "audit/nodeport-service", "audit/pod-exec",
		"audit/pod-exec-shell", "audit/privileged-container", "audit/repeated-forbidden",
		"audit/secret-read-by-user", "audit/validating-webhook-changed", "audit/validating-webhook-changed",
	}
	for range 10 {
		want = append(want, "audit/secret-access-denied")
	}
	slices.Sort(want)
	if !slices.Equal(rules, want) {
		t.Errorf("alerts %v\nwant   %v", rules, want)
	}
	if events < 200 {
		t.Errorf("%d events read", events)
	}
	checkRuntime(t, e)
}
