package osvdb

// The parsed records of each export are kept beside it, in DIR/<ECOSYSTEM>/all.idx,
// so that Open reads a compact binary file instead of decoding every record's JSON:
// decoding is most of Open's time (BenchmarkOpen). The index is only a cache. It is
// stamped with the export's size and modification time and with indexFormat, and
// checksummed; a missing, stale or damaged index is rebuilt from the export, and one
// that cannot be written (a read-only copy of the database) costs only time.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
)

const (
	indexName  = "all.idx"
	indexMagic = "moat OSV index\n"
	// indexFormat changes whenever what a record keeps, or how it is parsed, does:
	// an index of another format is rebuilt.
	indexFormat = 1
	// maxIndexBytes bounds the index read back; a real one is a fraction of its export.
	maxIndexBytes = 4 << 30
)

// loadExport returns the export at path, from its index when that is current.
func loadExport(path string) (*export, error) {
	stamp, err := statStamp(path)
	if err != nil {
		return nil, err
	}
	idx := filepath.Join(filepath.Dir(path), indexName)
	if ex, err := readIndex(idx, stamp); err == nil {
		return ex, nil
	}
	ex, err := parseExport(path)
	if err != nil {
		return nil, err
	}
	_ = writeIndex(idx, stamp, ex) // best effort: see the comment at the top
	return ex, nil
}

// indexStamp identifies the export an index was built from.
type indexStamp struct {
	size, modTime int64
}

var errStaleIndex = errors.New("index does not match its export")

func readIndex(path string, want indexStamp) (*export, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxIndexBytes {
		return nil, errors.New("index too large")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < 4 {
		return nil, errStaleIndex
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("index checksum mismatch")
	}
	d := &decoder{buf: body, interned: map[string]string{}}
	if d.str() != indexMagic || d.uint() != indexFormat || d.int64() != want.size || d.int64() != want.modTime || d.err != nil {
		return nil, errStaleIndex
	}
	ex := d.export()
	if d.err != nil || len(d.buf) != 0 {
		return nil, errors.New("index damaged")
	}
	return ex, nil
}

func writeIndex(path string, stamp indexStamp, ex *export) error {
	return writeAtomically(path, func(w io.Writer) error {
		crc := crc32.NewIEEE()
		e := &encoder{w: io.MultiWriter(w, crc)}
		e.str(indexMagic)
		e.uint(indexFormat)
		e.int64(stamp.size)
		e.int64(stamp.modTime)
		e.export(ex)
		if e.flush(); e.err != nil {
			return e.err
		}
		_, err := w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
		return err
	})
}

// writeAtomically writes a file beside path and renames it over path, so that a
// reader never sees half of it.
func writeAtomically(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	bw := bufio.NewWriterSize(tmp, 256<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// encoder writes the index: unsigned varints, and strings as length and bytes. With
// w set it hands its bytes on record by record: building the whole index in one
// growing buffer allocated five times its size.
type encoder struct {
	buf []byte
	w   io.Writer
	err error
}

func (e *encoder) flush() {
	if e.w != nil && e.err == nil {
		_, e.err = e.w.Write(e.buf)
		e.buf = e.buf[:0]
	}
}

func (e *encoder) uint(v uint64)   { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) int64(v int64)   { e.buf = binary.AppendVarint(e.buf, v) }
func (e *encoder) str(s string)    { e.uint(uint64(len(s))); e.buf = append(e.buf, s...) }
func (e *encoder) count(n int)     { e.uint(uint64(n)) }
func (e *encoder) float(f float64) { e.uint(math.Float64bits(f)) }

func (e *encoder) strs(ss []string) {
	e.count(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) export(ex *export) {
	e.count(len(ex.records))
	for _, r := range ex.records {
		e.record(r)
		if len(e.buf) >= 64<<10 {
			e.flush()
		}
	}
	e.count(len(ex.failed))
	for _, f := range ex.failed {
		e.str(f.entry)
		e.str(f.err.Error())
	}
}

func (e *encoder) record(r *parsedRecord) {
	v := r.vuln
	e.str(v.id)
	e.strs(v.aliases)
	e.str(v.summary)
	e.str(v.severity)
	e.str(v.cvss)
	e.float(v.score)
	e.count(len(r.affected))
	for _, a := range r.affected {
		e.str(a.key)
		e.str(a.entry.ecosystem)
		e.strs(a.entry.versions)
		e.count(len(a.entry.ranges))
		for _, rg := range a.entry.ranges {
			semver := uint64(0)
			if rg.semver {
				semver = 1
			}
			e.uint(semver)
			e.count(len(rg.events))
			for _, ev := range rg.events {
				e.uint(uint64(ev.kind))
				e.str(ev.version)
			}
		}
	}
}

// decoder reads the index back; the first fault sticks in err, and every count is
// checked against the bytes left, so a damaged index cannot ask for a huge slice.
type decoder struct {
	buf      []byte
	err      error
	interned map[string]string // ecosystems and severities repeat in every record
}

var errIndexDamaged = errors.New("index damaged")

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err = errIndexDamaged
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) int64() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.err = errIndexDamaged
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.buf)) { // each element takes a byte at least
		d.err = errIndexDamaged
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.count()
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) internedStr() string {
	b := d.bytes()
	if s, ok := d.interned[string(b)]; ok {
		return s
	}
	s := string(b)
	d.interned[s] = s
	return s
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *decoder) export() *export {
	ex := &export{}
	n := d.count()
	ex.records = make([]*parsedRecord, 0, n)
	for range n {
		if d.err != nil {
			return nil
		}
		ex.records = append(ex.records, d.record())
	}
	for range d.count() {
		entry, msg := d.str(), d.str()
		ex.failed = append(ex.failed, failedEntry{entry: entry, err: errors.New(msg)})
	}
	return ex
}

func (d *decoder) record() *parsedRecord {
	r := &parsedRecord{}
	r.vuln = vulnInfo{id: d.str(), aliases: d.strs(), summary: d.str(), severity: d.internedStr(), cvss: d.internedStr(), score: math.Float64frombits(d.uint())}
	n := d.count()
	if n > 0 {
		r.affected = make([]parsedAffected, n)
	}
	for i := range r.affected {
		a := &r.affected[i]
		a.key = d.str()
		a.entry.ecosystem = d.internedStr()
		a.entry.versions = d.strs()
		if nr := d.count(); nr > 0 {
			a.entry.ranges = make([]versionRange, nr)
		}
		for j := range a.entry.ranges {
			rg := &a.entry.ranges[j]
			rg.semver = d.uint() == 1
			if ne := d.count(); ne > 0 {
				rg.events = make([]event, ne)
			}
			for k := range rg.events {
				kind := d.uint()
				if kind > uint64(limit) {
					d.err = errIndexDamaged
				}
				rg.events[k] = event{kind: eventKind(kind), version: d.str()}
			}
		}
	}
	return r
}

// statStamp is the stamp of the export at path.
func statStamp(path string) (indexStamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		return indexStamp{}, err
	}
	return indexStamp{size: st.Size(), modTime: st.ModTime().UnixNano()}, nil
}
