package osvdb

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultBaseURL is where OSV publishes its exports: BASE/<ECOSYSTEM>/all.zip.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// DefaultMaxDownload bounds one export (Debian's, the largest, is some hundreds of MiB).
const DefaultMaxDownload int64 = 2 << 30

// DefaultEcosystems are the exports an update fetches when none are named: the
// distributions whose packages the inventory reads and the language ecosystems it
// finds in images.
var DefaultEcosystems = []string{
	"Alpine", "Debian", "Ubuntu", "Red Hat",
	"Go", "PyPI", "npm", "Maven", "crates.io", "RubyGems", "NuGet", "Packagist",
}

// Update downloads each ecosystem's export from baseURL (DefaultBaseURL when "") into
// dir, with hc (a plain client when nil); see Updater.
func Update(ctx context.Context, dir, baseURL string, ecosystems []string, hc *http.Client) error {
	return Updater{BaseURL: baseURL, Client: hc}.Update(ctx, dir, ecosystems)
}

// Updater fetches exports. Its zero value fetches from DefaultBaseURL with a plain
// client, DefaultMaxDownload bytes at most per export.
type Updater struct {
	BaseURL  string
	Client   *http.Client
	MaxBytes int64
}

// Update downloads each ecosystem's export (DefaultEcosystems when none are given)
// into dir/<ECOSYSTEM>/all.zip, one after another, and records each in
// dir/metadata.json. An export replaces the old copy only once it is whole and reads
// as a zip; an ecosystem that fails keeps its old copy and is an error naming it,
// and the others go on. ctx bounds the time; an export the server says is unchanged
// (ETag) is not downloaded again.
func (u Updater) Update(ctx context.Context, dir string, ecosystems []string) error {
	if len(ecosystems) == 0 {
		ecosystems = DefaultEcosystems
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("OSV update: %w", err)
	}
	meta, err := readMetadata(dir)
	if err != nil || meta.Ecosystems == nil {
		meta = Metadata{Ecosystems: map[string]Fetch{}} // an unreadable record of past fetches is rewritten
	}
	var errs []error
	fetchedAny := false
	for _, eco := range ecosystems {
		f, err := u.fetch(ctx, dir, eco, meta.Ecosystems[eco])
		if err != nil {
			errs = append(errs, fmt.Errorf("OSV update %s: %w", eco, err))
			continue
		}
		meta.Ecosystems[eco] = f
		fetchedAny = true
	}
	if fetchedAny {
		if err := writeMetadata(dir, meta); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// fetch downloads one export; prev is its last fetch, whose ETag lets the server
// answer "not modified".
func (u Updater) fetch(ctx context.Context, dir, eco string, prev Fetch) (Fetch, error) {
	if err := checkEcosystemName(eco); err != nil {
		return Fetch{}, err
	}
	base := u.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	src := strings.TrimSuffix(base, "/") + "/" + url.PathEscape(eco) + "/" + exportName
	dst := filepath.Join(dir, eco, exportName)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return Fetch{}, err
	}
	if _, statErr := os.Stat(dst); statErr == nil && prev.ETag != "" && prev.URL == src {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	client := u.Client
	if client == nil {
		client = &http.Client{}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Fetch{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && req.Header.Get("If-None-Match") != "" {
		prev.Fetched = time.Now().UTC()
		return prev, nil
	}
	if resp.StatusCode != http.StatusOK {
		return Fetch{}, fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	size, err := u.save(resp, dst)
	if err != nil {
		return Fetch{}, fmt.Errorf("GET %s: %w", src, err)
	}
	// Index now, so that the first scan after an update opens as fast as the next.
	// Errors in records are Open's to report.
	_, _ = loadExport(dst)
	return Fetch{URL: src, Fetched: time.Now().UTC(), Size: size, ETag: resp.Header.Get("ETag")}, nil
}

// save writes the body next to dst and renames it over dst once it is whole and
// opens as a zip, so that a reader never sees half an export.
func (u Updater) save(resp *http.Response, dst string) (int64, error) {
	limit := u.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxDownload
	}
	if resp.ContentLength > limit {
		return 0, fmt.Errorf("%d bytes, more than the limit of %d", resp.ContentLength, limit)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+exportName+"-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, limit+1))
	if err == nil && n > limit {
		err = fmt.Errorf("more than the limit of %d bytes", limit)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return 0, err
	}
	if err := checkZip(tmp.Name()); err != nil {
		return 0, fmt.Errorf("not a zip export: %w", err)
	}
	return n, os.Rename(tmp.Name(), dst)
}

func checkZip(path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	return zr.Close()
}

// checkEcosystemName refuses names that would not stay one directory inside dir.
func checkEcosystemName(eco string) error {
	if eco == "" || eco == "." || eco == ".." || strings.ContainsAny(eco, `/\`+"\x00") {
		return fmt.Errorf("ecosystem name %q: want a name such as Debian or PyPI", eco)
	}
	return nil
}

// writeMetadata replaces metadata.json in one rename.
func writeMetadata(dir string, meta Metadata) error {
	data, err := json.MarshalIndent(meta, "", "  ")
	if err == nil {
		err = writeAtomically(filepath.Join(dir, metadataName), func(w io.Writer) error {
			_, err := w.Write(append(data, '\n'))
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("OSV update: %s: %w", metadataName, err)
	}
	return nil
}

// DefaultDir is where the database is kept by default: $XDG_CACHE_HOME/moat/osv, or
// ~/.cache/moat/osv.
func DefaultDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "moat", "osv")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "moat", "osv")
	}
	return filepath.Join(home, ".cache", "moat", "osv")
}
