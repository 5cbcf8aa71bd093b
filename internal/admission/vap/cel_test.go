package vap

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/cel/environment"

	"github.com/moat-dev/moat/internal/inventory"
)

// compile builds a policy exactly as the API server's ValidatingAdmissionPolicy plugin
// does (validating.compilePolicy, v0.37.2): the same composited compiler, base
// environment, variables, match conditions and validations.
func compile(t testing.TB, p *admissionregistrationv1.ValidatingAdmissionPolicy) validating.Validator {
	t.Helper()
	optionalVars := plugincel.OptionalVariableDeclarations{HasParams: false, HasAuthorizer: true}
	msgVars := plugincel.OptionalVariableDeclarations{HasParams: false, HasAuthorizer: false}
	c, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		t.Fatal(err)
	}
	var vars []plugincel.NamedExpressionAccessor
	for _, v := range p.Spec.Variables {
		vars = append(vars, &validating.Variable{Name: v.Name, Expression: v.Expression})
	}
	c.CompileAndStoreVariables(vars, optionalVars, environment.StoredExpressions)
	var validations, messages []plugincel.ExpressionAccessor
	for _, v := range p.Spec.Validations {
		validations = append(validations, &validating.ValidationCondition{Expression: v.Expression, Message: v.Message})
		messages = append(messages, &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression})
	}
	var audits []plugincel.ExpressionAccessor
	for _, a := range p.Spec.AuditAnnotations {
		audits = append(audits, &validating.AuditAnnotationCondition{Key: a.Key, ValueExpression: a.ValueExpression})
	}
	var conds []plugincel.ExpressionAccessor
	for i := range p.Spec.MatchConditions {
		conds = append(conds, (*matchconditions.MatchCondition)(&p.Spec.MatchConditions[i]))
	}
	matcher := matchconditions.NewMatcher(c.CompileCondition(conds, optionalVars, environment.StoredExpressions), p.Spec.FailurePolicy, "policy", "validate", p.Name)
	// Compile errors surface per expression; collect them here.
	for _, set := range [][]plugincel.ExpressionAccessor{validations, messages, conds, audits} {
		for _, r := range compileErrors(c, set, optionalVars) {
			t.Errorf("%s: %s", p.Name, r)
		}
	}
	for _, v := range p.Spec.Variables {
		if errs := compileErrors(c, []plugincel.ExpressionAccessor{&validating.Variable{Name: v.Name, Expression: v.Expression}}, optionalVars); len(errs) > 0 {
			t.Errorf("%s: variable %s: %v", p.Name, v.Name, errs)
		}
	}
	return validating.NewValidator(
		c.CompileCondition(validations, optionalVars, environment.StoredExpressions),
		matcher,
		c.CompileCondition(nil, optionalVars, environment.StoredExpressions),
		c.CompileCondition(messages, msgVars, environment.StoredExpressions),
		p.Spec.FailurePolicy, nil)
}

// compileErrors compiles expressions alone with the same compiler and returns their errors.
func compileErrors(c *plugincel.CompositedCompiler, exprs []plugincel.ExpressionAccessor, vars plugincel.OptionalVariableDeclarations) []string {
	var out []string
	for _, e := range exprs {
		if e == nil || e.GetExpression() == "" {
			continue
		}
		res := c.CompileCELExpression(e, vars, environment.StoredExpressions)
		if res.Error != nil {
			out = append(out, res.Error.Error()+": "+e.GetExpression())
		}
	}
	return out
}

// verdict evaluates a compiled policy on an object as a create request by alice.
func verdict(t testing.TB, v validating.Validator, o *inventory.Object) (denied bool, messages []string) {
	t.Helper()
	raw, err := json.Marshal(o.Obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	defaultVolumes(u)
	if u.GetNamespace() == "" {
		u.SetNamespace("default")
	}
	gvk := o.GVK
	gvr := schema.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: plural(gvk.Kind)}
	attr := admission.NewAttributesRecord(u, nil, gvk, u.GetNamespace(), u.GetName(), gvr, "", admission.Create, &metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "alice", Groups: []string{"developers"}})
	va := &admission.VersionedAttributes{Attributes: attr, VersionedObject: admission.NewLazyObject(u), VersionedKind: gvk}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: u.GetNamespace()}}
	res := v.Validate(context.Background(), gvr, va, nil, ns, celconfig.RuntimeCELCostBudget, nil)
	for _, d := range res.Decisions {
		if d.Evaluation == validating.EvalError {
			t.Errorf("%s: evaluation error: %s", o.Source, d.Message)
		}
		if d.Action == validating.ActionDeny {
			denied = true
			messages = append(messages, d.Message)
		}
	}
	return denied, messages
}

// moduleDir finds a module of the build with go list.
func moduleDir(t testing.TB, module string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go list -m %s: %v", module, err)
	}
	return strings.TrimSpace(string(out))
}

// ruleFixtureDirs finds the testdata directories of a rule: internal/*/testdata/DOMAIN_SLUG.
func ruleFixtureDir(id string) string {
	matches, _ := filepath.Glob(filepath.Join("..", "..", "*", "testdata", strings.ReplaceAll(id, "/", "_")))
	if len(matches) == 0 {
		return ""
	}
	return matches[0]
}

// defaultVolumes applies the one API-server default that changes a verdict, as the API
// server does before admission: a volume with no source is an emptyDir.
func defaultVolumes(u *unstructured.Unstructured) {
	for _, path := range [][]string{{"spec", "volumes"}, {"spec", "template", "spec", "volumes"}, {"spec", "jobTemplate", "spec", "template", "spec", "volumes"}, {"template", "spec", "volumes"}} {
		vols, ok, _ := unstructured.NestedSlice(u.Object, path...)
		if !ok {
			continue
		}
		for _, v := range vols {
			if m, ok := v.(map[string]any); ok && len(m) == 1 {
				m["emptyDir"] = map[string]any{}
			}
		}
		_ = unstructured.SetNestedSlice(u.Object, vols, path...)
	}
}
