package workload

import (
	"path/filepath"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

// At admission a rule sees one object and an inventory of that object alone. Rules
// that consult other objects (a LimitRange, a ServiceAccount) must then judge the
// object by itself: these cases pass in a scan of the whole file and fail alone.
func TestAdmissionSeesOneObject(t *testing.T) {
	for _, tc := range []struct {
		id, fixture, kind string
	}{
		{"pod/cpu-requests-missing", "pass/limitrange-default.yaml", "Deployment"},
		{"pod/memory-limits-missing", "pass/limitrange-default.yaml", "StatefulSet"},
		{"pod/service-account-token-automount", "pass/service-account-false.yaml", "StatefulSet"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			r := rule.Get(tc.id)
			file := filepath.Join("testdata", ruletest.Dir(tc.id), tc.fixture)
			inv := inventory.Load([]string{file}, inventory.Options{})
			if len(inv.Errors) > 0 {
				t.Fatal(inv.Errors)
			}
			if got := ruletest.Evaluate(t, inv, ruletest.Options, r); len(got) != 0 {
				t.Fatalf("whole-file scan: unexpected findings:\n%s", ruletest.Format(got))
			}
			objs := inv.Kind(tc.kind)
			if len(objs) != 1 {
				t.Fatalf("want one %s in %s, got %d", tc.kind, file, len(objs))
			}
			if got := ruletest.Check(t, objs[0], r); len(got) == 0 {
				t.Errorf("admission check of the %s alone: want a finding, got none", tc.kind)
			}
		})
	}
}
