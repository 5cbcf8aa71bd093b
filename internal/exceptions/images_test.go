package exceptions

import (
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/rule"
)

func TestImagesSection(t *testing.T) {
	cfg := parseTestConfig(t, `images:
  allowedRegistries: [registry.example.com:5000, GHCR.io/acme/, "*.corp.example", index.docker.io/library]
  deniedRegistries:
    - docker.io
`)
	want := rule.Registries{
		Allowed: []string{"registry.example.com:5000", "ghcr.io/acme", "*.corp.example", "docker.io/library"},
		Denied:  []string{"docker.io"},
	}
	got := cfg.Registries()
	if !slices.Equal(got.Allowed, want.Allowed) || !slices.Equal(got.Denied, want.Denied) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	var none *Config
	if r := none.Registries(); r.Allowed != nil || r.Denied != nil {
		t.Errorf("a nil config has registries %+v", r)
	}
}

// Every mistake in the images section names the file, line and field.
func TestImagesSectionErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not a mapping", "images: [ghcr.io]\n", `.moat.yaml:1: images: want a mapping with allowedRegistries and deniedRegistries, not a list`},
		{"unknown field", "images:\n  allowed: [ghcr.io]\n", `.moat.yaml:2: images: unknown field "allowed" (want one of allowedRegistries, deniedRegistries, signatures)`},
		{"not a list", "images:\n  deniedRegistries: docker.io\n", `.moat.yaml:2: images.deniedRegistries: want a list of registries, not "docker.io"`},
		{"empty list", "images:\n  allowedRegistries: []\n", `.moat.yaml:2: images.allowedRegistries: empty list (leave the field out to check nothing)`},
		{"scheme", "images:\n  allowedRegistries: [https://ghcr.io]\n", `.moat.yaml:2: images.allowedRegistries[0]: "https://ghcr.io": write the registry without a scheme (ghcr.io, not https://ghcr.io)`},
		{"not a host", "images:\n  allowedRegistries:\n    - ghcr.io\n    - \"bad host\"\n", `.moat.yaml:4: images.allowedRegistries[1]: "bad host" is not a registry host (want a host name with an optional port and path, such as ghcr.io/acme, or *.example.com)`},
		{"upper-case path", "images:\n  deniedRegistries: [ghcr.io/Acme]\n", `.moat.yaml:2: images.deniedRegistries[0]: "ghcr.io/Acme": "Acme" is not a repository path (lower-case components separated by /)`},
		{"wildcard with a path", "images:\n  deniedRegistries: [\"*.corp.example/x\"]\n", `.moat.yaml:2: images.deniedRegistries[0]: "*.corp.example/x": a wildcard entry names hosts only, not a path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body), ".moat.yaml")
			if err == nil || strings.TrimSpace(err.Error()) != tt.want {
				t.Errorf("got %v\nwant %s", err, tt.want)
			}
		})
	}
}
