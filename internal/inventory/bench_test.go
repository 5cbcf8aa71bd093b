package inventory

import (
	"bytes"
	"testing"
)

// BenchmarkDecode10k decodes one stream of 10,000 mixed objects, as a scan of a large
// repository or a rendered platform chart does.
//
//	go test ./internal/inventory -run '^$' -bench Decode10k -benchmem -cpuprofile cpu.out
func BenchmarkDecode10k(b *testing.B) {
	data := genManifests(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		objs, errs := Decode(bytes.NewReader(data), "bench.yaml")
		if len(errs) > 0 || len(objs) < 10000 {
			b.Fatalf("decoded %d objects, errors %v", len(objs), errs)
		}
	}
}
