package osvdb

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxRecordBytes bounds one record in an export: records are a few KiB, the bound
// only keeps a hostile export from spending memory.
const MaxRecordBytes = 4 << 20

// maxEntries bounds the entries of one export (all of OSV is about a million records).
const maxEntries = 4_000_000

// DB is an index of a local copy of the OSV database, built by Open and read-only
// after: Match may be called from many goroutines.
type DB struct {
	vulns   []vulnInfo
	index   map[string][]entry // indexKey(ecosystem base, name) → affected entries
	fetched map[string]time.Time
	errs    []error
}

// RecordError is a record, or a whole export, that could not be read.
type RecordError struct {
	Zip   string // the export's path
	Entry string // the record's file in the zip; "" when the zip itself is at fault
	Err   error
}

func (e *RecordError) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("OSV export %s: %v", e.Zip, e.Err)
	}
	return fmt.Sprintf("OSV export %s: record %s: %v", e.Zip, e.Entry, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// Open indexes every DIR/<ECOSYSTEM>/all.zip. Records that cannot be read, and
// exports that are not zips, are kept in Errors and the rest loads; withdrawn
// records are left out. It fails only when dir holds no export, or none loads.
func Open(dir string) (*DB, error) {
	zips, err := filepath.Glob(filepath.Join(dir, "*", exportName))
	if err != nil {
		return nil, fmt.Errorf("OSV database %s: %w", dir, err)
	}
	if len(zips) == 0 {
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, fmt.Errorf("OSV database: %w", statErr)
		}
		return nil, fmt.Errorf("OSV database %s: no <ECOSYSTEM>/%s in it (fetch one with an update)", dir, exportName)
	}
	slices.Sort(zips)
	db := &DB{index: map[string][]entry{}, fetched: map[string]time.Time{}}
	meta, metaErr := readMetadata(dir)
	if metaErr != nil {
		db.errs = append(db.errs, metaErr)
	}
	l := &loader{db: db, ids: map[string]bool{}}
	loaded := 0
	for _, z := range zips {
		ex, err := loadExport(z)
		if err != nil {
			db.errs = append(db.errs, &RecordError{Zip: z, Err: err})
			continue
		}
		loaded++
		for _, r := range ex.records {
			l.add(r)
		}
		for _, f := range ex.failed {
			db.errs = append(db.errs, &RecordError{Zip: z, Entry: f.entry, Err: f.err})
		}
		db.fetched[filepath.Base(filepath.Dir(z))] = fetchTime(meta, z)
	}
	if loaded == 0 {
		return nil, errors.Join(db.errs...)
	}
	return db, nil
}

// Errors are the records and exports Open could not read.
func (db *DB) Errors() []error { return db.errs }

// Records is how many records the index holds (withdrawn and unreadable ones left out).
func (db *DB) Records() int { return len(db.vulns) }

// Age is the time since the oldest export was fetched, by metadata.json, or by the
// export's modification time when metadata.json does not name it.
func (db *DB) Age(now time.Time) time.Duration {
	var oldest time.Time
	for _, t := range db.fetched {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	if oldest.IsZero() {
		return 0
	}
	return now.Sub(oldest)
}

// loader fills a DB from exports, one at a time.
type loader struct {
	db  *DB
	ids map[string]bool // records already indexed: a record affecting two ecosystems is in both exports
}

// export is what one all.zip holds.
type export struct {
	records []*parsedRecord // in the zip's order, withdrawn ones left out
	failed  []failedEntry
}

type failedEntry struct {
	entry string
	err   error
}

// parseExport decodes an export's records on every core.
func parseExport(path string) (*export, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var files []*zip.File
	for _, f := range zr.File {
		if !f.FileInfo().IsDir() && strings.HasSuffix(f.Name, ".json") {
			files = append(files, f)
		}
	}
	if len(files) > maxEntries {
		return nil, fmt.Errorf("%d records, more than the limit of %d", len(files), maxEntries)
	}
	records := make([]*parsedRecord, len(files))
	errs := make([]error, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var buf []byte // reused: decoding copies what it keeps
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				records[i], buf, errs[i] = readRecord(files[i], buf)
			}
		})
	}
	wg.Wait()
	ex := &export{}
	for i, rec := range records {
		switch {
		case errs[i] != nil:
			ex.failed = append(ex.failed, failedEntry{entry: files[i].Name, err: errs[i]})
		case !rec.withdrawn:
			ex.records = append(ex.records, rec)
		}
	}
	return ex, nil
}

// readRecord reads and parses one entry into buf, which it returns for reuse.
// The header's size is only a hint: the reader stops past MaxRecordBytes whatever it
// says.
func readRecord(f *zip.File, buf []byte) (*parsedRecord, []byte, error) {
	if f.UncompressedSize64 > MaxRecordBytes {
		return nil, buf, fmt.Errorf("%d bytes, more than the limit of %d", f.UncompressedSize64, MaxRecordBytes)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, buf, err
	}
	defer rc.Close()
	buf, err = readAllInto(io.LimitReader(rc, MaxRecordBytes+1), buf[:0], int(f.UncompressedSize64))
	if err != nil {
		return nil, buf, err
	}
	if len(buf) > MaxRecordBytes {
		return nil, buf, fmt.Errorf("more than the limit of %d bytes", MaxRecordBytes)
	}
	rec, err := parseRecord(buf)
	return rec, buf, err
}

// readAllInto is io.ReadAll appending to buf, grown once to the expected size.
func readAllInto(r io.Reader, buf []byte, expect int) ([]byte, error) {
	buf = slices.Grow(buf, expect+1) // +1: reading to EOF needs room past the end
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func (l *loader) add(rec *parsedRecord) {
	if rec.withdrawn || l.ids[rec.vuln.id] {
		return
	}
	l.ids[rec.vuln.id] = true
	n := int32(len(l.db.vulns))
	l.db.vulns = append(l.db.vulns, rec.vuln)
	for _, a := range rec.affected {
		a.entry.vuln = n
		l.db.index[a.key] = append(l.db.index[a.key], a.entry)
	}
}

// exportName is the file each ecosystem's export is kept in, as OSV publishes it.
const exportName = "all.zip"

// metadataName is the file that says when and from where each export was fetched.
const metadataName = "metadata.json"

// Metadata is metadata.json: each ecosystem's export, when and from where it came.
type Metadata struct {
	Ecosystems map[string]Fetch `json:"ecosystems"`
}

// Fetch is one ecosystem's download.
type Fetch struct {
	URL     string    `json:"url"`
	Fetched time.Time `json:"fetched"`
	Size    int64     `json:"size"`
	ETag    string    `json:"etag,omitempty"`
}

// readMetadata reads dir's metadata.json; a missing one is empty.
func readMetadata(dir string) (Metadata, error) {
	path := filepath.Join(dir, metadataName)
	var m Metadata
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("OSV database %s: %w", path, err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return Metadata{}, fmt.Errorf("OSV database %s: %w", path, describeJSONError(data, err))
	}
	return m, nil
}

// fetchTime is when the export at path was fetched: by metadata.json, else by the
// file's modification time.
func fetchTime(meta Metadata, path string) time.Time {
	if f, ok := meta.Ecosystems[filepath.Base(filepath.Dir(path))]; ok && !f.Fetched.IsZero() {
		return f.Fetched
	}
	if st, err := os.Stat(path); err == nil {
		return st.ModTime()
	}
	return time.Time{}
}
