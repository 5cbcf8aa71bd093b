package osvdb

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/moat-dev/moat/internal/cputime"
	"github.com/moat-dev/moat/internal/image"
)

// The target: an image of 1,000 packages matched against 100,000 records in at
// most a second once the database is downloaded. The database is generated in the
// shape of OSV's exports: Debian records with an affected entry per release, PyPI
// records listing their versions as GitHub's do, npm records with SEMVER ranges,
// each with references, aliases, a CVSS vector and a paragraph of details.
const (
	benchRecords  = 100_000
	benchPackages = 1_000
)

var (
	benchOnce sync.Once
	benchDir  string
	benchPkgs []image.Package
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchDatabase writes the generated database once per test binary.
func benchDatabase(b *testing.B) (string, []image.Package) {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "osvdb-bench-")
		if benchErr == nil {
			benchPkgs, benchErr = generateDatabase(benchDir)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir, benchPkgs
}

// generateDatabase writes benchRecords records over three exports and returns an
// image's worth of packages whose names the records use.
func generateDatabase(dir string) ([]image.Package, error) {
	details := strings.Repeat("A flaw in the parser allows a remote attacker to cause a denial of service. ", 6)
	type export struct {
		eco     string
		records int
		names   int
		make    func(i int, name string) map[string]any
	}
	exports := []export{
		{"Debian", benchRecords / 2, 10_000, func(i int, name string) map[string]any {
			fix := fmt.Sprintf("%d.%d-%d", i%7+1, i%13, i%5+1)
			return map[string]any{"affected": []any{
				affected("Debian:11", name, rng("ECOSYSTEM", "introduced:0", "fixed:"+fix)),
				affected("Debian:12", name, rng("ECOSYSTEM", "introduced:0", "fixed:1:"+fix)),
			}}
		}},
		{"PyPI", benchRecords / 4, 5_000, func(i int, name string) map[string]any {
			var versions []string
			for v := range 30 {
				versions = append(versions, fmt.Sprintf("%d.%d.%d", i%3, v/10, v%10))
			}
			a := affected("PyPI", name, rng("ECOSYSTEM", "introduced:0", fmt.Sprintf("fixed:%d.3.0", i%3)))
			a["versions"] = versions
			return map[string]any{"affected": []any{a}}
		}},
		{"npm", benchRecords / 4, 5_000, func(i int, name string) map[string]any {
			return map[string]any{"affected": []any{affected("npm", name,
				rng("SEMVER", fmt.Sprintf("introduced:%d.0.0", i%4), fmt.Sprintf("fixed:%d.%d.1-rc.1", i%4, i%9)))}}
		}},
	}
	for _, ex := range exports {
		if err := writeGeneratedExport(dir, ex.eco, ex.records, func(i int) map[string]any {
			r := ex.make(i, fmt.Sprintf("%s-pkg-%d", strings.ToLower(ex.eco), i%ex.names))
			r["id"] = fmt.Sprintf("%s-BENCH-%06d", strings.ToUpper(ex.eco), i)
			r["modified"] = "2026-03-04T05:06:07Z"
			r["aliases"] = []string{fmt.Sprintf("CVE-2026-%05d", i)}
			r["details"] = details
			r["severity"] = severity("CVSS_V3", vectorCritical)
			r["references"] = []map[string]string{
				{"type": "ADVISORY", "url": fmt.Sprintf("https://security.example.org/advisories/%d", i)},
				{"type": "WEB", "url": fmt.Sprintf("https://bugs.example.org/show_bug.cgi?id=%d", i)},
				{"type": "FIX", "url": fmt.Sprintf("https://git.example.org/commit/%040d", i)},
			}
			return r
		}); err != nil {
			return nil, err
		}
	}
	var pkgs []image.Package
	for i := range benchPackages {
		switch {
		case i < 700:
			pkgs = append(pkgs, image.Package{Name: fmt.Sprintf("lib%d", i), SourceName: fmt.Sprintf("debian-pkg-%d", i*7), Version: fmt.Sprintf("%d.%d-1", i%8, i%11), Ecosystem: "Debian:12"})
		case i < 850:
			pkgs = append(pkgs, image.Package{Name: fmt.Sprintf("PyPI_Pkg.%d", i*3), Version: fmt.Sprintf("%d.%d.%d", i%3, i%4, i%10), Ecosystem: "PyPI"})
		default:
			pkgs = append(pkgs, image.Package{Name: fmt.Sprintf("npm-pkg-%d", i*3), Version: fmt.Sprintf("%d.%d.0", i%5, i%9), Ecosystem: "npm"})
		}
	}
	return pkgs, nil
}

func writeGeneratedExport(dir, eco string, n int, makeRecord func(int) map[string]any) error {
	path := filepath.Join(dir, eco, exportName)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for i := range n {
		r := makeRecord(i)
		w, err := zw.Create(r["id"].(string) + ".json")
		if err != nil {
			return err
		}
		if err := json.NewEncoder(w).Encode(r); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// BenchmarkOpen opens the database from the exports alone (the first Open after a
// download that did not index, which also writes the index) and from the index.
func BenchmarkOpen(b *testing.B) {
	dir, _ := benchDatabase(b)
	open := func(b *testing.B) {
		db, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		if db.Records() != benchRecords {
			b.Fatalf("opened %d records, want %d", db.Records(), benchRecords)
		}
	}
	b.Run("zips", func(b *testing.B) {
		defer cputime.PerOp(b)()
		for b.Loop() {
			b.StopTimer()
			indexes, _ := filepath.Glob(filepath.Join(dir, "*", indexName))
			for _, idx := range indexes {
				if err := os.Remove(idx); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			open(b)
		}
	})
	b.Run("index", func(b *testing.B) {
		open(b) // writes the index if the run above did not
		report := cputime.PerOp(b)
		for b.Loop() {
			open(b)
		}
		report()
		b.ReportMetric(float64(sizeOf(b, dir, exportName))/(1<<20), "zips-MiB")
		b.ReportMetric(float64(sizeOf(b, dir, indexName))/(1<<20), "index-MiB")
	})
}

func BenchmarkMatch(b *testing.B) {
	dir, pkgs := benchDatabase(b)
	before := heapInUse()
	db, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	dbHeap := heapInUse() - before
	var matches int
	report := cputime.PerOp(b)
	for b.Loop() {
		matches = len(db.Match(pkgs))
	}
	report()
	b.ReportMetric(float64(matches), "matches")
	b.ReportMetric(float64(dbHeap)/(1<<20), "db-heap-MiB") // reported after the loop, which resets metrics
	if matches == 0 {
		b.Fatal("the benchmark image matches nothing: the generator is wrong")
	}
	runtime.KeepAlive(db)
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// sizeOf adds up the sizes of dir/*/name.
func sizeOf(b *testing.B, dir, name string) int64 {
	paths, _ := filepath.Glob(filepath.Join(dir, "*", name))
	var total int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
	return total
}
