package node

import (
	"context"
	"testing"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/rule"
)

// BenchmarkLoadAndCheck is `moat node` on a kubeadm control-plane node without the
// process start: read the command lines and files (the PKI with its certificates
// parsed), build the kubelet's configuration, and run every node rule.
func BenchmarkLoadAndCheck(b *testing.B) {
	root, cmdlines := buildFixture(b, "testdata/bench/node.yaml")
	rules := Rules()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := Load(context.Background(), Options{Root: root, Cmdlines: cmdlines, NodeName: "cp-1", Layout: "kubeadm"})
		if err != nil {
			b.Fatal(err)
		}
		if _, errs := engine.Run(context.Background(), h.Inventory(), rules, rule.Options{Now: fixtureNow}); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}
