package osvdb

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/image"
)

// assertIndexed checks that every export in dir has a current index.
func assertIndexed(t *testing.T, dir string) {
	t.Helper()
	zips, _ := filepath.Glob(filepath.Join(dir, "*", exportName))
	for _, z := range zips {
		stamp, err := statStamp(z)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readIndex(filepath.Join(filepath.Dir(z), indexName), stamp); err != nil {
			t.Errorf("export %s has no current index: %v", z, err)
		}
	}
}

func TestIndexRoundTripsEveryRecord(t *testing.T) {
	dir := testDBDir(t)
	zips, _ := filepath.Glob(filepath.Join(dir, "*", exportName))
	for _, z := range zips {
		parsed, err := parseExport(z)
		if err != nil {
			t.Fatal(err)
		}
		idx := filepath.Join(t.TempDir(), indexName)
		stamp := indexStamp{size: 1, modTime: 2}
		if err := writeIndex(idx, stamp, parsed); err != nil {
			t.Fatal(err)
		}
		read, err := readIndex(idx, stamp)
		if err != nil {
			t.Fatal(err)
		}
		// Encoding is deterministic, so equal encodings are equal exports.
		a, b := &encoder{}, &encoder{}
		a.export(parsed)
		b.export(read)
		if !bytes.Equal(a.buf, b.buf) || len(read.records) != len(parsed.records) {
			t.Errorf("%s: the index read back differs from the export", z)
		}
	}
}

// TestStaleOrDamagedIndexIsRebuilt changes an export or its index after a first Open;
// the next Open must see the export as it is now, and leave a current index.
func TestStaleOrDamagedIndexIsRebuilt(t *testing.T) {
	newer := record("GHSA-NEW", affected("npm", "a", rng("SEMVER", "introduced:0"))).entry(t)
	cases := []struct {
		name   string
		change func(t *testing.T, zip, idx string)
		want   []string
	}{
		{"the export replaced by a download", func(t *testing.T, zip, idx string) {
			writeExport(t, filepath.Dir(filepath.Dir(zip)), "npm", newer)
		}, []string{"GHSA-NEW"}},
		{"the export touched with the same size", func(t *testing.T, zip, idx string) {
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(zip, later, later); err != nil {
				t.Fatal(err)
			}
		}, []string{"GHSA-OLD"}},
		{"a flipped byte in the index", func(t *testing.T, zip, idx string) {
			data, err := os.ReadFile(idx)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0xff
			if err := os.WriteFile(idx, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"GHSA-OLD"}},
		{"a truncated index", func(t *testing.T, zip, idx string) {
			if err := os.Truncate(idx, 10); err != nil {
				t.Fatal(err)
			}
		}, []string{"GHSA-OLD"}},
		{"an index of another format", func(t *testing.T, zip, idx string) {
			stamp, _ := statStamp(zip)
			e := &encoder{}
			e.str(indexMagic)
			e.uint(indexFormat + 1)
			e.int64(stamp.size)
			e.int64(stamp.modTime)
			e.export(&export{}) // would hide every record if it were believed
			writeRawIndex(t, idx, e)
		}, []string{"GHSA-OLD"}},
		{"an index removed", func(t *testing.T, zip, idx string) {
			if err := os.Remove(idx); err != nil {
				t.Fatal(err)
			}
		}, []string{"GHSA-OLD"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeExport(t, dir, "npm", record("GHSA-OLD", affected("npm", "a", rng("SEMVER", "introduced:0"))).entry(t))
			zip, idx := filepath.Join(dir, "npm", exportName), filepath.Join(dir, "npm", indexName)
			openClean(t, dir)
			assertIndexed(t, dir)
			tc.change(t, zip, idx)
			if got := matchSummary(t, openClean(t, dir), image.Package{Name: "a", Version: "1.0.0", Ecosystem: "npm"}); !slices.Equal(got, tc.want) {
				t.Errorf("after the change, matches = %q, want %q", got, tc.want)
			}
			assertIndexed(t, dir)
		})
	}
}

// writeRawIndex writes what e holds as an index file, with a valid checksum.
func writeRawIndex(t *testing.T, path string, e *encoder) {
	t.Helper()
	data := binary.LittleEndian.AppendUint32(slices.Clone(e.buf), crc32.ChecksumIEEE(e.buf))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateIndexesWhatItFetches(t *testing.T) {
	server, srv := newExportServer(t)
	server.exports["Go"] = exportWith(t, record("GO-1", affected("Go", "example.com/m", rng("SEMVER", "introduced:0"))))
	dir := t.TempDir()
	if err := Update(t.Context(), dir, srv.URL, []string{"Go"}, srv.Client()); err != nil {
		t.Fatal(err)
	}
	assertIndexed(t, dir)
}

// FuzzIndexDecoder feeds arbitrary bytes to the index decoder, as a damaged or
// hostile index in a copied database would: it must fail, not panic or allocate
// beyond its input.
func FuzzIndexDecoder(f *testing.F) {
	e := &encoder{}
	parsed, err := parseRecord([]byte(record("S-1", affected("Debian:12", "bash", rng("ECOSYSTEM", "introduced:0", "fixed:1:5.2-1"))).
		with("aliases", []string{"CVE-1"}).entry(f).body))
	if err != nil {
		f.Fatal(err)
	}
	e.export(&export{records: []*parsedRecord{parsed}, failed: []failedEntry{{entry: "x.json", err: os.ErrClosed}}})
	f.Add(e.buf)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &decoder{buf: data, interned: map[string]string{}}
		ex := d.export()
		if d.err == nil && ex == nil {
			t.Fatal("no error and no export")
		}
	})
}
