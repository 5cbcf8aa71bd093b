package authz

import (
	"strings"
	"testing"
)

func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{"user:alice", "group:system:masters", "sa:ci/deployer", "sa:/x", "serviceaccount:a/b", "alice", "user:", "sa:a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseSubject(s, nil)
		if err == nil && id.User == "" && len(id.Groups) == 0 {
			t.Errorf("%q: no identity and no error", s)
		}
	})
}

func FuzzParseQuestion(f *testing.F) {
	for _, s := range []string{"pods", "pods/exec", "deployments.apps", "/metrics", "a/b/c", "", "/"} {
		f.Add("get", s)
	}
	f.Fuzz(func(t *testing.T, verb, resource string) {
		q, err := ParseQuestion(verb, resource, "", "", "")
		if err != nil {
			return
		}
		if q.NonResource != strings.HasPrefix(resource, "/") || (!q.NonResource && q.Resource == "") {
			t.Errorf("%q %q: %+v", verb, resource, q)
		}
	})
}
