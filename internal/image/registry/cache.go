package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrCorruptEntry is wrapped by Cache.Get's error for an entry it could not read back
// (bad JSON, over the size limit, filed under another key): the entry is removed and
// counts as a miss, so callers report the error and go on.
var ErrCorruptEntry = errors.New("corrupt cache entry")

// DefaultMaxEntryBytes bounds one cache entry.
const DefaultMaxEntryBytes = 64 << 20

// cacheFormat changes when the envelope does; older entries are then misses.
const cacheFormat = 1

// kindName is the grammar of a cache kind: it names a directory.
var kindName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Cache keeps results derived from images on disk, as JSON keyed by (kind, digest):
// DIR/images/KIND/ALGORITHM/HEX.json. An image's digest names its content, so an entry
// never goes stale; a kind names what was derived ("contents", "signatures") and
// should carry its own version when its shape changes ("contents-v2").
type Cache struct {
	dir string
	// MaxEntryBytes bounds an entry's file, written or read; DefaultMaxEntryBytes.
	MaxEntryBytes int64
}

// envelope is an entry's file: the key is repeated so that a file found under another
// name is not taken for it.
type envelope struct {
	Format int             `json:"format"`
	Kind   string          `json:"kind"`
	Digest string          `json:"digest"`
	Data   json.RawMessage `json:"data"`
}

// OpenCache opens (creating it) the image cache under Moat's cache directory dir
// (DefaultCacheDir, or the user's --cache-dir).
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache directory: empty path")
	}
	root := filepath.Join(dir, "images")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	return &Cache{dir: root, MaxEntryBytes: DefaultMaxEntryBytes}, nil
}

// Dir is where the entries are.
func (c *Cache) Dir() string { return c.dir }

// entryPath validates the key, which comes from registries, and names its file.
func (c *Cache) entryPath(kind, digest string) (string, error) {
	if !kindName.MatchString(kind) {
		return "", fmt.Errorf("cache kind %q: want lower-case letters, digits, '.', '-' or '_'", kind)
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		return "", fmt.Errorf("cache key %q: %w", digest, err)
	}
	return filepath.Join(c.dir, kind, h.Algorithm, h.Hex+".json"), nil
}

// Get reads the entry (kind, digest) into v and reports whether there was one. A
// corrupt entry is removed and reported as a miss with an error wrapping
// ErrCorruptEntry.
func (c *Cache) Get(kind, digest string, v any) (bool, error) {
	p, err := c.entryPath(kind, digest)
	if err != nil {
		return false, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, c.maxBytes()+1))
	if err != nil {
		return false, fmt.Errorf("cache: %s: %w", p, err)
	}
	if err := decodeEntry(data, kind, digest, c.maxBytes(), v); err != nil {
		os.Remove(p)
		return false, fmt.Errorf("cache: %s: %w (%w; removed)", p, err, ErrCorruptEntry)
	}
	return true, nil
}

func decodeEntry(data []byte, kind, digest string, limit int64, v any) error {
	if int64(len(data)) > limit {
		return fmt.Errorf("over the limit of %s", formatBytes(limit))
	}
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return err
	}
	if e.Format != cacheFormat || e.Kind != kind || e.Digest != digest {
		return fmt.Errorf("holds format %d, kind %q, digest %q", e.Format, e.Kind, e.Digest)
	}
	return json.Unmarshal(e.Data, v)
}

// Put writes v as the entry (kind, digest), atomically: readers see the old entry or
// the new one, never part of one.
func (c *Cache) Put(kind, digest string, v any) error {
	p, err := c.entryPath(kind, digest)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cache %s %s: %w", kind, digest, err)
	}
	file, err := json.Marshal(envelope{Format: cacheFormat, Kind: kind, Digest: digest, Data: data})
	if err != nil {
		return fmt.Errorf("cache %s %s: %w", kind, digest, err)
	}
	if int64(len(file)) > c.maxBytes() {
		return fmt.Errorf("cache %s %s: %s, over the limit of %s per entry", kind, digest, formatBytes(int64(len(file))), formatBytes(c.maxBytes()))
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return writeAtomic(p, file)
}

func (c *Cache) maxBytes() int64 {
	if c.MaxEntryBytes > 0 {
		return c.MaxEntryBytes
	}
	return DefaultMaxEntryBytes
}

// writeAtomic writes a temporary file beside p and renames it over p.
func writeAtomic(p string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), p)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: %s: %w", p, werr)
	}
	return nil
}

// DefaultCacheDir is Moat's cache directory: $XDG_CACHE_HOME/moat, else ~/.cache/moat
// (a directory under the system's temporary one when there is no home).
func DefaultCacheDir() string {
	if x := os.Getenv("XDG_CACHE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "moat")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".cache", "moat")
	}
	return filepath.Join(os.TempDir(), "moat-cache")
}
