package exceptions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/finding"
)

// FuzzLoadConfig feeds the config parser the testdata configs, good and bad, and what
// the fuzzer makes of them. The parser must not panic; every error must name the file
// (and so each line of a joined error starts with it); a config it accepts must hold
// only complete exceptions, which Apply must handle, and complete pod template paths.
func FuzzLoadConfig(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "config", "*", "*.yaml"))
	if len(seeds) == 0 {
		f.Fatal("no seed configs under testdata/config")
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if cfg != nil {
				t.Fatal("a config and an error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %q is not an *Error", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml:") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		for _, e := range cfg.Exceptions {
			if len(e.Rules) == 0 || e.Reason == "" || e.Line <= 0 {
				t.Fatalf("incomplete exception accepted: %+v", e)
			}
			if e.ExpiresText != "" && e.Expires.IsZero() {
				t.Fatalf("expires %q accepted without a time", e.ExpiresText)
			}
		}
		for _, tp := range cfg.PodTemplatePaths {
			if tp.Group == "" || tp.Kind == "" || !fieldPathRE.MatchString(tp.Path) {
				t.Fatalf("incomplete pod template path accepted: %+v", tp)
			}
		}
		fs := []finding.Finding{
			{RuleID: "config/ignore-without-reason", Resource: finding.Resource{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "monitoring", Name: "node-exporter-x"}},
			{RuleID: "demo/host-pid", Resource: finding.Resource{APIVersion: "v1", Kind: "Namespace", Name: "kube-system"}},
		}
		out := cfg.Apply(fs, nil, now)
		if len(out) < len(fs) {
			t.Fatalf("Apply dropped findings: %d of %d", len(out), len(fs))
		}
	})
}
