package vap

import (
	"context"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"

	"github.com/moat-dev/moat/internal/admission"
	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

// TestCELOnObjectRules: a policy judges one object, so only a rule with an Object check
// can carry CEL, and a rule's CEL is either an expression or the reason there is none.
func TestCELOnObjectRules(t *testing.T) {
	for _, r := range rule.All() {
		c := r.CEL
		switch {
		case c == nil:
		case r.Object == nil:
			t.Errorf("%s: CEL on a rule with no object check", r.ID)
		case (c.Expression == "") == (c.Unexportable == ""):
			t.Errorf("%s: CEL needs an expression or a reason it is unexportable, not both", r.ID)
		case c.Expression != "" && (c.Message == "" || c.Pod == (len(c.Resources) > 0)):
			t.Errorf("%s: CEL needs a message, and either Pod or Resources", r.ID)
		}
	}
}

func TestEveryRuleExportedOrExplained(t *testing.T) {
	ps, skipped := Export(rule.All(), Options{})
	if len(ps)+len(skipped) != len(rule.All()) {
		t.Errorf("%d exported + %d skipped != %d rules", len(ps), len(skipped), len(rule.All()))
	}
	for _, s := range skipped {
		if s.Reason == "" || s.Reason == notWritten {
			t.Errorf("%s: skipped without a reason: write its rule.CEL, or say in CEL.Unexportable why CEL cannot express it", s.Rule)
		}
	}
	t.Logf("%d rules exported, %d not", len(ps), len(skipped))
}

// TestPoliciesCompile compiles every exported expression, variable and match condition
// with the API server's own CEL environment.
func TestPoliciesCompile(t *testing.T) {
	ps, _ := Export(rule.All(), Options{})
	if len(ps) == 0 {
		t.Fatal("nothing exported")
	}
	for _, p := range ps {
		compile(t, p.Policy)
		if p.Binding.Spec.PolicyName != p.Policy.Name || len(p.Binding.Spec.ValidationActions) != 1 {
			t.Errorf("%s: binding %+v", p.Policy.Name, p.Binding.Spec)
		}
	}
}

// removedVersions are API versions that Kubernetes 1.37 no longer serves, which some
// rule fixtures use to show that scans still check old manifests.
var removedVersions = map[string]bool{
	"extensions/v1beta1": true, "networking.k8s.io/v1beta1": true, "apps/v1beta1": true,
	"apps/v1beta2": true, "batch/v1beta1": true, "policy/v1beta1": true, "rbac.authorization.k8s.io/v1beta1": true,
}

// TestAgreesWithRuleFixtures evaluates each exported policy on its rule's fixtures,
// with the API server's evaluator: the policy denies exactly the objects the rule
// reports.
func TestAgreesWithRuleFixtures(t *testing.T) {
	ps, _ := Export(rule.All(), Options{})
	for _, p := range ps {
		t.Run(p.Rule.ID, func(t *testing.T) {
			dir := ruleFixtureDir(p.Rule.ID)
			if dir == "" {
				t.Skipf("no fixtures for %s", p.Rule.ID)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
			inv := inventory.Load(files, inventory.Options{})
			v := compile(t, p.Policy)
			n := 0
			for _, o := range inv.Objects {
				if !matches(p, o.GVK.Kind) {
					continue
				}
				if removedVersions[o.GVK.GroupVersion().String()] {
					// The API server refuses these versions before admission; a
					// policy only ever sees objects of the versions it matches.
					continue
				}
				reported := reports(t, p.Rule, o)
				denied, msgs := verdict(t, v, o)
				if reported != denied {
					t.Errorf("%s: rule reports %v, policy denies %v %q", o.Source, reported, denied, msgs)
				}
				for _, m := range msgs {
					if !strings.HasPrefix(m, "["+p.Rule.ID+"] ") {
						t.Errorf("%s: message does not name the rule: %s", o.Source, m)
					}
				}
				n++
			}
			if n == 0 {
				t.Errorf("no fixture of %s is of a kind the policy matches", dir)
			}
		})
	}
}

// plural is the resource name of a kind: "ingresses", "networkpolicies", "pods", "gateways".
func plural(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "s"):
		return k + "es"
	case strings.HasSuffix(k, "y") && !strings.HasSuffix(k, "ay") && !strings.HasSuffix(k, "ey"):
		return strings.TrimSuffix(k, "y") + "ies"
	}
	return k + "s"
}

func matches(p Policy, kind string) bool {
	for _, r := range p.Policy.Spec.MatchConstraints.ResourceRules {
		for _, res := range r.Resources {
			if res == plural(kind) {
				return true
			}
		}
	}
	return false
}

// TestAgreesWithPSSFixtures replays the fixtures of k8s.io/pod-security-admission at the
// latest version through the exported policies of each level: every fail fixture is
// denied by at least one policy, every pass fixture by none.
func TestAgreesWithPSSFixtures(t *testing.T) {
	root := filepath.Join(moduleDir(t, "k8s.io/pod-security-admission"), "test", "testdata")
	for _, level := range []string{"baseline", "restricted"} {
		t.Run(level, func(t *testing.T) {
			version := latestVersion(t, filepath.Join(root, level))
			ps, _ := Export(rule.All(), Options{PodSecurity: level})
			var vs []validatorOf
			for _, p := range ps {
				vs = append(vs, validatorOf{p.Rule.ID, compile(t, p.Policy)})
			}
			counts := map[string]int{}
			for _, outcome := range []string{"fail", "pass"} {
				files, _ := filepath.Glob(filepath.Join(root, level, version, outcome, "*.yaml"))
				inv := inventory.Load(files, inventory.Options{})
				for _, e := range inv.Errors {
					t.Error(e)
				}
				for _, o := range inv.Objects {
					var deniedBy []string
					for _, v := range vs {
						if d, _ := verdict(t, v.v, o); d {
							deniedBy = append(deniedBy, v.id)
						}
					}
					switch {
					case outcome == "fail" && len(deniedBy) == 0:
						t.Errorf("%s: a %s fail fixture, admitted by every policy", o.Source.File, level)
					case outcome == "pass" && len(deniedBy) > 0:
						t.Errorf("%s: a %s pass fixture, denied by %v", o.Source.File, level, deniedBy)
					default:
						counts[outcome]++
					}
				}
			}
			t.Logf("%s %s: %d fail and %d pass fixtures agree with %d policies", level, version, counts["fail"], counts["pass"], len(vs))
			if counts["fail"] == 0 || counts["pass"] == 0 {
				t.Error("no fixtures")
			}
		})
	}
}

type validatorOf struct {
	id string
	v  validating.Validator
}

func latestVersion(t *testing.T, dir string) string {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(dir, "v1.*"))
	sort.Slice(ms, func(i, j int) bool { return minor(ms[i]) < minor(ms[j]) })
	if len(ms) == 0 {
		t.Fatalf("no versions under %s", dir)
	}
	return filepath.Base(ms[len(ms)-1])
}

func minor(p string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "v1."))
	return n
}

// reports says whether the rule reports the object judged alone, through the same
// evaluation as the webhook (scan.Evaluator.EvaluateObject): what the exported policy,
// which also sees one object, must agree with.
func reports(t *testing.T, r *rule.Rule, o *inventory.Object) bool {
	t.Helper()
	fs, errs := scan.NewEvaluator(scan.Options{Rules: []*rule.Rule{r}}).EvaluateObject(context.Background(), o, false)
	for _, err := range errs {
		t.Fatalf("%s on %s: %v", r.ID, o.Ref(), err)
	}
	return len(fs) > 0
}

// The notice policy compiles with the API server's compiler, for nobody allowed (the
// default) and for named requesters.
func TestIgnoreNoticePolicyCompiles(t *testing.T) {
	for _, yaml := range []string{"", "admission:\n  ignoreAnnotations:\n    namespaces: [legacy]\n    users: [ci]\n    groups: [admins]\n"} {
		cfg, err := exceptions.Parse([]byte(yaml), ".moat.yaml")
		if err != nil {
			t.Fatal(err)
		}
		s, err := admission.ParseSettings(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ps, _ := Export(rule.All(), Options{Settings: s})
		objs := Objects(ps, s)
		notice, ok := objs[len(objs)-2].(*admissionregistrationv1.ValidatingAdmissionPolicy)
		if !ok || notice.Name != IgnoreNoticeName {
			t.Fatalf("the last policy is %v, want %s", objs[len(objs)-2], IgnoreNoticeName)
		}
		compile(t, notice)
		if len(notice.Spec.MatchConstraints.ResourceRules) == 0 {
			t.Error("the notice policy matches no resource")
		}
	}
}
