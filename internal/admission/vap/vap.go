// Package vap translates Moat's rules into ValidatingAdmissionPolicies
// (admissionregistration.k8s.io/v1): CEL that the API server evaluates itself, so a
// cluster can enforce the rules with no webhook at all.
//
// A rule is exported when its check can be written in CEL over the one object under
// review; each has its hand-written expression here, checked by tests against the
// rule's own fixtures and compiled with the API server's CEL environment. The other
// rules are listed with the reason they cannot be exported (Unexportable).
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
)

// Translation is one rule in CEL.
type Translation struct {
	// Pod is true for rules over a pod spec: the policy matches Pods and every pod
	// controller and gets the variables spec, meta, containers, userNamespace and
	// windows (PodVariables).
	Pod bool
	// Resources are the resources matched when Pod is false.
	Resources []admissionregistrationv1.NamedRuleWithOperations
	// Expression is true when the object passes.
	Expression string
	// Message is a CEL string expression saying what is wrong (messageExpression).
	Message string
}

// PodVariables give every pod rule the pod spec and metadata wherever the kind keeps
// them, and the lists and facts the Pod Security checks share.
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
		t, ok := Translations[r.ID]
		if !ok {
			skipped = append(skipped, Skipped{r.ID, Unexportable(r)})
			continue
		}
		out = append(out, build(r, t, s))
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

func build(r *rule.Rule, t Translation, s *admission.Settings) Policy {
	name := Name(r.ID)
	fail := admissionregistrationv1.Fail
	labels := map[string]string{"app.kubernetes.io/name": "moat", "moat.dev/rule": strings.ReplaceAll(r.ID, "/", ".")}
	annotations := map[string]string{"moat.dev/rule": r.ID, "moat.dev/severity": r.Severity.String()}
	if r.Frameworks.PSS != "" {
		annotations["moat.dev/pss"] = r.Frameworks.PSS
	}
	res := t.Resources
	var vars []admissionregistrationv1.Variable
	if t.Pod {
		res = PodResources()
		vars = PodVariables
	}
	var conds []admissionregistrationv1.MatchCondition
	if users := literals(s.ExemptUsers); len(users) > 0 {
		conds = append(conds, admissionregistrationv1.MatchCondition{Name: "user-not-exempt", Expression: "!(request.userInfo.username in " + celList(users) + ")"})
	}
	if groups := literals(s.ExemptGroups); len(groups) > 0 {
		conds = append(conds, admissionregistrationv1.MatchCondition{Name: "group-not-exempt", Expression: "!request.userInfo.groups.exists(g, g in " + celList(groups) + ")"})
	}
	// The ignore annotation of moat scan, for rules it names exactly or with a domain glob.
	conds = append(conds, admissionregistrationv1.MatchCondition{Name: "not-ignored-by-annotation", Expression: ignoredCondition(r.ID)})
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
				MessageExpression: fmt.Sprintf("'[%s] ' + (%s) + '. Fix: %s'", r.ID, t.Message, celEscape(r.Remediation)),
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

// ignoredCondition is false when the object carries moat.dev/ignore naming the rule
// (exactly, as "domain/*" or "*") with a non-empty moat.dev/ignore-reason: the inline
// annotation that moat scan and the webhook honour. Other globs are the webhook's alone.
func ignoredCondition(id string) string {
	domain, _, _ := strings.Cut(id, "/")
	return fmt.Sprintf("!(object.metadata.?annotations[?'%s'].orValue('').split(',').exists(e, e.trim() in ['%s', '%s/*', '*']) && object.metadata.?annotations[?'%s'].orValue('').trim() != '')",
		exceptions.IgnoreAnnotation, id, domain, exceptions.IgnoreReasonAnnotation)
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

func celList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + celEscape(s) + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func celEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", " ").Replace(s)
}

func ptr[T any](v T) *T { return &v }

// Objects lists the policies and bindings in order, for printing.
func Objects(ps []Policy) []runtime.Object {
	var out []runtime.Object
	for _, p := range ps {
		out = append(out, p.Policy, p.Binding)
	}
	return out
}

// Unexportable says why a rule has no translation.
func Unexportable(r *rule.Rule) string {
	if reason, ok := notExported[r.ID]; ok {
		return reason
	}
	switch {
	case r.Object == nil && r.Inventory != nil:
		return "judges relations between objects (the whole inventory); an admission policy sees one object"
	case r.Object == nil:
		return "reports on Moat's own config file and annotations, not on an object"
	}
	return notWritten
}

// notExported are object rules whose check CEL cannot express, with the reason.
var notExported = map[string]string{
	"pod/service-account-token-automount": "the verdict depends on the ServiceAccount object the pod runs as, which a policy cannot read",
	"pod/cpu-limits-missing":              "a LimitRange default in the namespace satisfies the rule, and a policy cannot read LimitRanges",
	"pod/cpu-requests-missing":            "a LimitRange default in the namespace satisfies the rule, and a policy cannot read LimitRanges",
	"pod/memory-limits-missing":           "a LimitRange default in the namespace satisfies the rule, and a policy cannot read LimitRanges",
	"pod/memory-requests-missing":         "a LimitRange default in the namespace satisfies the rule, and a policy cannot read LimitRanges",
	"api/deprecated-version":              "a policy sees the object converted to the version it matches, not the version the client wrote",
	"api/removed-version":                 "a removed API version is refused by the API server before admission",
	"secret/committed-secret-data": "judges each data value decoded from base64 (empty, a placeholder, a reference or only PEM certificates pass); " +
		"the API server's CEL has no base64 decoder, so a policy sees only the encoded text",
	"secret/credential-in-annotation": "finds credentials inside annotation values parsed as JSON and key/value documents (kubectl's " +
		"last-applied-configuration included); the API server's CEL has no JSON or document parser",
	"secret/credential-in-args":      entropyReason,
	"secret/credential-in-configmap": entropyReason,
	"secret/credential-in-env":       entropyReason,
}

// entropyReason is why the rules built on secrets.Detect are not exported.
const entropyReason = "a value counts as a credential when its Shannon entropy (a base-2 logarithm over character frequencies) " +
	"passes a threshold; the API server's CEL has no logarithm, so a policy cannot reach the same verdict"

// notWritten is the reason of an object rule with neither a translation nor an entry in
// notExported; TestEveryRuleExportedOrExplained fails on it.
const notWritten = "no CEL translation is written for it yet; the webhook enforces it"
