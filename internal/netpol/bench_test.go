package netpol

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// BenchmarkNetpolRulesDense runs every NetworkPolicy rule, the shared analysis included,
// over the finding-dense benchmark input, read from the file MOAT_NETPOL_DENSE names
// (skipped without it):
//
//	go run ./bench/gen -mix dense -n 10000 > /tmp/d10k.yaml
//	MOAT_NETPOL_DENSE=/tmp/d10k.yaml go test ./internal/netpol -run '^$' -bench NetpolRulesDense -count 6
func BenchmarkNetpolRulesDense(b *testing.B) {
	path := os.Getenv("MOAT_NETPOL_DENSE")
	if path == "" {
		b.Skip("set MOAT_NETPOL_DENSE to a file written by go run ./bench/gen -mix dense")
	}
	if _, err := os.Stat(path); err != nil {
		b.Skip(err)
	}
	inv := inventory.Load([]string{path}, inventory.Options{})
	var rules []*rule.Rule
	for _, r := range rule.All() {
		if strings.HasPrefix(r.ID, "netpol/") && r.Inventory != nil {
			rules = append(rules, r)
		}
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		c := rule.NewContext(context.Background(), rule.Options{}, inv)
		n = 0
		for _, r := range rules {
			n += len(r.Inventory(c))
		}
	}
	b.ReportMetric(float64(n), "findings")
}
