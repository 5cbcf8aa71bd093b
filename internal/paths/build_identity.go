package paths

// The identity layer: a workload whose pod holds its service account's token acts as
// that account, and the account holds RBAC powers.
//
// A pod holds the token when automountServiceAccountToken is not false on the pod, nor
// (the pod leaving it unset) on its ServiceAccount, as the API server decides; or when
// a projected volume asks for one. The automount finding is the evidence and its fix
// the fix, unless a projected token stays.
//
// The powers are package rbac/paths's escalation paths from each service account of the
// graph to cluster-admin and to reading every Secret, with their intermediate states
// kept where they mean something: another service account, and "any service account of
// namespace N" (what creating pods or exec gives). Users and groups passed through by
// impersonation are folded into the edge that leads past them, whose evidence lists
// every step. An edge's fix is removing the binding that grants its first step, unless
// that binding is a built-in one, which the API server restores.
//
// A service account that may list the Secrets of a namespace reaches each of them,
// through the power "read-secrets-in-NS"; a long-lived token Secret leads to its
// service account.

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rbac/authz"
	rbacpaths "github.com/moat-dev/moat/internal/rbac/paths"
)

// Node kinds of package rbac/paths that are states rather than subjects.
const (
	rbacAnySA = "AnyServiceAccount"
	rbacGoal  = "Goal"
)

func (b *builder) identity() error {
	for _, o := range b.workloadObjects() {
		pod, _ := podspec.Of(o)
		ns := o.EffectiveNamespace()
		sa, _ := serviceAccountOf(pod)
		ev, fixes := b.tokenEvidence(o, pod, ns, sa)
		if len(ev) == 0 {
			continue
		}
		from, to := b.workload(o), b.serviceAccountNode(ns, sa)
		for _, e := range ev {
			b.g.edge(from, to, EdgeServiceAccount, e, fixes...)
		}
	}
	b.tokenSecrets()
	if err := b.ctx.Err(); err != nil {
		return err
	}
	b.rbacPowers()
	return nil
}

// tokenSecrets links each long-lived token Secret of the input (type
// kubernetes.io/service-account-token) to its service account: whoever reads the
// Secret holds the account's token. Deleting the Secret is the fix.
func (b *builder) tokenSecrets() {
	for _, o := range b.inv.Kind("Secret") {
		sec, ok := o.Obj.(*corev1.Secret)
		if !ok || sec.Type != corev1.SecretTypeServiceAccountToken || sec.Annotations[corev1.ServiceAccountNameKey] == "" {
			continue
		}
		sa := sec.Annotations[corev1.ServiceAccountNameKey]
		ns, r := o.EffectiveNamespace(), o.Ref()
		fix := b.g.fix(Fix{ID: "token-secret " + ns + "/" + r.Name, Resource: &r,
			Remediation: "Delete the long-lived token Secret " + ns + "/" + r.Name + "; clients that need a token request a short-lived one (kubectl create token, the TokenRequest API)."})
		b.g.edge(b.secretNode(ns, r.Name), b.serviceAccountNode(ns, sa), EdgeServiceAccount,
			Evidence{Message: "Secret " + ns + "/" + r.Name + " holds a token of ServiceAccount " + ns + "/" + sa, Resource: &r, Source: o.Source}, fix)
	}
}

// serviceAccountOf is the service account a pod runs as, with the field that names it.
func serviceAccountOf(pod podspec.Pod) (name, field string) {
	switch {
	case pod.Spec.ServiceAccountName != "":
		return pod.Spec.ServiceAccountName, pod.Path + ".serviceAccountName"
	case pod.Spec.DeprecatedServiceAccount != "":
		return pod.Spec.DeprecatedServiceAccount, pod.Path + ".serviceAccount"
	}
	return "default", pod.Path + ".serviceAccountName"
}

// serviceAccountNode adds the node of a service account.
func (b *builder) serviceAccountNode(ns, name string) string {
	n := Node{ID: ServiceAccountID(ns, name), Kind: KindServiceAccount, Namespace: ns, Name: name}
	if o := b.inv.Find("ServiceAccount", ns, name); o != nil {
		r := o.Ref()
		n.Resource = &r
	}
	return b.g.node(n).ID
}

// tokenEvidence says how a pod holds its service account's token (nothing when it
// does not), and the fixes that take it away.
func (b *builder) tokenEvidence(o *inventory.Object, pod podspec.Pod, ns, sa string) ([]Evidence, []*Fix) {
	r := o.Ref()
	var ev []Evidence
	var fixes []*Fix
	if automounts(b.inv, pod, ns, sa) {
		if fs := b.findingsOf("pod/service-account-token-automount", r); len(fs) > 0 {
			ev, fixes = append(ev, evidence(fs[0])), []*Fix{b.fixOf(fs[0])}
		} else {
			path := pod.Path + ".automountServiceAccountToken"
			ev = append(ev, Evidence{Message: "mounts the token of ServiceAccount " + ns + "/" + sa, Resource: &r, Path: path, Source: o.SourceAt(path)})
		}
	}
	for _, v := range pod.Volumes() {
		if v.Projected == nil {
			continue
		}
		for j, s := range v.Projected.Sources {
			if s.ServiceAccountToken == nil {
				continue
			}
			path := fmt.Sprintf("%s.projected.sources[%d].serviceAccountToken", v.Path, j)
			ev = append(ev, Evidence{Message: fmt.Sprintf("projected volume %q mounts a token of ServiceAccount %s/%s", v.Name, ns, sa),
				Resource: &r, Path: path, Source: o.SourceAt(path)})
			fixes = nil // the projected token stays whatever automount says
		}
	}
	return ev, fixes
}

// automounts says whether the API server mounts a token into the pod: the pod's field
// wins; left unset, the ServiceAccount's.
func automounts(inv *inventory.Inventory, pod podspec.Pod, ns, sa string) bool {
	if v := pod.Spec.AutomountServiceAccountToken; v != nil {
		return *v
	}
	if o := inv.Find("ServiceAccount", ns, sa); o != nil {
		if obj, ok := o.Obj.(*corev1.ServiceAccount); ok && obj.AutomountServiceAccountToken != nil {
			return *obj.AutomountServiceAccountToken
		}
	}
	return true
}

// rbacEdge is an edge of the RBAC layer being gathered: its evidence, and the fixes
// of the first steps that lead along it (an edge reached by two different first steps
// stays until both are removed, so it keeps no fix).
type rbacEdge struct {
	from, to string
	ev       []Evidence
	fixes    []*Fix
	mixed    bool
}

// rbacPowers adds the escalation paths of the graph's service accounts: those of the
// workloads' tokens and of the nodes, and those the paths pass through.
func (b *builder) rbacPowers() {
	var queue []string
	for _, id := range b.g.NodeIDs() {
		if b.g.Nodes[id].Kind == KindServiceAccount {
			queue = append(queue, id)
		}
	}
	if len(queue) == 0 {
		return
	}
	in := rbacpaths.FromInventory(b.inv)
	bySubject := map[string][]rbacpaths.Path{}
	for _, p := range rbacpaths.Find(in) {
		if p.Subject.Kind == rbacv1.ServiceAccountKind {
			id := ServiceAccountID(p.Subject.Namespace, p.Subject.Name)
			bySubject[id] = append(bySubject[id], p)
		}
	}
	var order []*rbacEdge
	edges := map[[2]string]*rbacEdge{}
	seen := map[string]bool{}
	for len(queue) > 0 {
		sa := queue[0]
		queue = queue[1:]
		if seen[sa] {
			continue
		}
		seen[sa] = true
		for _, p := range bySubject[sa] {
			for _, seg := range b.segments(p.Steps) {
				key := [2]string{seg.from, seg.to}
				e := edges[key]
				if e == nil {
					e = &rbacEdge{from: seg.from, to: seg.to, fixes: seg.fixes}
					edges[key] = e
					order = append(order, e)
				} else if !slices.Equal(e.fixes, seg.fixes) {
					e.mixed = true
				}
				e.ev = append(e.ev, seg.ev...)
				if b.g.Nodes[seg.to].Kind == KindServiceAccount {
					queue = append(queue, seg.to)
				}
			}
		}
	}
	b.verifyBindingFixes(order)
	for _, e := range order {
		if e.mixed {
			e.fixes = nil
		}
		for _, ev := range e.ev {
			b.g.edge(e.from, e.to, EdgeRBAC, ev, e.fixes...)
		}
	}
	b.namespaceSecretReaders(in.Policy)
}

// segment is a run of steps of an escalation path between two nodes the graph keeps.
type segment struct {
	from, to string
	ev       []Evidence
	fixes    []*Fix
}

// segments cuts a path's steps at the nodes the graph keeps (service accounts, "any
// service account" states, goals), folding into the run past them the users and groups
// and a namespace's "any service account" reached from every namespace's, which says
// nothing more.
func (b *builder) segments(steps []rbacpaths.Step) []segment {
	var out []segment
	var cur *segment
	for _, s := range steps {
		if cur == nil {
			from, _ := b.rbacNode(s.From)
			cur = &segment{from: from, fixes: b.bindingFixes(s)}
		}
		if isAnySA(s.From) && isAnySA(s.To) {
			continue // "in namespace N": the next step names N
		}
		cur.ev = append(cur.ev, b.stepEvidence(s))
		if to, ok := b.rbacNode(s.To); ok {
			cur.to = to
			out = append(out, *cur)
			cur = nil
		}
	}
	return out
}

// isAnySA says whether a node of package rbac/paths is an "any service account" state.
func isAnySA(n rbacpaths.Node) bool { return n.Kind == rbacAnySA }

// rbacNode is the graph's node of a node of package rbac/paths, added, or false for
// the users and groups the graph folds.
func (b *builder) rbacNode(n rbacpaths.Node) (string, bool) {
	switch n.Kind {
	case rbacv1.ServiceAccountKind:
		return b.serviceAccountNode(n.Namespace, n.Name), true
	case rbacAnySA:
		id := PowerID("any-sa-in-" + n.Namespace)
		if n.Namespace == "*" {
			id = PowerID("any-sa")
		}
		return b.g.node(Node{ID: id, Kind: KindPower, Namespace: strings.Trim(n.Namespace, "*"), Name: n.String()}).ID, true
	case rbacGoal:
		return b.g.node(Node{ID: PowerID(n.Name), Kind: KindPower, Name: n.Name, Target: true}).ID, true
	}
	return "", false
}

// stepEvidence is one step of an escalation path: its primitive, how, and the binding
// and role that grant it.
func (b *builder) stepEvidence(s rbacpaths.Step) Evidence {
	ev := Evidence{RuleID: s.Primitive, Message: s.From.String() + " → " + s.To.String() + ": " + s.How}
	if s.Via != nil {
		ev.Message += " (binding " + s.Via.Binding + " of " + s.Via.Role + ")"
		if o := b.bindingObject(s.Via.Binding); o != nil {
			r := o.Ref()
			ev.Resource, ev.Source = &r, o.Source
		}
	}
	return ev
}

// bindingObject is the scanned RoleBinding ("NS/NAME") or ClusterRoleBinding ("NAME")
// of a Via, or nil for a built-in one.
func (b *builder) bindingObject(ref string) *inventory.Object {
	if ns, name, ok := strings.Cut(ref, "/"); ok {
		return b.inv.Find("RoleBinding", ns, name)
	}
	return b.inv.Find("ClusterRoleBinding", "", ref)
}

// bindingFixes is the fix of a step: removing the scanned binding that grants it.
func (b *builder) bindingFixes(s rbacpaths.Step) []*Fix {
	if s.Via == nil {
		return nil
	}
	o := b.bindingObject(s.Via.Binding)
	if o == nil {
		return nil // built in: the API server puts it back
	}
	r := o.Ref()
	return []*Fix{b.g.fix(Fix{
		ID: "rbac-binding " + s.Via.Binding, RuleID: s.Primitive, Resource: &r,
		Remediation: fmt.Sprintf("Remove the binding of %s to %s or narrow the role: %s", s.Via.Role, s.From.String(), s.How),
	})}
}

// namespaceSecretReaders links each service account of the graph that a RoleBinding
// lets list the Secrets of its namespace to a power that reaches each Secret there.
// Listing them in every namespace is the goal read-all-secrets, found above.
func (b *builder) namespaceSecretReaders(p *authz.Policy) {
	type account struct {
		id, user string
		groups   []string
	}
	var accounts []account
	for _, id := range b.g.NodeIDs() {
		if n := b.g.Nodes[id]; n.Kind == KindServiceAccount {
			accounts = append(accounts, account{id, authz.ServiceAccountUser(n.Namespace, n.Name), authz.ServiceAccountGroups(n.Namespace)})
		}
	}
	secrets := b.secretNames()
	for _, ns := range p.Namespaces() {
		var readers []*authz.Binding
		for _, rb := range p.BindingsFor(ns)[1] {
			if listsSecrets(rb.Rules(), ns) {
				readers = append(readers, rb)
			}
		}
		if len(readers) == 0 {
			continue
		}
		power := ""
		for _, a := range accounts {
			var grants []*authz.Binding
			for _, rb := range readers {
				if rb.Applies(a.user, a.groups) {
					grants = append(grants, rb)
				}
			}
			if len(grants) == 0 {
				continue
			}
			if power == "" {
				power = b.secretReadPower(ns, secrets[ns])
			}
			b.secretReadEdge(a.id, power, ns, grants)
		}
	}
}

// listsSecrets says whether rules let one list the Secrets of a namespace.
func listsSecrets(rules []rbacv1.PolicyRule, ns string) bool {
	q := authz.Request{Verb: "list", Resource: "secrets", Namespace: ns}
	for i := range rules {
		if authz.RuleAllows(&rules[i], &q) {
			return true
		}
	}
	return false
}

// secretReadPower adds the power to read every Secret of a namespace, with its edges
// to the Secrets the input names there.
func (b *builder) secretReadPower(ns string, names []string) string {
	id := b.g.node(Node{ID: PowerID("read-secrets-in-" + ns), Kind: KindPower, Namespace: ns, Name: "read every Secret in " + ns}).ID
	for _, name := range names {
		b.g.edge(id, b.secretNode(ns, name), EdgeRBAC, Evidence{Message: "listing the Secrets of " + ns + " returns their data"})
	}
	return id
}

// secretReadEdge links a service account to the power of reading a namespace's
// Secrets, one evidence for each binding that grants it; removing the binding is the
// fix when one alone does.
func (b *builder) secretReadEdge(from, power, ns string, grants []*authz.Binding) {
	sa := b.g.Nodes[from]
	for _, rb := range grants {
		s := rbacpaths.Step{
			From:      rbacpaths.Node{Kind: rbacv1.ServiceAccountKind, Namespace: sa.Namespace, Name: sa.Name},
			To:        rbacpaths.Node{Kind: rbacGoal, Name: b.g.Nodes[power].Name},
			Primitive: "rbac/read-secrets", How: "list Secrets in namespace " + ns,
			Via: &authz.Via{Binding: rb.Ref(), Role: rb.RoleRefString()},
		}
		var fixes []*Fix
		if len(grants) == 1 {
			fixes = b.bindingFixes(s)
		}
		b.g.edge(from, power, EdgeRBAC, b.stepEvidence(s), fixes...)
	}
}

// secretNames are the names of the Secrets the input holds or its workloads name, by
// namespace, in order.
func (b *builder) secretNames() map[string][]string {
	out := map[string][]string{}
	seen := map[finding.Resource]bool{}
	add := func(ns, name string) {
		if k := (finding.Resource{Namespace: ns, Name: name}); !seen[k] {
			seen[k] = true
			out[ns] = append(out[ns], name)
		}
	}
	for _, o := range b.inv.Kind("Secret") {
		if o.GVK.Group == "" {
			add(o.EffectiveNamespace(), o.Name())
		}
	}
	for _, o := range b.workloadObjects() {
		pod, _ := podspec.Of(o)
		for _, ref := range secretRefs(pod) {
			add(o.EffectiveNamespace(), ref.name)
		}
	}
	return out
}
