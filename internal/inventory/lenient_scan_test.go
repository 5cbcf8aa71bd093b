package inventory_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/scan"
)

// TestAWrongTypedFieldHidesNothingElse: a pod with `privileged: "yes"` in one
// container is an input error (exit code 2), and every rule still runs on the rest
// of it: its hostNetwork, and the other container's privileged: true.
func TestAWrongTypedFieldHidesNothingElse(t *testing.T) {
	tests := []struct {
		path string
		// findings are "ruleID line" of the findings that must be there; absent must not.
		findings, absent []string
		errPrefix        string
	}{
		{
			path:      "testdata/badtype/pod.yaml",
			findings:  []string{"pod/host-namespaces 10", "pod/privileged-container 19"},
			absent:    []string{"pod/privileged-container 15"},
			errPrefix: `testdata/badtype/pod.yaml:15: Pod "typo": field spec.containers.securityContext.privileged: cannot use string as bool; the object is checked without this field`,
		},
		{
			path:     "testdata/typedlist/podlist.yaml",
			findings: []string{"pod/host-namespaces 18"},
			absent:   []string{"pod/host-namespaces 7"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			loaded, err := scan.Load(context.Background(), scan.Input{Paths: []string{tt.path}})
			if err != nil {
				t.Fatal(err)
			}
			res := scan.NewEvaluator(scan.Options{}).Evaluate(context.Background(), loaded.Inventory)
			var got []string
			for _, f := range res.Findings {
				if f.Source != nil {
					got = append(got, f.RuleID+" "+strconv.Itoa(f.Source.Line))
				}
			}
			for _, w := range tt.findings {
				if !slices.Contains(got, w) {
					t.Errorf("no finding %q among %q", w, got)
				}
			}
			for _, a := range tt.absent {
				if slices.Contains(got, a) {
					t.Errorf("finding %q, which the input does not hold", a)
				}
			}
			wantCode := scan.ExitFindings
			if tt.errPrefix != "" {
				wantCode = scan.ExitError
				if len(res.Errors) == 0 || !slices.ContainsFunc(res.Errors, func(e string) bool { return strings.HasPrefix(e, tt.errPrefix) }) {
					t.Errorf("errors %q, want one starting with %q", res.Errors, tt.errPrefix)
				}
			} else if len(res.Errors) > 0 {
				t.Errorf("errors %q", res.Errors)
			}
			if code := res.ExitCode(finding.High); code != wantCode {
				t.Errorf("exit code %d, want %d", code, wantCode)
			}
		})
	}
}
