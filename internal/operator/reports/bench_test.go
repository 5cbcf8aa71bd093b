package reports

import "testing"

// BenchmarkBuild5000 builds the report of a namespace of 5,000 failing objects (15,000
// findings): what each Sync of such a namespace computes before it reads the cluster.
func BenchmarkBuild5000(b *testing.B) {
	fs := workloadFindings("shop", 5000)
	b.ReportAllocs()
	for b.Loop() {
		Build(Options{Now: fixedNow}, "shop", fs, nil)
	}
}
