package catalog

import (
	"testing"

	"github.com/moat-dev/moat/internal/admission/vap"
	"github.com/moat-dev/moat/internal/rule"
)

// TestExportedRulesAreTheRulesWithCEL: a rule owns its CEL (rule.Rule.CEL), and the
// ValidatingAdmissionPolicy exporter exports exactly the rules that carry an expression;
// every other object rule says in its CEL why it cannot be exported.
func TestExportedRulesAreTheRulesWithCEL(t *testing.T) {
	ps, _ := vap.Export(rule.All(), vap.Options{})
	exported := map[string]bool{}
	for _, p := range ps {
		exported[p.Rule.ID] = true
	}
	n := 0
	for _, r := range rule.All() {
		hasCEL := r.CEL != nil && r.CEL.Expression != ""
		if hasCEL {
			n++
		}
		switch {
		case hasCEL != exported[r.ID]:
			t.Errorf("%s: carries CEL %v, exported %v", r.ID, hasCEL, exported[r.ID])
		case r.Object != nil && r.CEL == nil:
			t.Errorf("%s: an object rule with no CEL: write rule.CEL, or say in CEL.Unexportable why CEL cannot express it", r.ID)
		}
	}
	if n == 0 || n != len(ps) {
		t.Errorf("%d rules carry CEL, %d exported", n, len(ps))
	}
}
