package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// attackPaths is the part of `moat paths -o json` the comparison reads.
type attackPaths struct {
	Summary struct {
		Paths int `json:"paths"`
	} `json:"summary"`
	Paths []struct {
		Entry  struct{ ID string } `json:"entry"`
		Target struct{ ID string } `json:"target"`
		Steps  []struct {
			From     struct{ ID string } `json:"from"`
			To       struct{ ID string } `json:"to"`
			Kind     string              `json:"kind"`
			Evidence []struct {
				RuleID string `json:"ruleID"`
			} `json:"evidence"`
		} `json:"steps"`
	} `json:"paths"`
	ChokePoints []struct {
		Fix struct {
			ID string `json:"id"`
		} `json:"fix"`
		Cuts []int `json:"cuts"`
	} `json:"chokePoints"`
}

// signatures returns each path as "entry → hop (kind: rules) → ...".
func (a attackPaths) signatures() []string {
	var out []string
	for _, p := range a.Paths {
		var b strings.Builder
		b.WriteString(p.Entry.ID)
		for _, s := range p.Steps {
			var rules []string
			for _, e := range s.Evidence {
				if e.RuleID != "" && !slices.Contains(rules, e.RuleID) {
					rules = append(rules, e.RuleID)
				}
			}
			sort.Strings(rules)
			fmt.Fprintf(&b, " → %s (%s: %s)", s.To.ID, s.Kind, strings.Join(rules, ","))
		}
		out = append(out, b.String())
	}
	sort.Strings(out)
	return out
}

func pathsJSON(t *testing.T, args ...string) attackPaths {
	t.Helper()
	r := moat(t, append(append([]string{"paths"}, args...), "-o", "json", "--max-paths", "0")...)
	if r.code != 1 {
		t.Fatalf("moat paths %s: exit %d, want 1 (paths found)\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	var a attackPaths
	if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
		t.Fatalf("moat paths %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	return a
}

// TestClusterPathsMatchFilePaths applies examples/shop to a real API server and checks
// that `moat paths --cluster` finds the same attack paths, hop for hop and with the same
// rules as evidence, and the same choke points, as `moat paths examples/shop`: the graph
// is built from the inventory, whichever loader filled it.
func TestClusterPathsMatchFilePaths(t *testing.T) {
	c := kubetest.Start(t)
	admin := c.RESTConfig()
	create(t, admin, render(t, "examples/shop"))
	kc := kubeconfigFor(t, admin)

	file := pathsJSON(t, "examples/shop")
	live := pathsJSON(t, "--cluster", "--kubeconfig", kc)
	if len(file.Paths) == 0 {
		t.Fatal("the file scan of examples/shop finds no attack path")
	}
	t.Logf("%d paths from the files, %d from the cluster", file.Summary.Paths, live.Summary.Paths)
	if got, want := live.signatures(), file.signatures(); !slices.Equal(got, want) {
		t.Errorf("the paths differ\ncluster:\n  %s\nfiles:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	chokes := func(a attackPaths) []string {
		var out []string
		for _, c := range a.ChokePoints {
			out = append(out, fmt.Sprint(c.Fix.ID, " cuts ", c.Cuts))
		}
		return out
	}
	if got, want := chokes(live), chokes(file); !slices.Equal(got, want) {
		t.Errorf("the choke points differ\ncluster: %q\nfiles:   %q", got, want)
	}
}
