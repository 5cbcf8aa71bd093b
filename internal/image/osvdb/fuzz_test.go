package osvdb

import (
	"testing"

	"github.com/moat-dev/moat/internal/image"
)

// FuzzParseRecord feeds record JSON to the parser and, when it parses, matches a few
// versions of each affected package against it: neither may panic, and a match must
// name the record.
func FuzzParseRecord(f *testing.F) {
	seeds := []rec{
		record("S-1", affected("Debian:12", "bash", rng("ECOSYSTEM", "introduced:0", "fixed:1:5.2-1"))).
			with("severity", severity("CVSS_V3", vectorCritical)),
		record("S-2", affected("Alpine:v3.20", "musl", rng("ECOSYSTEM", "introduced:1.2.3_p1", "last_affected:1.2.4-r10"))),
		record("S-3", affected("npm", "a", rng("SEMVER", "fixed:1.0.0", "introduced:0", "limit:2.0.0-beta.1"))).
			with("database_specific", map[string]any{"severity": 3}),
		record("S-4", versionsAffected("PyPI", "Six", "1.0", "1.0.0rc1")).with("withdrawn", "2026-01-01T00:00:00Z"),
		record("S-5", affected("Go", "stdlib", rng("GIT", "introduced:0", "fixed:abc"), rng("SEMVER", "introduced:1.21.0"))).
			with("severity", severity("CVSS_V4", vectorV4)),
	}
	for _, s := range seeds {
		f.Add([]byte(s.entry(f).body))
	}
	f.Add([]byte(`{"id": "X", "affected": [{"package": {"ecosystem": "npm", "name": "a"}, "ranges": [{"type": "SEMVER", "events": [{}]}]}]}`))
	f.Add([]byte(`{"id": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseRecord(data)
		if err != nil {
			return
		}
		db := &DB{index: map[string][]entry{}}
		(&loader{db: db, ids: map[string]bool{}}).add(r)
		for _, a := range r.affected {
			eco := a.entry.ecosystem
			for _, v := range []string{"0", "1.0.0", "1:2.3-4", "1.2.3_p1-r2", "v1.2.3-rc.1", "", "~"} {
				for _, m := range db.Match([]image.Package{{Name: nameOfKey(a.key), Ecosystem: eco, Version: v}}) {
					if m.ID != r.vuln.id {
						t.Fatalf("match %q from a database holding only %q", m.ID, r.vuln.id)
					}
				}
			}
		}
	})
}

func nameOfKey(key string) string {
	for i := range len(key) {
		if key[i] == 0 {
			return key[i+1:]
		}
	}
	return key
}
