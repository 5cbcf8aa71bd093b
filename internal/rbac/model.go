package rbac

import (
	"fmt"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/inventory"
)

// Group is the API group of the RBAC kinds.
const Group = rbacv1.GroupName

// Well-known names of the kube-apiserver bootstrap policy
// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy in kubernetes/kubernetes).
const (
	ClusterAdmin         = "cluster-admin"
	GroupMasters         = "system:masters"
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	UserAnonymous        = "system:anonymous"
	// BootstrapLabel marks the roles and bindings the API server creates and reconciles
	// itself; its value there is "rbac-defaults".
	BootstrapLabel = "kubernetes.io/bootstrapping"
)

// Rule is one PolicyRule of a Role or ClusterRole with its field path ("rules[2]").
type Rule struct {
	rbacv1.PolicyRule
	Path string
}

// Rules returns the rules of a Role or ClusterRole of any RBAC API version, or false
// for other objects. The rules an aggregationRule collects are not in the manifest and
// are not returned.
func Rules(o *inventory.Object) ([]Rule, bool) {
	rules, ok := policyRules(o)
	if !ok {
		return nil, false
	}
	out := make([]Rule, len(rules))
	for i, r := range rules {
		out[i] = Rule{r, rulePath(i)}
	}
	return out, true
}

// policyRules are the rules of a Role or ClusterRole, as Rules, without their paths:
// the object's own list when it is an rbac/v1 object, which must not be changed.
func policyRules(o *inventory.Object) ([]rbacv1.PolicyRule, bool) {
	if o.GVK.Group != Group {
		return nil, false
	}
	switch o.GVK.Kind {
	case "Role":
		if r, ok := convert[rbacv1.Role](o); ok {
			return r.Rules, true
		}
	case "ClusterRole":
		if r, ok := convert[rbacv1.ClusterRole](o); ok {
			return r.Rules, true
		}
	}
	return nil, false
}

// rulePath is the field path of rule i of a role: "rules[2]". listPaths holds the first
// of them, and subjectPaths those of a binding's subjects, made once: every rule of
// this package reads them for every role and binding.
func rulePath(i int) string { return listPath(rulePaths, "rules", i) }

func subjectPath(i int) string { return listPath(subjectPaths, "subjects", i) }

var (
	rulePaths    = listPaths("rules", 16)
	subjectPaths = listPaths("subjects", 16)
)

func listPaths(list string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = list + "[" + strconv.Itoa(i) + "]"
	}
	return out
}

func listPath(made []string, list string, i int) string {
	if i < len(made) {
		return made[i]
	}
	return list + "[" + strconv.Itoa(i) + "]"
}

// Subject is one subject of a binding with its field path ("subjects[0]").
type Subject struct {
	rbacv1.Subject
	Path string
}

// Binding is a RoleBinding or ClusterRoleBinding in the rbac/v1 shape.
type Binding struct {
	Object   *inventory.Object
	RoleRef  rbacv1.RoleRef
	Subjects []Subject
}

// BindingOf reads a RoleBinding or ClusterRoleBinding of any RBAC API version, or
// returns false for other objects.
func BindingOf(o *inventory.Object) (Binding, bool) {
	if o.GVK.Group != Group {
		return Binding{}, false
	}
	var ref rbacv1.RoleRef
	var subjects []rbacv1.Subject
	switch o.GVK.Kind {
	case "RoleBinding":
		b, ok := convert[rbacv1.RoleBinding](o)
		if !ok {
			return Binding{}, false
		}
		ref, subjects = b.RoleRef, b.Subjects
	case "ClusterRoleBinding":
		b, ok := convert[rbacv1.ClusterRoleBinding](o)
		if !ok {
			return Binding{}, false
		}
		ref, subjects = b.RoleRef, b.Subjects
	default:
		return Binding{}, false
	}
	out := Binding{Object: o, RoleRef: ref, Subjects: make([]Subject, len(subjects))}
	for i, s := range subjects {
		out.Subjects[i] = Subject{s, subjectPath(i)}
	}
	return out, true
}

// Describe names the subject as messages do: `Group "dev"`, `ServiceAccount "ci/deployer"`.
// A ServiceAccount written without a namespace is in the binding's namespace.
func (b Binding) Describe(s Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = b.Object.Namespace()
		}
		if ns != "" {
			return fmt.Sprintf("ServiceAccount %q", ns+"/"+s.Name)
		}
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// DescribeRole names the role a binding refers to: `ClusterRole "view"`.
func (b Binding) DescribeRole() string {
	return fmt.Sprintf("%s %q", b.RoleRef.Kind, b.RoleRef.Name)
}

// IsBootstrap reports an object of the kube-apiserver bootstrap policy: it carries the
// label kubernetes.io/bootstrapping=rbac-defaults and has a built-in name (cluster-admin,
// admin, edit, view, or system:*). The API server creates these itself and restores
// them at every start, so they are not the user's to fix.
func IsBootstrap(o *inventory.Object) bool {
	return o.Meta.GetLabels()[BootstrapLabel] == "rbac-defaults" && IsBuiltinName(o.Name())
}

// IsBuiltinName reports a name the bootstrap policy uses for its roles and bindings.
func IsBuiltinName(name string) bool {
	switch name {
	case ClusterAdmin, "admin", "edit", "view":
		return true
	}
	return strings.HasPrefix(name, "system:")
}

// convert reads a typed object of any RBAC version, or an unstructured one, into the
// rbac/v1 type T: the versions share their fields.
func convert[T any](o *inventory.Object) (*T, bool) {
	if v, ok := any(o.Obj).(*T); ok {
		return v, true
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Obj)
	if err != nil {
		return nil, false
	}
	out := new(T)
	if runtime.DefaultUnstructuredConverter.FromUnstructured(m, out) != nil {
		return nil, false
	}
	return out, true
}

// HasWildcard reports whether a list of verbs, resources or API groups holds "*".
func HasWildcard(list []string) bool {
	for _, v := range list {
		if v == rbacv1.VerbAll {
			return true
		}
	}
	return false
}

// Describe names what a rule applies to as messages do:
// `resources ["pods" "secrets"] in apiGroups [""]` (with its resourceNames, if any) or
// `nonResourceURLs ["/metrics"]`.
func (r Rule) Describe() string {
	var parts []string
	if len(r.Resources) > 0 {
		s := fmt.Sprintf("resources %q in apiGroups %q", r.Resources, r.APIGroups)
		if len(r.ResourceNames) > 0 {
			s += fmt.Sprintf(" (resourceNames %q)", r.ResourceNames)
		}
		parts = append(parts, s)
	}
	if len(r.NonResourceURLs) > 0 {
		parts = append(parts, fmt.Sprintf("nonResourceURLs %q", r.NonResourceURLs))
	}
	if len(parts) == 0 {
		return "no resource"
	}
	return strings.Join(parts, " and ")
}

// redefinition is the note a message adds when a role that is not the API server's own
// carries the name of a built-in one: applying it rewrites the built-in role.
func redefinition(o *inventory.Object) string {
	switch o.Name() {
	case ClusterAdmin, "admin", "edit", "view":
		if o.Kind() == "ClusterRole" && !IsBootstrap(o) {
			return fmt.Sprintf(" (this manifest redefines the built-in ClusterRole %q: the API server's own copy carries the label %s=rbac-defaults, so check where this one comes from)", o.Name(), BootstrapLabel)
		}
	}
	return ""
}

// bootstrapRoleCEL: the object is a role or binding of the API server's bootstrap policy
// (IsBootstrap).
const bootstrapRoleCEL = "object.metadata.?labels[?'kubernetes.io/bootstrapping'].orValue('') == 'rbac-defaults' && " +
	"(object.metadata.?name.orValue('') in ['cluster-admin', 'admin', 'edit', 'view'] || object.metadata.?name.orValue('').startsWith('system:'))"
