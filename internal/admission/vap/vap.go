// Package vap translates Moat's rules into ValidatingAdmissionPolicies
// (admissionregistration.k8s.io/v1): CEL that the API server evaluates itself, so a
// cluster can enforce the rules with no webhook at all.
//
// A rule is exported when its check can be written in CEL over the one object under
// review: the rule carries the expression itself (rule.Rule.CEL, in the rule's own
// file), and this package only collects, wraps and exports it. Tests here check each
// expression against the rule's own fixtures and compile it with the API server's CEL
// environment. The other rules are listed with the reason they cannot be exported
// (Unexportable).
package vap

import (
	"fmt"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

// PodVariables give every pod rule (rule.CEL.Pod) the pod spec and metadata wherever
// the kind keeps them, and the lists and facts the Pod Security checks share.
var PodVariables = []admissionregistrationv1.Variable{
	{Name: "spec", Expression: "object.kind == 'Pod' ? object.spec : object.kind == 'PodTemplate' ? object.template.spec : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec"},
	{Name: "meta", Expression: "object.kind == 'Pod' ? object.metadata : object.kind == 'PodTemplate' ? object.template.?metadata.orValue({}) : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.?metadata.orValue({}) : object.spec.template.?metadata.orValue({})"},
	{Name: "containers", Expression: "variables.spec.?initContainers.orValue([]) + variables.spec.?containers.orValue([]) + variables.spec.?ephemeralContainers.orValue([])"},
	{Name: "userNamespace", Expression: "variables.spec.?hostUsers.orValue(true) == false"},
	{Name: "windows", Expression: "variables.spec.?os.?name.orValue('') == 'windows'"},
}

// PodResources are the resources that hold a pod spec.
func PodResources() []admissionregistrationv1.NamedRuleWithOperations {
	return []admissionregistrationv1.NamedRuleWithOperations{
		resources("", "v1", "pods", "replicationcontrollers", "podtemplates"),
		resources("apps", "v1", "deployments", "replicasets", "statefulsets", "daemonsets"),
		resources("batch", "v1", "jobs", "cronjobs"),
	}
}

func resources(group, version string, res ...string) admissionregistrationv1.NamedRuleWithOperations {
	return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{version}, Resources: res},
	}}
}

// Options of an export.
type Options struct {
	// Settings give each rule's validation action (enforce: Deny, warn: Warn, audit:
	// Audit) and the exempt namespaces, users and groups; the defaults when nil.
	Settings *admission.Settings
	// Rules keeps only the rules that match one of these globs; all when empty.
	Rules []exceptions.Pattern
	// PodSecurity keeps only the Pod Security rules at or below this level
	// ("baseline" or "restricted"); all rules when empty.
	PodSecurity string
}

// Policy is one exported rule: its policy and binding.
type Policy struct {
	Rule    *rule.Rule
	Policy  *admissionregistrationv1.ValidatingAdmissionPolicy
	Binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
}

// Skipped is a rule that is not exported and why.
type Skipped struct {
	Rule   string
	Reason string
}

// Export translates the rules that CEL can express and lists the others.
func Export(rules []*rule.Rule, opt Options) ([]Policy, []Skipped) {
	s := opt.Settings
	if s == nil {
		s = admission.DefaultSettings()
	}
	var out []Policy
	var skipped []Skipped
	for _, r := range rules {
		if !selected(r, opt) {
			continue
		}
		if r.CEL == nil || r.CEL.Expression == "" {
			skipped = append(skipped, Skipped{r.ID, Unexportable(r)})
			continue
		}
		out = append(out, build(r, r.CEL, s))
	}
	return out, skipped
}

func selected(r *rule.Rule, opt Options) bool {
	if len(opt.Rules) > 0 {
		ok := false
		for _, p := range opt.Rules {
			ok = ok || p.Match(r.ID)
		}
		if !ok {
			return false
		}
	}
	if opt.PodSecurity != "" {
		level, _, _ := strings.Cut(r.Frameworks.PSS, "/")
		return level == "baseline" || (level == "restricted" && opt.PodSecurity == "restricted")
	}
	return true
}

// Name is the policy and binding name of a rule: "moat-pod-privileged-container".
func Name(ruleID string) string { return "moat-" + strings.ReplaceAll(ruleID, "/", "-") }

func build(r *rule.Rule, t *rule.CEL, s *admission.Settings) Policy {
	name := Name(r.ID)
	fail := admissionregistrationv1.Fail
	labels := map[string]string{"app.kubernetes.io/name": "moat", "moat.dev/rule": strings.ReplaceAll(r.ID, "/", ".")}
	annotations := map[string]string{"moat.dev/rule": r.ID, "moat.dev/severity": r.Severity.String()}
	if r.Frameworks.PSS != "" {
		annotations["moat.dev/pss"] = r.Frameworks.PSS
	}
	var res []admissionregistrationv1.NamedRuleWithOperations
	for _, x := range t.Resources {
		res = append(res, resources(x.Group, x.Version, x.Resources...))
	}
	var vars []admissionregistrationv1.Variable
	if t.Pod {
		res = PodResources()
		vars = PodVariables
	}
	var conds []admissionregistrationv1.MatchCondition
	if users := literals(s.ExemptUsers); len(users) > 0 {
		conds = append(conds, admissionregistrationv1.MatchCondition{Name: "user-not-exempt", Expression: "!(request.userInfo.username in " + celexpr.List(users) + ")"})
	}
	if groups := literals(s.ExemptGroups); len(groups) > 0 {
		conds = append(conds, admissionregistrationv1.MatchCondition{Name: "group-not-exempt", Expression: "!request.userInfo.groups.exists(g, g in " + celexpr.List(groups) + ")"})
	}
	// The ignore annotation of moat scan, for rules it names exactly or with a domain
	// glob — honoured only for the requesters the admission settings name: otherwise
	// whoever may create the object could exempt it.
	if who := ignoreAllowed(s); who != "" {
		conds = append(conds, admissionregistrationv1.MatchCondition{Name: "not-ignored-by-annotation", Expression: "!(" + who + " && " + ignores(r.ID) + ")"})
	}
	p := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: res},
			MatchConditions:  conds,
			Variables:        vars,
			Validations: []admissionregistrationv1.Validation{{
				Expression:        t.Expression,
				MessageExpression: fmt.Sprintf("'[%s] ' + (%s) + '. Fix: %s'", r.ID, t.Message, celexpr.Escape(r.Remediation)),
				Reason:            ptr(metav1.StatusReasonForbidden),
			}},
		},
	}
	mode := s.ModeOf(&finding.Finding{RuleID: r.ID, Severity: r.Severity, Frameworks: r.Frameworks})
	action := map[admission.Mode]admissionregistrationv1.ValidationAction{
		admission.Enforce: admissionregistrationv1.Deny, admission.Warn: admissionregistrationv1.Warn, admission.Audit: admissionregistrationv1.Audit,
	}[mode]
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: []admissionregistrationv1.ValidationAction{action},
		},
	}
	if nss := literals(s.ExemptNamespaces); len(nss) > 0 {
		b.Spec.MatchResources = &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: nss}},
		}}
	}
	return Policy{Rule: r, Policy: p, Binding: b}
}

// ignores is true when the object carries moat.dev/ignore naming the rule (exactly, as
// "domain/*" or "*") with a non-empty moat.dev/ignore-reason: the inline annotation that
// moat scan and the webhook honour. Other globs are the webhook's alone.
func ignores(id string) string {
	domain, _, _ := strings.Cut(id, "/")
	return fmt.Sprintf("(object.metadata.?annotations[?'%s'].orValue('').split(',').exists(e, e.trim() in ['%s', '%s/*', '*']) && object.metadata.?annotations[?'%s'].orValue('').trim() != '')",
		exceptions.IgnoreAnnotation, id, domain, exceptions.IgnoreReasonAnnotation)
}

// ignoreAllowed is the CEL condition that the requester may use moat.dev/ignore — the
// literal namespaces, users and groups of the settings' ignoreAnnotations — or "" when
// nobody may (the default).
func ignoreAllowed(s *admission.Settings) string {
	var or []string
	if nss := literals(s.IgnoreNamespaces); len(nss) > 0 {
		or = append(or, "request.namespace in "+celexpr.List(nss))
	}
	if users := literals(s.IgnoreUsers); len(users) > 0 {
		or = append(or, "request.userInfo.username in "+celexpr.List(users))
	}
	if groups := literals(s.IgnoreGroups); len(groups) > 0 {
		or = append(or, "request.userInfo.groups.exists(g, g in "+celexpr.List(groups)+")")
	}
	if len(or) == 0 {
		return ""
	}
	return "(" + strings.Join(or, " || ") + ")"
}

// IgnoreNoticeName is the policy that tells, for every object carrying moat.dev/ignore,
// whether the annotation was honoured or refused.
const IgnoreNoticeName = "moat-ignore-annotation"

// ignoreNotice is a policy with no rule of its own: every object that carries
// moat.dev/ignore fails its one validation, bound with the actions Warn and Audit, so
// the client gets a warning, the audit log an annotation, and the API server's
// apiserver_validating_admission_policy_check_total{policy="moat-ignore-annotation"}
// counts it — as the webhook does for the same object.
func ignoreNotice(s *admission.Settings, ps []Policy) Policy {
	fail := admissionregistrationv1.Fail
	labels := map[string]string{"app.kubernetes.io/name": "moat"}
	honoured := "false"
	if who := ignoreAllowed(s); who != "" {
		honoured = who
	}
	has := fmt.Sprintf("has(object.metadata.annotations) && '%s' in object.metadata.annotations", exceptions.IgnoreAnnotation)
	p := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: IgnoreNoticeName, Labels: labels},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: matchedByAny(ps)},
			MatchConditions:  []admissionregistrationv1.MatchCondition{{Name: "has-ignore-annotation", Expression: has}},
			Validations: []admissionregistrationv1.Validation{{
				// Every object this policy matches carries the annotation: the validation
				// fails so that the binding's Warn and Audit actions report it.
				Expression: "!(" + has + ")",
				MessageExpression: fmt.Sprintf("%s ? 'moat: the object\\'s %s annotation is honoured (the admission settings allow it for this requester)' : "+
					"'moat: the object\\'s %s annotation is not honoured at admission: an object may not exempt itself unless the admission settings allow it (ignoreAnnotations)'",
					honoured, exceptions.IgnoreAnnotation, exceptions.IgnoreAnnotation),
			}},
			AuditAnnotations: []admissionregistrationv1.AuditAnnotation{{
				Key:             "ignore-annotation",
				ValueExpression: fmt.Sprintf("%s ? 'honoured' : 'refused'", honoured),
			}},
		},
	}
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: IgnoreNoticeName, Labels: labels},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        IgnoreNoticeName,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn, admissionregistrationv1.Audit},
		},
	}
	return Policy{Policy: p, Binding: b}
}

// literals are the patterns without glob characters: a label selector or CEL list
// can hold them; globs cannot be exported.
func literals(ps []exceptions.Pattern) []string {
	var out []string
	for _, p := range ps {
		if !strings.ContainsAny(p.Text, "*?[") {
			out = append(out, p.Text)
		}
	}
	sort.Strings(out)
	return out
}

func ptr[T any](v T) *T { return &v }

// matchedByAny is every resource rule of the policies, each once: the objects Moat's
// exported rules judge, and so those whose moat.dev/ignore matters.
func matchedByAny(ps []Policy) []admissionregistrationv1.NamedRuleWithOperations {
	var out []admissionregistrationv1.NamedRuleWithOperations
	seen := map[string]bool{}
	for _, p := range ps {
		for _, r := range p.Policy.Spec.MatchConstraints.ResourceRules {
			k := fmt.Sprint(r)
			if !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// Objects lists the policies and bindings in order, for printing, followed by the
// policy that reports what became of each object's moat.dev/ignore annotation.
func Objects(ps []Policy, s *admission.Settings) []runtime.Object {
	if s == nil {
		s = admission.DefaultSettings()
	}
	var out []runtime.Object
	for _, p := range append(ps, ignoreNotice(s, ps)) {
		out = append(out, p.Policy, p.Binding)
	}
	return out
}

// Unexportable says why a rule is not exported: the reason its CEL gives, or one that
// follows from the kind of check.
func Unexportable(r *rule.Rule) string {
	switch {
	case r.CEL != nil && r.CEL.Unexportable != "":
		return r.CEL.Unexportable
	case r.Object == nil && r.Inventory != nil:
		return "judges relations between objects (the whole inventory); an admission policy sees one object"
	case r.Object == nil:
		return "reports on Moat's own config file and annotations, not on an object"
	}
	return notWritten
}

// notWritten is the reason of an object rule whose CEL is neither written nor said to be
// impossible; TestEveryRuleExportedOrExplained fails on it.
const notWritten = "no CEL translation is written for it yet; the webhook enforces it"
