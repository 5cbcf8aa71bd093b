package authz

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is one authorization question, shaped like a SubjectAccessReview: who asks
// (User and Groups, taken as given: nothing is added), and either a resource request
// (Verb, APIGroup, Resource, Subresource, Name, Namespace) or, when NonResource is set,
// a request for Path.
type Request struct {
	User   string   `json:"user,omitempty"`
	Groups []string `json:"groups,omitempty"`

	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
	// Namespace empty asks about the cluster scope: only ClusterRoleBindings apply.
	Namespace string `json:"namespace,omitempty"`

	NonResource bool   `json:"nonResource,omitempty"`
	Path        string `json:"path,omitempty"`
}

// RuleAllows reports whether one PolicyRule allows the request, ignoring who asks. It
// follows the RBAC authorizer of kube-apiserver (plugin/pkg/auth/authorizer/rbac):
//
//   - verbs: "*" or the verb itself;
//   - apiGroups: "*" or the group itself ("" is the core group);
//   - resources: "*", the resource itself, "RESOURCE/SUBRESOURCE" for a subresource
//     request, or "*/SUBRESOURCE" for that subresource of any resource ("pods" does not
//     cover "pods/exec");
//   - resourceNames: empty allows every name, else the request's name must be listed.
//     A request without a name (list, watch, create, deletecollection) is therefore not
//     allowed by a rule that lists names, whatever the verb;
//   - nonResourceURLs: "*", the path itself, or a prefix followed by "*" ("/healthz*"
//     covers "/healthz" and "/healthz/etcd"); no other pattern syntax exists.
func RuleAllows(r *rbacv1.PolicyRule, q *Request) bool {
	if !verbMatches(r.Verbs, q.Verb) {
		return false
	}
	if q.NonResource {
		return urlMatches(r.NonResourceURLs, q.Path)
	}
	return groupMatches(r.APIGroups, q.APIGroup) &&
		resourceMatches(r.Resources, q.Resource, q.Subresource) &&
		nameMatches(r.ResourceNames, q.Name)
}

func verbMatches(verbs []string, verb string) bool {
	for _, v := range verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

func groupMatches(groups []string, group string) bool {
	for _, g := range groups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

func resourceMatches(resources []string, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined = resource + "/" + sub
	}
	for _, r := range resources {
		if r == rbacv1.ResourceAll || r == combined {
			return true
		}
		if sub != "" && len(r) == len(sub)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, sub) {
			return true
		}
	}
	return false
}

func nameMatches(names []string, name string) bool {
	if len(names) == 0 {
		return true
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func urlMatches(urls []string, path string) bool {
	for _, u := range urls {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// ServiceAccountUser is the user name of a service account's token.
func ServiceAccountUser(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// ServiceAccountGroups are the groups of a service account's token: system:serviceaccounts,
// system:serviceaccounts:NS and system:authenticated.
func ServiceAccountGroups(namespace string) []string {
	return []string{GroupServiceAccounts, GroupServiceAccounts + ":" + namespace, GroupAuthenticated}
}

// Well-known users and groups.
const (
	GroupMasters         = "system:masters"
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	GroupServiceAccounts = "system:serviceaccounts"
	UserAnonymous        = "system:anonymous"
)

// appliesTo reports whether a binding subject names the asker. A ServiceAccount subject
// without a namespace takes the binding's (RoleBindings); in a ClusterRoleBinding it
// matches nobody. Matching is by user name: a User subject named
// "system:serviceaccount:NS:NAME" matches that service account too.
func appliesTo(s *rbacv1.Subject, bindingNS, user string, groups []string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return s.Name == user
	case rbacv1.GroupKind:
		for _, g := range groups {
			if g == s.Name {
				return true
			}
		}
		return false
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		return ns != "" && user == ServiceAccountUser(ns, s.Name)
	}
	return false
}
