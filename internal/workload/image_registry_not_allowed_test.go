package workload

import (
	"path/filepath"
	"testing"

	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

// registryOptions are the config file's lists the fixtures are evaluated with.
func registryOptions() rule.Options {
	opt := ruletest.Options
	opt.Registries = rule.Registries{
		Allowed: []string{"registry.example.com", "ghcr.io/acme", "*.mirror.example", "docker.io/library"},
		Denied:  []string{"registry.example.com/sandbox"},
	}
	return opt
}

func TestImageRegistryNotAllowed(t *testing.T) {
	ruletest.FixturesWith(t, "image/registry-not-allowed", registryOptions())
}

// With no lists in the config file the rule checks nothing.
func TestImageRegistryNotAllowedWithoutLists(t *testing.T) {
	fs := ruletest.Run(t, rule.Get("image/registry-not-allowed"), filepath.Join("testdata", "image_registry-not-allowed", "fail", "outside.yaml"))
	if len(fs) != 0 {
		t.Errorf("findings with no registry lists:\n%s", ruletest.Format(fs))
	}
}

func TestMatchRegistry(t *testing.T) {
	entries := []string{"registry.example.com:5000", "ghcr.io/acme", "*.corp.example", "docker.io"}
	for _, tc := range []struct {
		name  string
		match string
	}{
		{"registry.example.com:5000/team/app", "registry.example.com:5000"},
		{"registry.example.com/team/app", ""}, // another port is another registry
		{"ghcr.io/acme/app", "ghcr.io/acme"},
		{"ghcr.io/acme", "ghcr.io/acme"},
		{"ghcr.io/acme-tools/app", ""},
		{"eu.corp.example/app", "*.corp.example"},
		{"eu.corp.example:443/app", "*.corp.example"},
		{"corp.example/app", ""},
		{"docker.io/library/nginx", "docker.io"},
		{"GHCR.IO/acme/app", "ghcr.io/acme"},
	} {
		got, ok := matchRegistry(tc.name, entries)
		if got != tc.match || ok != (tc.match != "") {
			t.Errorf("matchRegistry(%q) = %q, %v; want %q", tc.name, got, ok, tc.match)
		}
	}
}
