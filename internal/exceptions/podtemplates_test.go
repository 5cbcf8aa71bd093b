package exceptions

import (
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/podspec"
)

func TestPodTemplatePathsSection(t *testing.T) {
	cfg, err := Load("testdata/config/valid/pod-template-paths.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	want := []podspec.TemplatePath{
		{Group: "example.com", Version: "v1", Kind: "Runner", Path: "spec.runner.template"},
		{Group: "example.com", Kind: "Sandbox", Path: "spec.podSpec", PodSpec: true},
		{Group: "argoproj.io", Kind: "Rollout", Path: "spec.template"},
	}
	if got := cfg.TemplatePaths(); !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	var none *Config
	if got := none.TemplatePaths(); got != nil {
		t.Errorf("a nil config has paths %+v", got)
	}
}

// Every mistake in the section's shape names the file, line and field; the mistakes
// inside an entry are in testdata/config/invalid/pod-template-paths.yaml.
func TestPodTemplatePathsSectionShape(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not a list", "podTemplatePaths:\n  kind: Runner\n", `.moat.yaml:2: podTemplatePaths: want a list of kinds and paths, not a mapping`},
		{"an entry not a mapping", "podTemplatePaths:\n  - spec.template\n", `.moat.yaml:2: podTemplatePaths[0]: want a mapping with kind, apiVersion or group, and path or podSpecPath, not "spec.template"`},
		{"a path that is a list", "podTemplatePaths:\n  - {group: example.com, kind: Runner, path: [spec, template]}\n", `.moat.yaml:2: podTemplatePaths[0].path: want a string, not a list`},
		{"a path with a map key", "podTemplatePaths:\n  - group: example.com\n    kind: Runner\n    podSpecPath: spec.pods[main]\n", `.moat.yaml:4: podTemplatePaths[0].podSpecPath: "spec.pods[main]" is not a field path (want field names joined by dots, such as spec.template)`},
		{"an empty path", "podTemplatePaths:\n  - group: example.com\n    kind: Runner\n    path: \"\"\n", `.moat.yaml:4: podTemplatePaths[0].path: "" is not a field path (want field names joined by dots, such as spec.template)`},
		{"a path ending in a dot", "podTemplatePaths:\n  - group: example.com\n    kind: Runner\n    path: spec.\n", `.moat.yaml:4: podTemplatePaths[0].path: "spec." is not a field path (want field names joined by dots, such as spec.template)`},
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
