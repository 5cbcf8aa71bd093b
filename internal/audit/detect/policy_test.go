package detect

import (
	"strings"
	"testing"

	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/moat-dev/moat/internal/audit"
)

// TestPolicyRecordsWhatRulesRead loads `moat audit policy` with the API server's own
// loader (decoding and validation) and evaluates it, with the API server's own policy
// evaluator, for every event a rule must alert on: the policy must record that request, at
// least at the level the fixture has (Request where the rule reads the body), and at the
// stage the rule reads.
func TestPolicyRecordsWhatRulesRead(t *testing.T) {
	p, err := policy.LoadPolicyFromBytes(audit.Policy)
	if err != nil {
		t.Fatalf("moat audit policy does not load: %v", err)
	}
	eval := policy.NewPolicyRuleEvaluator(p)
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Rules {
		slug := strings.TrimPrefix(r.ID, "audit/")
		alert, _ := loadFixture(t, slug)
		for i, ev := range alert {
			attrs := authorizer.AttributesRecord{
				User:            &user.DefaultInfo{Name: ev.User.Username, Groups: ev.User.Groups},
				Verb:            ev.Verb,
				Path:            strings.SplitN(ev.RequestURI, "?", 2)[0],
				ResourceRequest: ev.ObjectRef != nil && ev.ObjectRef.Resource != "",
			}
			if o := ev.ObjectRef; o != nil {
				attrs.Namespace, attrs.APIGroup, attrs.APIVersion = o.Namespace, o.APIGroup, o.APIVersion
				attrs.Resource, attrs.Subresource, attrs.Name = o.Resource, o.Subresource, o.Name
			}
			cfg := eval.EvaluatePolicyRule(attrs)
			if cfg.Level.Less(auditinternal.Level(ev.Level)) {
				t.Errorf("%s event %d (%s %s): policy level %s, the rule needs %s", r.ID, i, ev.Verb, ev.RequestURI, cfg.Level, ev.Level)
			}
			for _, st := range cfg.OmitStages {
				if string(st) == string(ev.Stage) {
					t.Errorf("%s event %d: policy omits stage %s", r.ID, i, st)
				}
			}
		}
	}
}
