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

// BenchmarkSourceAt10k is the first SourceAt of each of 10,000 objects, which builds
// the object's line index (later calls only walk it): what a scan that finds
// something in every object pays for line numbers.
func BenchmarkSourceAt10k(b *testing.B) {
	data := genManifests(10000)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		objs, errs := Decode(bytes.NewReader(data), "bench.yaml")
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		b.StartTimer()
		for _, o := range objs {
			if o.SourceAt("metadata.name").Line < 1 {
				b.Fatal("no line")
			}
		}
	}
}
