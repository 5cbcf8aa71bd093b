package paths

import (
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
)

// fact is one thing a principal (a user name or a group) may do, from one rule of one
// binding: its scope is a namespace, or "" for the whole cluster; name is a resource
// name the rule is limited to, or "*".
type fact struct {
	kind  string
	scope string
	name  string
	b     *authz.Binding
}

// Fact kinds.
const (
	fEverything      = "everything"
	fListSecrets     = "list-secrets"
	fGetSecrets      = "get-secrets"
	fCreateSecrets   = "create-secrets"
	fCreatePods      = "create-pods"
	fExecPods        = "exec-pods"
	fSAToken         = "sa-token"
	fImpersonateSA   = "impersonate-sa"
	fImpersonateUser = "impersonate-user"
	fImpersonateGrp  = "impersonate-group"
	fBindCR          = "bind-clusterrole"
	fCreateCRB       = "create-crb"
	fEscalateCR      = "escalate-clusterrole"
	fUpdateCR        = "update-clusterrole"
	fCSRCreate       = "csr-create"
	fCSRApprove      = "csr-approve"
	fSignerApprove   = "signer-approve"
	fNodesProxy      = "nodes-proxy"
	fMutatingHooks   = "mutating-webhooks"
)

// probe is a fact and the requests that show it; named probes record each resource
// name of a rule limited by resourceNames.
type probe struct {
	kind    string
	cluster bool // only a ClusterRoleBinding grants it
	named   bool
	reqs    []authz.Request
}

func req(verb, group, resource string) authz.Request {
	res, sub, _ := strings.Cut(resource, "/")
	return authz.Request{Verb: verb, APIGroup: group, Resource: res, Subresource: sub}
}

func reqs(verbs []string, group string, resources ...string) []authz.Request {
	var out []authz.Request
	for _, r := range resources {
		for _, v := range verbs {
			out = append(out, req(v, group, r))
		}
	}
	return out
}

var probes = []probe{
	{kind: fListSecrets, reqs: reqs([]string{"list", "watch"}, "", "secrets")},
	{kind: fGetSecrets, reqs: reqs([]string{"get"}, "", "secrets")},
	{kind: fCreateSecrets, reqs: reqs([]string{"create"}, "", "secrets")},
	{kind: fCreatePods, reqs: append(append(reqs([]string{"create"}, "", "pods", "replicationcontrollers"),
		reqs([]string{"create"}, "apps", "deployments", "replicasets", "statefulsets", "daemonsets")...),
		reqs([]string{"create"}, "batch", "jobs", "cronjobs")...)},
	{kind: fExecPods, reqs: append(reqs([]string{"create", "get"}, "", "pods/exec", "pods/attach"), reqs([]string{"patch", "update"}, "", "pods/ephemeralcontainers")...)},
	{kind: fSAToken, named: true, reqs: reqs([]string{"create"}, "", "serviceaccounts/token")},
	{kind: fImpersonateSA, named: true, reqs: reqs([]string{"impersonate"}, "", "serviceaccounts")},
	{kind: fImpersonateUser, cluster: true, named: true, reqs: reqs([]string{"impersonate"}, "", "users")},
	{kind: fImpersonateGrp, cluster: true, named: true, reqs: reqs([]string{"impersonate"}, "", "groups")},
	{kind: fBindCR, cluster: true, named: true, reqs: reqs([]string{"bind"}, rbacv1.GroupName, "clusterroles")},
	{kind: fCreateCRB, cluster: true, reqs: reqs([]string{"create"}, rbacv1.GroupName, "clusterrolebindings")},
	{kind: fEscalateCR, cluster: true, named: true, reqs: reqs([]string{"escalate"}, rbacv1.GroupName, "clusterroles")},
	{kind: fUpdateCR, cluster: true, named: true, reqs: reqs([]string{"update", "patch"}, rbacv1.GroupName, "clusterroles")},
	{kind: fCSRCreate, cluster: true, reqs: reqs([]string{"create"}, "certificates.k8s.io", "certificatesigningrequests")},
	{kind: fCSRApprove, cluster: true, reqs: reqs([]string{"update", "patch"}, "certificates.k8s.io", "certificatesigningrequests/approval")},
	{kind: fSignerApprove, cluster: true, named: true, reqs: reqs([]string{"approve"}, "certificates.k8s.io", "signers")},
	{kind: fNodesProxy, cluster: true, named: true, reqs: reqs([]string{"get", "create"}, "", "nodes/proxy")},
	{kind: fMutatingHooks, cluster: true, reqs: reqs([]string{"create", "update", "patch"}, "admissionregistration.k8s.io", "mutatingwebhookconfigurations")},
}

// factsOf lists what the rules of some bindings allow.
func factsOf(bindings []*authz.Binding) []fact {
	var out []fact
	for _, b := range bindings {
		rules := b.Rules()
		// Full control of every resource is judged over all the rules of the role,
		// whatever the verbs are called (rbac.FullControl).
		if b.Namespace == "" && rbac.FullControl(rules) != nil {
			out = append(out, fact{fEverything, "", "*", b})
		}
		for i := range rules {
			r := &rules[i]
			for _, p := range probes {
				if p.cluster && b.Namespace != "" {
					continue
				}
				for _, q := range p.reqs {
					if authz.RuleAllows(r, &q) {
						out = append(out, fact{p.kind, b.Namespace, "*", b})
						break
					}
					if p.named && len(r.ResourceNames) > 0 {
						hit := false
						for _, n := range r.ResourceNames {
							q.Name = n
							if authz.RuleAllows(r, &q) {
								out = append(out, fact{p.kind, b.Namespace, n, b})
								hit = true
							}
						}
						if hit {
							break
						}
					}
				}
			}
		}
	}
	return out
}

// build makes the graph and lists the subjects paths start from: those the scanned
// objects name, not the bootstrap policy's own.
func build(in Input) (*graph, []Node) {
	g := &graph{index: map[Node]int{}}
	p := in.Policy

	// Principals: "u:USER" and "g:GROUP" → the bindings that name them.
	byPrincipal := map[string][]*authz.Binding{}
	sas := map[string]map[string]bool{}
	addSA := func(ns, name string) {
		if sas[ns] == nil {
			sas[ns] = map[string]bool{"default": true}
		}
		sas[ns][name] = true
	}
	users := map[string]bool{}
	groups := map[string]bool{}
	// scanned are the subjects that the scanned objects name (the built-in bootstrap
	// policy's own subjects, such as the controllers' service accounts, are steps of
	// paths but not where paths start: every cluster has them).
	scanned := map[Node]bool{}
	for _, b := range p.Bindings() {
		if b.Role() == nil || len(b.Rules()) == 0 {
			continue
		}
		ours := !rbac.IsBuiltinSource(b.Source)
		if ours && b.Namespace != "" {
			scanned[Node{Kind: rbacv1.ServiceAccountKind, Name: "default", Namespace: b.Namespace}] = true
		}
		for _, s := range b.Subjects {
			var n Node
			switch s.Kind {
			case rbacv1.UserKind:
				byPrincipal["u:"+s.Name] = append(byPrincipal["u:"+s.Name], b)
				users[s.Name] = true
				n = Node{Kind: s.Kind, Name: s.Name}
			case rbacv1.GroupKind:
				byPrincipal["g:"+s.Name] = append(byPrincipal["g:"+s.Name], b)
				groups[s.Name] = true
				n = Node{Kind: s.Kind, Name: s.Name}
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = b.Namespace
				}
				if ns == "" {
					continue
				}
				u := "u:" + authz.ServiceAccountUser(ns, s.Name)
				byPrincipal[u] = append(byPrincipal[u], b)
				addSA(ns, s.Name)
				n = Node{Kind: s.Kind, Name: s.Name, Namespace: ns}
			}
			scanned[n] = scanned[n] || ours
		}
	}
	for _, sa := range in.ServiceAccounts {
		if ns, name, ok := strings.Cut(sa, "/"); ok {
			addSA(ns, name)
			scanned[Node{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}] = true
		}
	}
	for _, ns := range in.Namespaces {
		addSA(ns, "default")
		scanned[Node{Kind: rbacv1.ServiceAccountKind, Name: "default", Namespace: ns}] = true
	}
	for _, r := range p.Roles() {
		if r.Namespace != "" && !rbac.IsBuiltinSource(r.Source) {
			scanned[Node{Kind: rbacv1.ServiceAccountKind, Name: "default", Namespace: r.Namespace}] = true
		}
	}
	for _, ns := range p.Namespaces() {
		addSA(ns, "default")
	}
	namespaces := make([]string, 0, len(sas))
	for ns := range sas {
		namespaces = append(namespaces, ns)
	}
	sort.Strings(namespaces)

	factCache := map[string][]fact{}
	factsFor := func(keys []string) []fact {
		var out []fact
		for _, k := range keys {
			f, ok := factCache[k]
			if !ok {
				f = factsOf(byPrincipal[k])
				factCache[k] = f
			}
			out = append(out, f...)
		}
		return out
	}

	var subjects []Node
	goalCA := Node{Kind: kindGoal, Name: GoalClusterAdmin}
	goalRS := Node{Kind: kindGoal, Name: GoalReadSecrets}
	g.node(goalCA)
	g.node(goalRS)

	// Pseudo nodes.
	anySA := func(ns string) Node {
		if ns == "" {
			ns = "*"
		}
		return Node{Kind: kindAnySA, Namespace: ns}
	}
	for _, ns := range namespaces {
		names := make([]string, 0, len(sas[ns]))
		for n := range sas[ns] {
			names = append(names, n)
		}
		sort.Strings(names)
		g.add(anySA(""), anySA(ns), "", "in namespace "+ns, nil)
		for _, n := range names {
			sa := Node{Kind: rbacv1.ServiceAccountKind, Name: n, Namespace: ns}
			g.add(anySA(ns), sa, "", "run a pod as "+ns+"/"+n, nil)
			subjects = append(subjects, sa)
		}
	}
	userNames := sortedKeys(users)
	for _, u := range userNames {
		subjects = append(subjects, Node{Kind: rbacv1.UserKind, Name: u})
	}
	for _, gr := range sortedKeys(groups) {
		if gr != authz.GroupMasters {
			subjects = append(subjects, Node{Kind: rbacv1.GroupKind, Name: gr})
		}
	}
	g.add(Node{Kind: rbacv1.GroupKind, Name: authz.GroupMasters}, goalCA, "rbac/cluster-admin-equivalent", "the API server allows system:masters everything", nil)
	anyUser := Node{Kind: kindAnyUser}
	for _, u := range userNames {
		g.add(anyUser, Node{Kind: rbacv1.UserKind, Name: u}, "rbac/impersonate", "impersonate "+u, nil)
	}
	g.add(anyUser, anySA(""), "rbac/impersonate", "impersonate system:serviceaccount:NS:NAME", nil)

	for _, s := range subjects {
		var keys []string
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			keys = []string{"u:" + authz.ServiceAccountUser(s.Namespace, s.Name), "g:" + authz.GroupServiceAccounts,
				"g:" + authz.GroupServiceAccounts + ":" + s.Namespace, "g:" + authz.GroupAuthenticated}
		case rbacv1.UserKind:
			keys = []string{"u:" + s.Name, "g:" + authz.GroupAuthenticated}
			if s.Name == authz.UserAnonymous {
				keys[1] = "g:" + authz.GroupUnauthenticated
			}
		case rbacv1.GroupKind:
			keys = []string{"g:" + s.Name}
			if s.Name != authz.GroupUnauthenticated && s.Name != authz.GroupAuthenticated {
				keys = append(keys, "g:"+authz.GroupAuthenticated)
			}
		}
		edges(g, s, factsFor(keys), anySA, in.TokenSecrets)
	}
	starts := subjects[:0:0]
	for _, s := range subjects {
		if scanned[s] {
			starts = append(starts, s)
		}
	}
	return g, starts
}

// edges turns a subject's facts into edges.
func edges(g *graph, s Node, facts []fact, anySA func(string) Node, tokens map[string][]string) {
	goalCA := Node{Kind: kindGoal, Name: GoalClusterAdmin}
	goalRS := Node{Kind: kindGoal, Name: GoalReadSecrets}
	where := func(scope string) string {
		if scope == "" {
			return "in every namespace"
		}
		return "in namespace " + scope
	}
	have := map[string][]fact{}
	boundCR := map[string]bool{}
	for _, f := range facts {
		have[f.kind] = append(have[f.kind], f)
		if f.b.Kind == "ClusterRoleBinding" && f.b.RoleRef.Kind == "ClusterRole" {
			boundCR[f.b.RoleRef.Name] = true
		}
	}
	first := func(kind string, ok func(fact) bool) (fact, bool) {
		for _, f := range have[kind] {
			if ok == nil || ok(f) {
				return f, true
			}
		}
		return fact{}, false
	}
	for _, f := range have[fEverything] {
		g.add(s, goalCA, "rbac/cluster-admin-equivalent", "reads, creates, changes and deletes every resource", f.b)
	}
	for _, f := range have[fListSecrets] {
		if f.scope == "" {
			g.add(s, goalRS, "rbac/read-secrets", "list Secrets in every namespace", f.b)
			continue
		}
		for _, sa := range tokens[f.scope] {
			g.add(s, Node{Kind: rbacv1.ServiceAccountKind, Namespace: f.scope, Name: sa}, "rbac/read-secrets",
				"read the token Secret of "+f.scope+"/"+sa, f.b)
		}
	}
	for _, f := range have[fCreatePods] {
		g.add(s, anySA(f.scope), "rbac/create-workloads", "create pods "+where(f.scope), f.b)
	}
	for _, f := range have[fExecPods] {
		g.add(s, anySA(f.scope), "rbac/exec-into-pods", "exec into pods "+where(f.scope), f.b)
	}
	for _, kind := range []string{fSAToken, fImpersonateSA} {
		prim, how := "rbac/create-serviceaccount-token", "create a token for "
		if kind == fImpersonateSA {
			prim, how = "rbac/impersonate", "impersonate "
		}
		for _, f := range have[kind] {
			if f.name == "*" {
				g.add(s, anySA(f.scope), prim, how+"any service account "+where(f.scope), f.b)
			} else if f.scope != "" {
				g.add(s, Node{Kind: rbacv1.ServiceAccountKind, Namespace: f.scope, Name: f.name}, prim, how+f.scope+"/"+f.name, f.b)
			}
		}
	}
	for _, c := range have[fCreateSecrets] {
		if _, ok := first(fGetSecrets, func(f fact) bool { return f.name == "*" && (f.scope == "" || f.scope == c.scope) }); ok {
			g.add(s, anySA(c.scope), "rbac/create-secrets", "create a service-account-token Secret and read it "+where(c.scope), c.b)
		}
	}
	// The API server refuses to impersonate a group without a user.
	_, user := first(fImpersonateUser, nil)
	if _, sa := first(fImpersonateSA, nil); sa {
		user = true
	}
	for _, f := range have[fImpersonateGrp] {
		switch {
		case !user:
		case f.name == "*" || f.name == authz.GroupMasters:
			g.add(s, goalCA, "rbac/impersonate", "impersonate the group system:masters", f.b)
		default:
			g.add(s, Node{Kind: rbacv1.GroupKind, Name: f.name}, "rbac/impersonate", "impersonate the group "+f.name, f.b)
		}
	}
	for _, f := range have[fImpersonateUser] {
		if f.name == "*" {
			g.add(s, Node{Kind: kindAnyUser}, "rbac/impersonate", "impersonate any user", f.b)
		} else if ns, name, ok := saUser(f.name); ok {
			g.add(s, Node{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}, "rbac/impersonate", "impersonate "+f.name, f.b)
		} else {
			g.add(s, Node{Kind: rbacv1.UserKind, Name: f.name}, "rbac/impersonate", "impersonate the user "+f.name, f.b)
		}
	}
	if b, ok := first(fBindCR, func(f fact) bool { return f.name == "*" || f.name == "cluster-admin" }); ok {
		if _, ok := first(fCreateCRB, nil); ok {
			g.add(s, goalCA, "rbac/bind-verb", "bind ClusterRole cluster-admin to itself with a new ClusterRoleBinding", b.b)
		}
	}
	for _, e := range have[fEscalateCR] {
		if e.name != "*" && !boundCR[e.name] {
			continue
		}
		if _, ok := first(fUpdateCR, func(f fact) bool { return f.name == "*" || f.name == e.name || (e.name == "*" && boundCR[f.name]) }); ok {
			g.add(s, goalCA, "rbac/escalate-verb", "rewrite a ClusterRole bound to it to allow everything (escalate)", e.b)
			break
		}
	}
	if c, ok := first(fCSRCreate, nil); ok {
		_, approve := first(fCSRApprove, nil)
		_, signer := first(fSignerApprove, func(f fact) bool { return f.name == "*" || f.name == "kubernetes.io/kube-apiserver-client" })
		if approve && signer {
			g.add(s, goalCA, "rbac/approve-csr", "request and approve a client certificate in the group system:masters", c.b)
		}
	}
	if f, ok := first(fNodesProxy, nil); ok {
		g.add(s, anySA(""), "rbac/nodes-proxy", "run commands in any pod through the kubelet API (nodes/proxy)", f.b)
	}
	if f, ok := first(fMutatingHooks, nil); ok {
		g.add(s, anySA(""), "rbac/modify-admission-webhooks", "register a mutating webhook that rewrites pods to any service account", f.b)
	}
}

func saUser(u string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(u, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != ""
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
