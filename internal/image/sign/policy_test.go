package sign

import (
	"regexp"
	"strings"
	"testing"
)

func TestImageName(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"nginx", "docker.io/library/nginx"},
		{"nginx:1.27", "docker.io/library/nginx"},
		{"nginx@sha256:" + strings.Repeat("a", 64), "docker.io/library/nginx"},
		{"bitnami/redis:7", "docker.io/bitnami/redis"},
		{"index.docker.io/library/nginx", "docker.io/library/nginx"},
		{"docker.io/nginx", "docker.io/library/nginx"},
		{"registry.example.com/team/app:v1@sha256:" + strings.Repeat("b", 64), "registry.example.com/team/app"},
		{"localhost:5000/app", "localhost:5000/app"},
		{"localhost:5000/app:dev", "localhost:5000/app"},
		{"Registry.Example.com/team/app", "registry.example.com/team/app"},
		{"localhost/app", "localhost/app"},
	}
	for _, tt := range tests {
		if got := ImageName(tt.ref); got != tt.want {
			t.Errorf("ImageName(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"registry.example.com/team/*", "registry.example.com/team/app", true},
		{"registry.example.com/team/*", "registry.example.com/team/sub/app", false},
		{"registry.example.com/team/**", "registry.example.com/team/sub/app", true},
		{"registry.example.com/**", "registry.example.com/app", true},
		{"**", "docker.io/library/nginx", true},
		{"*/team/app", "registry.example.com/team/app", true},
		{"*/team/app", "registry.example.com/other/app", false},
		{"registry.example.com/team/app?", "registry.example.com/team/app1", true},
		{"registry.example.com/team/app?", "registry.example.com/team/app", false},
		{"registry.example.com/team/app?", "registry.example.com/team/app/", false},
		{"registry.example.com/team/app", "registry.example.com/team/app", true},
		{"registry.example.com/team/app", "registry.example.com/team/apps", false},
		{"registry.example.com/team/a*p", "registry.example.com/team/ap", true},
		{"registry.example.com/team/a*p", "registry.example.com/team/a/p", false},
		{"***", "a/b", true},
		{"", "", true},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestRuleFor(t *testing.T) {
	p := &Policy{Rules: []Rule{
		{Images: []string{"registry.example.com/team/*"}, Keys: []string{"team.pub"}},
		{Images: []string{"nginx", "docker.io/bitnami/*"}, Keys: []string{"hub.pub"}},
		{Images: []string{"registry.example.com/**"}, Keys: []string{"all.pub"}},
	}}
	tests := []struct {
		ref  string
		want string // the rule's first key; "" for no rule
	}{
		{"registry.example.com/team/app:v1", "team.pub"},
		{"registry.example.com/team/app@sha256:" + strings.Repeat("c", 64), "team.pub"},
		{"registry.example.com/team/sub/app:v1", "all.pub"},
		{"registry.example.com/other:v1", "all.pub"},
		{"nginx:1.27", "hub.pub"},
		{"docker.io/library/nginx", "hub.pub"},
		{"bitnami/redis", "hub.pub"},
		{"redis", ""},
		{"ghcr.io/team/app", ""},
	}
	for _, tt := range tests {
		r := p.RuleFor(tt.ref)
		got := ""
		if r != nil {
			got = r.Keys[0]
		}
		if got != tt.want {
			t.Errorf("RuleFor(%q) is the rule of %q, want %q", tt.ref, got, tt.want)
		}
	}
	if r := (*Policy)(nil).RuleFor("nginx"); r != nil {
		t.Errorf("a nil policy gave rule %+v", r)
	}
}

func TestPolicyValidate(t *testing.T) {
	id := Identity{Issuer: "https://issuer.example.com", Subject: "ci@example.com"}
	tests := []struct {
		name string
		rule Rule
		want string // "" for valid
	}{
		{"keyed rule", Rule{Images: []string{"registry.example.com/*"}, Keys: []string{"k.pub"}}, ""},
		{"keyless rule with regular expressions", Rule{Images: []string{"**"}, Keyless: []Identity{{IssuerRegexp: `https://.*`, SubjectRegexp: `.*@example\.com`}}}, ""},
		{"no images", Rule{Keys: []string{"k.pub"}}, "rules[0].images: names no image pattern"},
		{"empty pattern", Rule{Images: []string{" "}, Keys: []string{"k.pub"}}, "rules[0].images[0]: is empty"},
		{"pattern with a tag", Rule{Images: []string{"registry.example.com/app:v1"}, Keys: []string{"k.pub"}}, "rules[0].images[0]: \"registry.example.com/app:v1\" has a tag"},
		{"pattern with a digest", Rule{Images: []string{"registry.example.com/app@sha256:00"}, Keys: []string{"k.pub"}}, "has a digest"},
		{"bare star", Rule{Images: []string{"*"}, Keys: []string{"k.pub"}}, "has no registry part"},
		{"registry port is not a tag", Rule{Images: []string{"localhost:5000/*"}, Keys: []string{"k.pub"}}, ""},
		{"no signer", Rule{Images: []string{"**"}}, "rules[0]: names no keys and no keyless identities"},
		{"empty key", Rule{Images: []string{"**"}, Keys: []string{""}}, "rules[0].keys[0]: is empty"},
		{"identity without issuer", Rule{Images: []string{"**"}, Keyless: []Identity{{Subject: "ci@example.com"}}}, "rules[0].keyless[0]: needs issuer or issuerRegexp"},
		{"identity without subject", Rule{Images: []string{"**"}, Keyless: []Identity{{Issuer: id.Issuer}}}, "rules[0].keyless[0]: needs subject or subjectRegexp"},
		{"identity with both forms", Rule{Images: []string{"**"}, Keyless: []Identity{{Issuer: id.Issuer, Subject: "a", SubjectRegexp: "a"}}}, "has both subject and subjectRegexp"},
		{"bad regular expression", Rule{Images: []string{"**"}, Keyless: []Identity{{Issuer: id.Issuer, SubjectRegexp: "("}}}, "rules[0].keyless[0].subjectRegexp: error parsing regexp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Policy{Rules: []Rule{tt.rule}}).Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestIdentityString(t *testing.T) {
	tests := []struct {
		id   Identity
		want string
	}{
		{Identity{Issuer: "https://i", Subject: "s@x"}, `issuer "https://i" subject "s@x"`},
		{Identity{IssuerRegexp: "https://.*", SubjectRegexp: ".*@x"}, `issuer matching "https://.*" subject matching ".*@x"`},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// FuzzGlobMatch compares globMatch with the same glob written as a regular expression.
func FuzzGlobMatch(f *testing.F) {
	f.Add("registry.example.com/team/*", "registry.example.com/team/app")
	f.Add("registry.example.com/**", "registry.example.com/a/b")
	f.Add("*/a?c/**", "x/abc/d/e")
	f.Add("a*b*c*d*e*f*g", strings.Repeat("a", 200))
	f.Fuzz(func(t *testing.T, pattern, name string) {
		// Image names are ASCII (and the regular expression reads runes, globMatch bytes).
		if len(pattern) > 256 || len(name) > 256 || !isASCII(pattern) || !isASCII(name) {
			return
		}
		want := globRegexp(pattern).MatchString(name)
		if got := globMatch(pattern, name); got != want {
			t.Fatalf("globMatch(%q, %q) = %v, the regular expression says %v", pattern, name, got, want)
		}
	})
}

func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	for i := 0; i < len(pattern); i++ {
		switch {
		case strings.HasPrefix(pattern[i:], "**"):
			for i+1 < len(pattern) && pattern[i+1] == '*' {
				i++
			}
			b.WriteString(`(?s:.*)`)
		case pattern[i] == '*':
			b.WriteString(`[^/]*`)
		case pattern[i] == '?':
			b.WriteString(`[^/]`)
		default:
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
