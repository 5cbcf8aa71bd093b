package report

import (
	"bytes"
	"testing"

	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
)

// `moat rbac who-can -A` prints the cluster-wide answer, then one per namespace; a
// non-resource URL, which has no namespace, and no answer at all still render.
func TestWhoCanEverywhereGolden(t *testing.T) {
	inv := rbacWorld(t)
	p := rbac.PolicyOf(inv)
	fixtures := map[string][]authz.NamespaceAnswer{
		"pods": p.WhoCanEverywhere(authz.Request{Verb: "list", Resource: "pods"}, inv.Namespaces()),
		"url":  p.WhoCanEverywhere(authz.Request{Verb: "get", NonResource: true, Path: "/debug/pprof"}, inv.Namespaces()),
		"none": nil,
	}
	for _, name := range []string{"pods", "url", "none"} {
		for _, c := range cases(WhoCanEverywhere, "whocan-everywhere", name, fixtures[name]) {
			t.Run(c.golden, func(t *testing.T) {
				var b bytes.Buffer
				if err := c.render(&b); err != nil {
					t.Fatal(err)
				}
				golden(t, c.golden, b.Bytes())
			})
		}
	}
	if n := len(fixtures["pods"]); n < 2 || fixtures["pods"][0].Namespace != "" {
		t.Errorf("pods: %d answers, the first in %q; want the cluster-wide one first, then the namespaces", n, fixtures["pods"][0].Namespace)
	}
}
