package paths

import (
	"context"
	"os"
	"testing"
	"time"

	_ "github.com/moat-dev/moat/internal/catalog" // the evidence rules
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
)

// BenchmarkAnalyze is `moat paths` without loading: the graph of every layer, the paths
// and the choke points, on the file MOAT_PATHS_BENCH names (go run ./bench/gen -n
// 10000 > FILE; the target is 2 s for the whole command).
func BenchmarkAnalyze(b *testing.B) {
	file := os.Getenv("MOAT_PATHS_BENCH")
	if file == "" {
		b.Skip("set MOAT_PATHS_BENCH to a generated file (go run ./bench/gen -n 10000)")
	}
	inv := inventory.Load([]string{file}, inventory.Options{})
	podspec.Prepare(inv.Objects, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Analyze(context.Background(), inv, Options{Now: time.Unix(0, 0)}, Limits{MaxPaths: 20})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.Total), "paths")
	}
}
