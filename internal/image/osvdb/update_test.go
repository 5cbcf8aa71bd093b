package osvdb

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/image"
)

// exportServer serves OSV exports the way OSV's bucket does, BASE/<ECOSYSTEM>/all.zip,
// with an ETag; an ecosystem may instead fail, hang, or serve something else.
type exportServer struct {
	mu       sync.Mutex
	exports  map[string][]byte // ecosystem → body
	failing  map[string]int    // ecosystem → status to answer instead
	hanging  map[string]bool
	bodies   map[string]int // bodies served per ecosystem
	notModif map[string]int // 304s served per ecosystem
}

func newExportServer(t *testing.T) (*exportServer, *httptest.Server) {
	s := &exportServer{exports: map[string][]byte{}, failing: map[string]int{}, hanging: map[string]bool{}, bodies: map[string]int{}, notModif: map[string]int{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *exportServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	eco, file, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	s.mu.Lock()
	body, known := s.exports[eco]
	status, hang := s.failing[eco], s.hanging[eco]
	s.mu.Unlock()
	switch {
	case hang:
		<-r.Context().Done()
		return
	case status != 0:
		http.Error(w, "boom", status)
		return
	case !ok || file != exportName || !known:
		http.NotFound(w, r)
		return
	}
	etag := `"` + eco + "-" + strings.Repeat("x", len(body)%7) + `"`
	w.Header().Set("ETag", etag)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("If-None-Match") == etag {
		s.notModif[eco]++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.bodies[eco]++
	_, _ = w.Write(body)
}

func exportWith(t *testing.T, records ...rec) []byte {
	var entries []zipEntry
	for _, r := range records {
		entries = append(entries, r.entry(t))
	}
	return zipBytes(t, entries...)
}

func matchIDs(t *testing.T, dir string, p image.Package) []string {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range db.Match([]image.Package{p}) {
		ids = append(ids, m.ID)
	}
	return ids
}

func TestUpdateFetchesExportsAndKeepsOldCopiesOfFailures(t *testing.T) {
	server, srv := newExportServer(t)
	server.exports["Debian"] = exportWith(t, record("DSA-NEW", affected("Debian:12", "bash", rng("ECOSYSTEM", "introduced:0"))))
	server.exports["Red Hat"] = exportWith(t, record("RHSA-NEW", affected("Red Hat:enterprise_linux:9::baseos", "bash", rng("ECOSYSTEM", "introduced:0"))))
	server.exports["PyPI"] = exportWith(t, record("PYSEC-NEW", affected("PyPI", "six", rng("ECOSYSTEM", "introduced:0"))))
	server.exports["npm"] = []byte("<html>not a zip</html>")
	server.failing["PyPI"] = http.StatusInternalServerError

	dir := t.TempDir()
	writeExport(t, dir, "PyPI", record("PYSEC-OLD", affected("PyPI", "six", rng("ECOSYSTEM", "introduced:0"))).entry(t))
	writeExport(t, dir, "npm", record("GHSA-OLD", affected("npm", "a", rng("SEMVER", "introduced:0"))).entry(t))
	before := time.Now().UTC()

	err := Update(context.Background(), dir, srv.URL, []string{"Debian", "Red Hat", "PyPI", "npm"}, srv.Client())
	if err == nil {
		t.Fatal("Update succeeded with a failing ecosystem")
	}
	for _, want := range []string{"OSV update PyPI", "500 Internal Server Error", "OSV update npm", "not a zip export"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Update error %q does not contain %q", err, want)
		}
	}
	for _, notWant := range []string{"update Debian", "update Red Hat"} {
		if strings.Contains(err.Error(), notWant) {
			t.Errorf("Update error %q names %q, which succeeded", err, notWant)
		}
	}
	cases := []struct {
		name string
		pkg  image.Package
		want string
	}{
		{"a fetched export is in place", image.Package{Name: "bash", Version: "5", Ecosystem: "Debian:12"}, "DSA-NEW"},
		{"an ecosystem with a space in its name is fetched", image.Package{Name: "bash", Version: "5", Ecosystem: "Red Hat:enterprise_linux:9::baseos"}, "RHSA-NEW"},
		{"a server error keeps the old copy", image.Package{Name: "six", Version: "1", Ecosystem: "PyPI"}, "PYSEC-OLD"},
		{"a body that is not a zip keeps the old copy", image.Package{Name: "a", Version: "1.0.0", Ecosystem: "npm"}, "GHSA-OLD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := matchIDs(t, dir, tc.pkg); len(got) != 1 || got[0] != tc.want {
				t.Errorf("matches = %q, want %s", got, tc.want)
			}
		})
	}

	meta, err := readMetadata(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(meta.Ecosystems) != 2 {
		t.Errorf("metadata.json names %d ecosystems, want the two fetched: %+v", len(meta.Ecosystems), meta)
	}
	deb := meta.Ecosystems["Debian"]
	if deb.URL != srv.URL+"/Debian/all.zip" || deb.Size != int64(len(server.exports["Debian"])) || deb.Fetched.Before(before) || deb.ETag == "" {
		t.Errorf("metadata for Debian = %+v", deb)
	}
	if got := meta.Ecosystems["Red Hat"].URL; got != srv.URL+"/Red%20Hat/all.zip" {
		t.Errorf("Red Hat fetched from %s", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*", ".all.zip-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %q", leftovers)
	}
}

func TestUpdateAgainDownloadsOnlyWhatChanged(t *testing.T) {
	server, srv := newExportServer(t)
	server.exports["Go"] = exportWith(t, record("GO-1", affected("Go", "example.com/m", rng("SEMVER", "introduced:0"))))
	dir := t.TempDir()
	for range 2 {
		if err := Update(context.Background(), dir, srv.URL, []string{"Go"}, srv.Client()); err != nil {
			t.Fatal(err)
		}
	}
	if server.bodies["Go"] != 1 || server.notModif["Go"] != 1 {
		t.Errorf("served %d bodies and %d not-modified, want 1 and 1", server.bodies["Go"], server.notModif["Go"])
	}
	if got := matchIDs(t, dir, image.Package{Name: "example.com/m", Version: "v1.0.0", Ecosystem: "Go"}); len(got) != 1 {
		t.Errorf("after a not-modified update, matches = %q, want GO-1", got)
	}
}

func TestUpdateBoundsSizeAndTime(t *testing.T) {
	server, srv := newExportServer(t)
	server.exports["Debian"] = exportWith(t, record("DSA-BIG", affected("Debian:12", "bash", rng("ECOSYSTEM", "introduced:0"))).
		with("details", strings.Repeat("long ", 1000)))
	server.hanging["Alpine"] = true
	cases := []struct {
		name    string
		updater Updater
		eco     string
		timeout time.Duration
		want    string
	}{
		{"an export over the size limit", Updater{BaseURL: srv.URL, Client: srv.Client(), MaxBytes: 100}, "Debian", time.Minute, "more than the limit of 100"},
		{"a server that hangs", Updater{BaseURL: srv.URL, Client: srv.Client()}, "Alpine", 200 * time.Millisecond, "context deadline exceeded"},
		{"an unknown ecosystem", Updater{BaseURL: srv.URL, Client: srv.Client()}, "Nope", time.Minute, "404 Not Found"},
		{"an ecosystem name that leaves the directory", Updater{BaseURL: srv.URL, Client: srv.Client()}, "../etc", time.Minute, `ecosystem name "../etc"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeExport(t, dir, "Debian", record("DSA-OLD", affected("Debian:12", "bash", rng("ECOSYSTEM", "introduced:0"))).entry(t))
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			err := tc.updater.Update(ctx, dir, []string{tc.eco})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.eco) {
				t.Fatalf("Update error = %v, want it to name %s and contain %q", err, tc.eco, tc.want)
			}
			if got := matchIDs(t, dir, image.Package{Name: "bash", Version: "5", Ecosystem: "Debian:12"}); len(got) != 1 || got[0] != "DSA-OLD" {
				t.Errorf("after a failed update, matches = %q, want the old copy's DSA-OLD", got)
			}
			if _, err := os.Stat(filepath.Join(dir, metadataName)); !os.IsNotExist(err) {
				t.Errorf("metadata.json written though nothing was fetched: %v", err)
			}
		})
	}
}

func TestAge(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	fileTime := now.Add(-72 * time.Hour)
	cases := []struct {
		name string
		meta string // metadata.json; "" for none
		want time.Duration
		errs int
	}{
		{"the oldest fetch counts", `{"ecosystems": {"Debian": {"fetched": "2026-06-01T10:00:00Z"}, "npm": {"fetched": "2026-05-31T12:00:00Z"}}}`, 24 * time.Hour, 0},
		{"an export metadata.json does not name falls back to its file time", `{"ecosystems": {"Debian": {"fetched": "2026-06-01T10:00:00Z"}}}`, 72 * time.Hour, 0},
		{"no metadata.json: file times", "", 72 * time.Hour, 0},
		{"a malformed metadata.json is an error and file times are used", `{"ecosystems": [}`, 72 * time.Hour, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, eco := range []string{"Debian", "npm"} {
				writeExport(t, dir, eco)
				if err := os.Chtimes(filepath.Join(dir, eco, exportName), fileTime, fileTime); err != nil {
					t.Fatal(err)
				}
			}
			if tc.meta != "" {
				if err := writeFile(filepath.Join(dir, metadataName), tc.meta); err != nil {
					t.Fatal(err)
				}
			}
			db, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := db.Age(now); got != tc.want {
				t.Errorf("Age = %v, want %v", got, tc.want)
			}
			if len(db.Errors()) != tc.errs {
				t.Errorf("Errors() = %v, want %d", db.Errors(), tc.errs)
			}
		})
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := Metadata{Ecosystems: map[string]Fetch{"Debian": {URL: "http://x/Debian/all.zip", Fetched: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Size: 42, ETag: `"e"`}}}
	if err := writeMetadata(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := readMetadata(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if !bytes.Equal(a, b) {
		t.Errorf("metadata read back = %s, want %s", a, b)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("HOME", "/home/someone")
	cases := []struct{ xdg, want string }{
		{"/var/cache/xdg", "/var/cache/xdg/moat/osv"},
		{"", "/home/someone/.cache/moat/osv"},
		{"relative/ignored", "/home/someone/.cache/moat/osv"}, // the XDG spec ignores relative paths
	}
	for _, tc := range cases {
		t.Setenv("XDG_CACHE_HOME", tc.xdg)
		if got := DefaultDir(); got != tc.want {
			t.Errorf("with XDG_CACHE_HOME=%q, DefaultDir() = %s, want %s", tc.xdg, got, tc.want)
		}
	}
}
