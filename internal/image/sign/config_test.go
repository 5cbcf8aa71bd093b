package sign

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/exceptions"
)

func parseConfig(t *testing.T, yaml string) (*Policy, error) {
	t.Helper()
	cfg, err := exceptions.Parse([]byte(yaml), ".moat.yaml")
	if err != nil {
		t.Fatalf("the config itself does not parse: %v", err)
	}
	return ParsePolicy(cfg)
}

func TestParsePolicy(t *testing.T) {
	p, err := parseConfig(t, `
images:
  signatures:
    rules:
      - images: [registry.example.com/team/*]
        keys: [keys/team.pub]
      - images: ["ghcr.io/acme/**"]
        keyless:
          - issuer: https://token.actions.githubusercontent.com
            subjectRegexp: https://github\.com/acme/.+
        trustedRoot: trusted_root.json
        requireTransparencyLog: true
        requireTimestamp: false
        predicateTypes: [https://sigstore.dev/cosign/sign/v1]
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 2 {
		t.Fatalf("got %d rules, want 2", len(p.Rules))
	}
	r0, r1 := p.Rules[0], p.Rules[1]
	if r0.Images[0] != "registry.example.com/team/*" || r0.Keys[0] != "keys/team.pub" || len(r0.Keyless) != 0 {
		t.Errorf("rule 0 = %+v", r0)
	}
	want := Identity{Issuer: "https://token.actions.githubusercontent.com", SubjectRegexp: `https://github\.com/acme/.+`}
	if len(r1.Keyless) != 1 || r1.Keyless[0] != want || r1.TrustedRoot != "trusted_root.json" || !r1.RequireTlog || r1.RequireTimestamp {
		t.Errorf("rule 1 = %+v", r1)
	}
	if got := p.RuleFor("ghcr.io/acme/tools/app:1"); got != &p.Rules[1] {
		t.Errorf("RuleFor picked %+v", got)
	}
}

func TestParsePolicyAbsent(t *testing.T) {
	for _, yaml := range []string{"", "images:\n  allowedRegistries: [ghcr.io]\n", "images:\n  signatures:\n"} {
		p, err := parseConfig(t, yaml)
		if p != nil || err != nil {
			t.Errorf("config %q: got %+v, %v; want no policy and no error", yaml, p, err)
		}
	}
	if p, err := ParsePolicy(nil); p != nil || err != nil {
		t.Errorf("nil config: got %+v, %v", p, err)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string
	}{
		{"not a mapping", "images:\n  signatures: [a]\n", ".moat.yaml:2: images.signatures: want a mapping with the fields rules"},
		{"unknown field", "images:\n  signatures:\n    rulez: []\n", `.moat.yaml:3: images.signatures: unknown field "rulez" (want rules)`},
		{"rules not a list", "images:\n  signatures:\n    rules: {}\n", ".moat.yaml:3: images.signatures.rules: want a list"},
		{"unknown rule field", "images:\n  signatures:\n    rules:\n      - images: [a.io/*]\n        key: [k.pub]\n", `.moat.yaml:5: images.signatures.rules[0]: unknown field "key"`},
		{"images not a list", "images:\n  signatures:\n    rules:\n      - images: a.io/*\n        keys: [k.pub]\n", ".moat.yaml:4: images.signatures.rules[0].images: want a list"},
		{"boolean as a string", "images:\n  signatures:\n    rules:\n      - images: [a.io/*]\n        keys: [k.pub]\n        requireTimestamp: \"yes\"\n", ".moat.yaml:6: images.signatures.rules[0].requireTimestamp: want true or false"},
		{"repeated field", "images:\n  signatures:\n    rules:\n      - images: [a.io/*]\n        keys: [k.pub]\n        keys: [l.pub]\n", `.moat.yaml:6: images.signatures.rules[0]: field "keys" is repeated`},
		{"alias", "images:\n  signatures:\n    rules:\n      - images: &i [a.io/*]\n        keys: *i\n", ".moat.yaml:4: images.signatures.rules[0].images: YAML anchors and aliases are not supported"},
		{"pattern with a tag, on its line", "images:\n  signatures:\n    rules:\n      - images:\n          - a.io/app\n          - a.io/app:v1\n        keys: [k.pub]\n", `.moat.yaml:6: images.signatures.rules[0].images[1]: "a.io/app:v1" has a tag`},
		{"rule with no signer, on the rule's line", "images:\n  signatures:\n    rules:\n      - images: [a.io/*]\n", ".moat.yaml:4: images.signatures.rules[0]: names no keys and no keyless identities"},
		{"identity without subject", "images:\n  signatures:\n    rules:\n      - images: [a.io/*]\n        keyless:\n          - issuer: https://i\n", ".moat.yaml:6: images.signatures.rules[0].keyless[0]: needs subject or subjectRegexp"},
		{"bad regular expression", "images:\n  signatures:\n    rules:\n      - images: [a.io/*]\n        keyless:\n          - issuer: https://i\n            subjectRegexp: \"(\"\n", ".moat.yaml:7: images.signatures.rules[0].keyless[0].subjectRegexp: error parsing regexp"},
		{"unknown identity field", "images:\n  signatures:\n    rules:\n      - images: [a.io/*]\n        keyless:\n          - issuer: https://i\n            san: x\n", `.moat.yaml:7: images.signatures.rules[0].keyless[0]: unknown field "san"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(t, tt.yaml)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
