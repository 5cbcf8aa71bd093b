package exceptions

import (
	"strings"
	"testing"
)

func TestCompileGlob(t *testing.T) {
	tests := []struct {
		name, glob, s string
		fold, want    bool
	}{
		{"exact rule ID", "pod/privileged-container", "pod/privileged-container", false, true},
		{"exact is whole, not a prefix", "pod/privileged", "pod/privileged-container", false, false},
		{"star after the domain", "secret/*", "secret/credential-in-env", false, true},
		{"star does not leave the domain", "secret/*", "pod/secret-env", false, false},
		{"star alone matches slashes", "*", "rbac/wildcard-verbs", false, true},
		{"star inside a slug", "pod/host-*-volume", "pod/host-path-volume", false, true},
		{"star matches the empty string", "pod/*", "pod/", false, true},
		{"question mark is one character", "kube-?ublic", "kube-public", false, true},
		{"question mark is not zero characters", "ab?", "ab", false, false},
		{"question mark is one rune", "caf?", "café", false, true},
		{"class of letters", "team-[abc]", "team-b", false, true},
		{"class excludes others", "team-[abc]", "team-d", false, false},
		{"range", "ns-[0-9]", "ns-7", false, true},
		{"negated class with !", "ns-[!0-9]", "ns-7", false, false},
		{"negated class with ^", "ns-[^0-9]", "ns-x", false, true},
		{"] first in a class is literal", "x[]]", "x]", false, true},
		{"dash at the end of a class is literal", "a[b-]", "a-", false, true},
		{"escaped star is a star", `a\*`, "a*", false, true},
		{"escaped star is not a wildcard", `a\*`, "ab", false, false},
		{"regexp characters are literal", "a.b+(c)", "a.b+(c)", false, true},
		{"dot is not a wildcard", "a.b", "axb", false, false},
		{"case matters by default", "Deployment", "deployment", false, false},
		{"folding ignores case", "Deployment", "deployment", true, true},
		{"folding with a star", "daemon*", "DaemonSet", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := CompileGlob(tt.glob, tt.fold)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match(tt.s); got != tt.want {
				t.Errorf("%q matches %q: got %v, want %v", tt.glob, tt.s, got, tt.want)
			}
		})
	}
}

func TestCompileGlobErrors(t *testing.T) {
	tests := []struct{ name, glob, want string }{
		{"empty pattern", "", "empty pattern"},
		{"unclosed class", "pod/[priv", `bad pattern "pod/[priv": unclosed [`},
		{"empty class never closes", "a[]", `bad pattern "a[]": unclosed [`},
		{"trailing backslash", `pod\`, `bad pattern "pod\\": trailing \`},
		{"trailing backslash in a class", `[a\`, `bad pattern "[a\\": trailing \`},
		{"reversed range", "[z-a]", `bad pattern "[z-a]": invalid character class range z-a`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileGlob(tt.glob, false)
			if err == nil {
				t.Fatalf("%q: no error", tt.glob)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%q: error %q, want it to contain %q", tt.glob, err, tt.want)
			}
		})
	}
}
