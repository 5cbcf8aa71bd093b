package authz

import (
	"fmt"
	"slices"
	"strings"
)

// ParseQuestion reads the words of a who-can question: VERB and RESOURCE, where
// RESOURCE is RESOURCE[/SUBRESOURCE], RESOURCE.GROUP or a non-resource URL that begins
// with "/". group, name and namespace come from flags; a group given with --api-group
// wins over the one in RESOURCE.GROUP.
func ParseQuestion(verb, resource, group, name, namespace string) (Request, error) {
	q := Request{Verb: verb, Name: name, Namespace: namespace}
	if verb == "" {
		return q, fmt.Errorf("VERB is empty")
	}
	if strings.HasPrefix(resource, "/") {
		if group != "" || name != "" || namespace != "" {
			return q, fmt.Errorf("a non-resource URL (%s) takes no --api-group, --name or -n", resource)
		}
		return Request{Verb: verb, NonResource: true, Path: resource}, nil
	}
	res, sub, _ := strings.Cut(resource, "/")
	if res == "" || strings.Contains(sub, "/") {
		return q, fmt.Errorf("RESOURCE %q: want RESOURCE, RESOURCE/SUBRESOURCE or /URL", resource)
	}
	if r, g, ok := strings.Cut(res, "."); ok && group == "" {
		res, group = r, g
	}
	if res == "" {
		return q, fmt.Errorf("RESOURCE %q: want RESOURCE, RESOURCE.GROUP, RESOURCE/SUBRESOURCE or /URL", resource)
	}
	q.Resource, q.Subresource, q.APIGroup = res, sub, group
	return q, nil
}

// Identity is who a `can` question is about: a user name (empty for a group asked
// about alone) and the groups the request carries.
type Identity struct {
	User   string
	Groups []string
}

// ParseSubject reads user:NAME, group:NAME or sa:NS/NAME. Users get the groups the API
// server's authenticator adds (system:authenticated, or system:unauthenticated for
// system:anonymous) and the extra ones given; service accounts get theirs; a group is
// asked about alone.
func ParseSubject(s string, extra []string) (Identity, error) {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return Identity{}, fmt.Errorf("SUBJECT %q: want user:NAME, group:NAME or sa:NS/NAME", s)
	}
	switch kind {
	case "user":
		g := GroupAuthenticated
		if name == UserAnonymous {
			g = GroupUnauthenticated
		}
		return Identity{User: name, Groups: append([]string{g}, extra...)}, nil
	case "group":
		return Identity{Groups: append([]string{name}, extra...)}, nil
	case "sa", "serviceaccount":
		ns, n, ok := strings.Cut(name, "/")
		if !ok || ns == "" || n == "" {
			return Identity{}, fmt.Errorf("SUBJECT %q: want sa:NAMESPACE/NAME", s)
		}
		return Identity{User: ServiceAccountUser(ns, n), Groups: append(ServiceAccountGroups(ns), extra...)}, nil
	}
	return Identity{}, fmt.Errorf("SUBJECT %q: kind %q is not user, group or sa", s, kind)
}

// Answer is the verdict on one question of Policy.Answer.
type Answer struct {
	Allowed bool `json:"allowed"`
	Via     *Via `json:"via,omitempty"`
}

// Answer answers many questions at once, in order: what the hidden `rbac check`
// command prints for the tests that compare Moat with SubjectAccessReviews.
func (p *Policy) Answer(qs []Request) []Answer {
	out := make([]Answer, len(qs))
	for i, q := range qs {
		ok, g := p.Allows(q)
		out[i].Allowed = ok
		if ok {
			v := g.Via()
			out[i].Via = &v
		}
	}
	return out
}

// NamespaceAnswer is the answer of a who-can question in one namespace; Namespace is
// empty for the question without one (cluster-wide).
type NamespaceAnswer struct {
	Namespace string    `json:"namespace,omitempty"`
	Subjects  []Subject `json:"subjects"`
}

// WhoCanEverywhere answers q (its Namespace ignored) cluster-wide, then in each
// namespace of namespaces and of the policy, sorted: `who-can -A`. A non-resource URL
// has no namespace and gets the cluster-wide answer alone.
func (p *Policy) WhoCanEverywhere(q Request, namespaces []string) []NamespaceAnswer {
	q.Namespace = ""
	out := []NamespaceAnswer{{Subjects: p.WhoCan(q)}}
	if q.NonResource {
		return out
	}
	all := append(slices.Clone(namespaces), p.Namespaces()...)
	slices.Sort(all)
	for _, ns := range slices.Compact(all) {
		if ns == "" {
			continue
		}
		q.Namespace = ns
		out = append(out, NamespaceAnswer{Namespace: ns, Subjects: p.WhoCan(q)})
	}
	return out
}
