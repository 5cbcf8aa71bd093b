package inventory

import (
	"fmt"
	"strings"
	"testing"
)

// TestDecodeStreamKeepsTheStreamsOrder decodes streams that span many of the workers'
// batches, with documents of very different sizes and bad documents among them, and
// checks that objects and errors come out in the stream's order with their own lines.
func TestDecodeStreamKeepsTheStreamsOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		docs    int
		padding func(i int) int // comment lines before document i
		bad     func(i int) bool
	}{
		{"small documents", 1000, func(int) int { return 0 }, func(i int) bool { return i%97 == 5 }},
		{"one large document in ten", 300, func(i int) int {
			if i%10 == 3 {
				return 3000 // about 100 KB: over a batch's bytes alone
			}
			return 1
		}, func(i int) bool { return i%31 == 0 }},
		{"fewer documents than a batch", 3, func(int) int { return 0 }, func(i int) bool { return i == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				b        strings.Builder
				line     = 1
				wantObjs []string
				wantErrs []string
			)
			for i := range tc.docs {
				if i > 0 {
					b.WriteString("---\n")
					line++
				}
				start := line // an object's source is where its document starts
				for range tc.padding(i) {
					b.WriteString("# padding of this document, which no decoder keeps\n")
					line++
				}
				if tc.bad(i) {
					wantErrs = append(wantErrs, fmt.Sprintf("s.yaml:%d:", line))
					b.WriteString("kind: [unclosed\n")
					line++
					continue
				}
				fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n", i)
				wantObjs = append(wantObjs, fmt.Sprintf("cm-%d @ s.yaml:%d", i, start))
				line += 4
			}
			objs, errs := decodeStream(strings.NewReader(b.String()), "s.yaml")
			var gotObjs []string
			for _, o := range objs {
				gotObjs = append(gotObjs, fmt.Sprintf("%s @ %s", o.Name(), o.Source))
			}
			if got, want := strings.Join(gotObjs, "\n"), strings.Join(wantObjs, "\n"); got != want {
				t.Errorf("objects:\n%s\nwant:\n%s", head(got), head(want))
			}
			if len(errs) != len(wantErrs) {
				t.Fatalf("%d errors, want %d: %v", len(errs), len(wantErrs), errs)
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), wantErrs[i]) {
					t.Errorf("error %d: %v, want it at %s", i, err, wantErrs[i])
				}
			}
		})
	}
}

// head is the first lines of s, enough to show where two long lists part.
func head(s string) string {
	lines := strings.SplitN(s, "\n", 12)
	return strings.Join(lines[:min(len(lines), 11)], "\n")
}
