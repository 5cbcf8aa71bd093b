package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/golden"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

// The catalogue meta-tests: every rule is complete, has fixtures both ways, and is
// exercised by a test of its package.

func TestCatalogueSize(t *testing.T) {
	if n := len(rule.All()); n < 60 {
		t.Errorf("%d rules registered, want at least 60", n)
	}
}

func TestEveryRuleHasMetadata(t *testing.T) {
	for _, r := range rule.All() {
		t.Run(r.ID, func(t *testing.T) {
			if r.Title == "" || r.Description == "" {
				t.Error("title and description are required")
			}
			if r.Severity < finding.Info || r.Severity > finding.Critical {
				t.Errorf("bad severity %d", r.Severity)
			}
			if !strings.HasSuffix(strings.TrimSpace(r.Remediation), ".") {
				t.Errorf("remediation must be a sentence ending with a period: %q", r.Remediation)
			}
			fw := r.Frameworks
			if fw.PSS == "" && fw.CIS == "" && fw.NSA == "" && fw.MITRE == "" {
				t.Error("no framework reference (pss, cis, nsa or mitre)")
			}
			if len(r.Kinds) == 0 {
				t.Error("kinds are required")
			}
		})
	}
}

// fixtureDirs maps each fixture directory name to the package directories that hold it.
func fixtureDirs(t *testing.T) map[string][]string {
	pkgs, err := filepath.Glob("../*/testdata")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, td := range pkgs {
		entries, _ := os.ReadDir(td)
		for _, e := range entries {
			if e.IsDir() {
				out[e.Name()] = append(out[e.Name()], filepath.Dir(td))
			}
		}
	}
	return out
}

func TestEveryRuleHasFixturesAndATest(t *testing.T) {
	dirs := fixtureDirs(t)
	for _, r := range rule.All() {
		if r.Object == nil && r.Inventory == nil {
			continue // findings made outside rules (config) are tested where they are made
		}
		t.Run(r.ID, func(t *testing.T) {
			pkgs := dirs[ruletest.Dir(r.ID)]
			if len(pkgs) != 1 {
				t.Fatalf("want fixtures in exactly one package's testdata/%s, found %v", ruletest.Dir(r.ID), pkgs)
			}
			for _, kind := range []string{"fail", "pass"} {
				files, _ := filepath.Glob(filepath.Join(pkgs[0], "testdata", ruletest.Dir(r.ID), kind, "*.yaml"))
				if len(files) == 0 {
					t.Errorf("no %s fixture", kind)
				}
			}
			tests, _ := filepath.Glob(filepath.Join(pkgs[0], "*_test.go"))
			quoted := fmt.Sprintf("%q", r.ID)
			for _, f := range tests {
				b, _ := os.ReadFile(f)
				if strings.Contains(string(b), quoted) {
					return
				}
			}
			t.Errorf("no test in %s names %s", pkgs[0], quoted)
		})
	}
}

// TestRulesDocGolden keeps docs/rules.md in step with the registry.
func TestRulesDocGolden(t *testing.T) {
	golden.Check(t, filepath.Join("..", "..", "docs", "rules.md"), []byte(Markdown(rule.All())))
}

// TestPeerChecksNotAdded keeps the list of peer checks Moat does not carry readable:
// every entry names a known peer and a check, and gives its reason as a sentence.
func TestPeerChecksNotAdded(t *testing.T) {
	peers := map[string]bool{"kube-linter": true, "Kubescape": true, "Checkov": true, "Polaris": true}
	seen := map[string]bool{}
	for _, n := range notAdded {
		if !peers[n.Peer] || n.Check == "" {
			t.Errorf("entry %+v: want a peer among kube-linter, Kubescape, Checkov, Polaris and a check", n)
		}
		if !strings.HasSuffix(n.Reason, ".") || len(n.Reason) < 40 {
			t.Errorf("%s %s: the reason must be a sentence ending with a period: %q", n.Peer, n.Check, n.Reason)
		}
		if seen[n.Peer+n.Check] {
			t.Errorf("%s %s is listed twice", n.Peer, n.Check)
		}
		seen[n.Peer+n.Check] = true
	}
}
