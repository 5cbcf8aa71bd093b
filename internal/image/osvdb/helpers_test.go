package osvdb

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zipEntry is one file of an export the tests write.
type zipEntry struct {
	name, body string
}

// writeExport writes dir/<eco>/all.zip holding entries, in OSV's export format.
func writeExport(t testing.TB, dir, eco string, entries ...zipEntry) {
	t.Helper()
	path := filepath.Join(dir, eco, exportName)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, zipBytes(t, entries...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func zipBytes(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rec is a record under construction; entry turns it into its file in an export.
type rec map[string]any

func record(id string, affected ...map[string]any) rec {
	return rec{"id": id, "modified": "2026-01-02T03:04:05Z", "published": "2026-01-01T00:00:00Z", "affected": affected}
}

func (r rec) with(key string, value any) rec {
	r[key] = value
	return r
}

func (r rec) entry(t testing.TB) zipEntry {
	t.Helper()
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return zipEntry{name: r["id"].(string) + ".json", body: string(data)}
}

// affected is an affected entry for a package with one range per rangeSpec.
func affected(eco, name string, ranges ...map[string]any) map[string]any {
	return map[string]any{"package": map[string]any{"ecosystem": eco, "name": name}, "ranges": ranges}
}

// versionsAffected is an affected entry with an explicit versions list and no range.
func versionsAffected(eco, name string, versions ...string) map[string]any {
	return map[string]any{"package": map[string]any{"ecosystem": eco, "name": name}, "versions": versions}
}

// rng is a range of type typ; each event is "kind:version", e.g. "fixed:1.2.3".
func rng(typ string, events ...string) map[string]any {
	var evs []map[string]string
	for _, e := range events {
		kind, version, _ := strings.Cut(e, ":")
		evs = append(evs, map[string]string{kind: version})
	}
	return map[string]any{"type": typ, "events": evs}
}

func severity(typ, score string) []map[string]string {
	return []map[string]string{{"type": typ, "score": score}}
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o644)
}
