package pss

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

const libraryModule = "k8s.io/pod-security-admission"

// libraryTestdata finds test/testdata of the pod-security-admission module this package
// is built with: through `go list -m`, or else in the module cache at the version the
// test binary was built with.
func libraryTestdata(t *testing.T) string {
	t.Helper()
	var dir string
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", libraryModule).Output(); err == nil {
		dir = strings.TrimSpace(string(out))
	}
	if dir == "" {
		cache := os.Getenv("GOMODCACHE")
		if cache == "" {
			if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
				cache = strings.TrimSpace(string(out))
			}
		}
		if bi, ok := debug.ReadBuildInfo(); ok && cache != "" {
			for _, m := range bi.Deps {
				if m.Path == libraryModule {
					dir = filepath.Join(cache, libraryModule+"@"+m.Version)
				}
			}
		}
	}
	td := filepath.Join(dir, "test", "testdata")
	if dir == "" || !isDir(td) {
		t.Fatalf("cannot find %s/test/testdata (go list -m gave %q); run `go mod download %s`", libraryModule, dir, libraryModule)
	}
	return td
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// levelOf is the PSS level of a rule of this package: the LEVEL of frameworks.pss.
func levelOf(r *rule.Rule) string {
	level, _, _ := strings.Cut(r.Frameworks.PSS, "/")
	return level
}

// versionDirs lists the v1.N directories of one level, oldest first.
func versionDirs(t *testing.T, levelDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(levelDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && ParseVersion(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	minor := func(v string) int { n, _ := strconv.Atoi(strings.TrimPrefix(v, "v1.")); return n }
	slices.SortFunc(out, func(a, b string) int { return minor(a) - minor(b) })
	return out
}

// TestAgreesWithLibraryFixtures runs every PSS rule over the fixtures that the library
// generates from its own checks, for both levels and every policy version: a fail
// fixture must give at least one finding of a rule at or below the fixture's level, a
// pass fixture none.
func TestAgreesWithLibraryFixtures(t *testing.T) {
	root := libraryTestdata(t)
	atOrBelow := map[string][]string{"baseline": {"baseline"}, "restricted": {"baseline", "restricted"}}
	levelByRule := map[string]string{}
	for _, r := range registered {
		levelByRule[r.ID] = levelOf(r)
	}
	total := map[string]int{}
	for _, level := range []string{"baseline", "restricted"} {
		versions := versionDirs(t, filepath.Join(root, level))
		if len(versions) == 0 {
			t.Fatalf("no version directories under %s", filepath.Join(root, level))
		}
		for _, version := range versions {
			t.Run(level+"/"+version, func(t *testing.T) {
				counts := map[string]int{}
				for _, outcome := range []string{"fail", "pass"} {
					dir := filepath.Join(root, level, version, outcome)
					files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
					if len(files) == 0 {
						if outcome == "pass" {
							t.Errorf("%s: no fixtures", dir)
						}
						continue
					}
					inv := inventory.Load(files, inventory.Options{})
					for _, e := range inv.Errors {
						t.Errorf("fixture does not load: %v", e)
					}
					perFile := map[string]int{}
					for _, o := range inv.Objects {
						perFile[o.Source.File]++
					}
					got := map[string][]finding.Finding{}
					reported := map[string]map[string]bool{} // file -> rule IDs with a finding
					for _, f := range ruletest.Evaluate(t, inv, rule.Options{PSSVersion: version, Now: ruletest.Now}, registered...) {
						if reported[f.Source.File] == nil {
							reported[f.Source.File] = map[string]bool{}
						}
						reported[f.Source.File][f.RuleID] = true
						if slices.Contains(atOrBelow[level], levelByRule[f.RuleID]) {
							got[f.Source.File] = append(got[f.Source.File], f)
						}
					}
					for _, o := range inv.Objects {
						counts["verdicts"] += compareVerdicts(t, o, version, reported[o.Source.File])
					}
					for _, file := range files {
						name := filepath.Join(level, version, outcome, filepath.Base(file))
						if perFile[file] != 1 {
							t.Errorf("%s: decoded into %d objects, want 1", name, perFile[file])
							continue
						}
						switch fs := got[file]; {
						case outcome == "fail" && len(fs) == 0:
							t.Errorf("%s: the library forbids it at %s %s, but Moat gives no finding at or below %s", name, level, version, level)
						case outcome == "pass" && len(fs) > 0:
							t.Errorf("%s: the library allows it at %s %s, but Moat reports:\n%s", name, level, version, ruletest.Format(fs))
						default:
							counts[outcome]++
						}
					}
				}
				t.Logf("%s %s: %d fail and %d pass fixtures agree; %d check verdicts agree", level, version, counts["fail"], counts["pass"], counts["verdicts"])
				total[level+" fail"] += counts["fail"]
				total[level+" pass"] += counts["pass"]
				total["verdicts"] += counts["verdicts"]
			})
		}
	}
	t.Log(fmt.Sprintf("fixtures in agreement: baseline %d fail + %d pass, restricted %d fail + %d pass; %d check verdicts agree",
		total["baseline fail"], total["baseline pass"], total["restricted fail"], total["restricted pass"], total["verdicts"]))
}

// compareVerdicts asks the library directly, check by check, whether it forbids the pod
// at this version, and compares that with whether the check's rule reported it: locating
// must neither lose a verdict nor invent one. The one allowed silence is a restricted
// check whose failure a baseline check it replaces reports with the same words.
func compareVerdicts(t *testing.T, o *inventory.Object, version string, reported map[string]bool) int {
	t.Helper()
	pod, ok := podspec.Of(o)
	if !ok {
		t.Errorf("%s: not a pod", o.Source)
		return 0
	}
	pod = defaultVolumes(pod)
	n := 0
	for _, r := range registered {
		v := checkOf[r.ID].at(version)
		forbidden := v.check != nil && !v.check(pod.Meta, pod.Spec).Allowed
		switch {
		case forbidden && !reported[r.ID]:
			covered := false
			for _, base := range v.overridden {
				covered = covered || !base(pod.Meta, pod.Spec).Allowed
			}
			if !covered {
				t.Errorf("%s at %s: the library's %s forbids it but %s reports nothing", o.Source.File, version, r.Frameworks.PSS, r.ID)
				continue
			}
		case !forbidden && reported[r.ID]:
			t.Errorf("%s at %s: the library's %s allows it but %s reports it", o.Source.File, version, r.Frameworks.PSS, r.ID)
			continue
		}
		n++
	}
	return n
}
