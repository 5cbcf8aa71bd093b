package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestServiceAccountNotFound(t *testing.T) { ruletest.Fixtures(t, "pod/service-account-not-found") }

func TestListNames(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"a"}, `"a"`},
		{[]string{"b", "a"}, `"a" and "b"`},
		{[]string{"g", "f", "e", "d", "c", "b", "a"}, `"a", "b", "c", "d", "e" and 2 more`},
	} {
		if got := listNames(tc.in); got != tc.want {
			t.Errorf("listNames(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
