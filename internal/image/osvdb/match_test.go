package osvdb

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/image"
)

const (
	vectorCritical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"                    // 9.8
	vectorMedium   = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"                    // 5.5
	vectorV4       = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" // no v3 score
	vectorBroken   = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"                        // A missing
	vectorV3Tempo  = "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/E:P/RL:O/RC:C"      // 6.1, temporal ignored
)

// testDB writes a small database in OSV's export format, one export per ecosystem,
// whose records exercise each ecosystem's version ordering, and opens it.
func testDB(t *testing.T) *DB {
	t.Helper()
	return openClean(t, testDBDir(t))
}

// testDBs opens the test database twice: from the exports, then from the index the
// first Open wrote.
func testDBs(t *testing.T) map[string]*DB {
	t.Helper()
	dir := testDBDir(t)
	parsed := openClean(t, dir)
	assertIndexed(t, dir)
	return map[string]*DB{"from the exports": parsed, "from the index": openClean(t, dir)}
}

func openClean(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if errs := db.Errors(); len(errs) != 0 {
		t.Fatalf("errors opening the test database: %v", errs)
	}
	return db
}

func testDBDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeExport(t, dir, "Debian",
		// 2.0-1 sorts before 1:1.0-1: the epoch outranks the rest.
		record("DSA-EPOCH", affected("Debian:12", "epochsrc", rng("ECOSYSTEM", "introduced:0", "fixed:1:1.0-1"))).
			with("aliases", []string{"CVE-2026-0001"}).with("severity", severity("CVSS_V3", vectorCritical)).entry(t),
		// 1.0~rc1 sorts before 1.0.
		record("DSA-TILDE", affected("Debian:12", "tildesrc", rng("ECOSYSTEM", "introduced:0", "fixed:1.0"))).
			with("summary", "tilde before release").entry(t),
		// The same source in another release: must not match Debian 12 packages.
		record("DSA-OTHER-RELEASE", affected("Debian:11", "tildesrc", rng("ECOSYSTEM", "introduced:0", "fixed:9.9"))).entry(t),
		// Two intervals, events given out of order: the schema sorts them.
		record("DSA-INTERVALS", affected("Debian:12", "intervalsrc",
			rng("ECOSYSTEM", "fixed:2.5-1", "introduced:2.0-1", "fixed:1.0-1", "introduced:0"))).entry(t),
		// Two ranges holding the same version: one match.
		record("DSA-TWICE", affected("Debian:12", "twicesrc",
			rng("ECOSYSTEM", "introduced:0", "fixed:3.0-1"),
			rng("ECOSYSTEM", "introduced:1.0-1", "fixed:2.0-1"))).entry(t),
		record("DSA-WITHDRAWN", affected("Debian:12", "epochsrc", rng("ECOSYSTEM", "introduced:0"))).
			with("withdrawn", "2026-02-01T00:00:00Z").entry(t),
		// Rated only by a CVSS 4.0 vector and the database's own word.
		record("DSA-V4", affected("Debian:12", "v4src", rng("ECOSYSTEM", "introduced:0"))).
			with("severity", severity("CVSS_V4", vectorV4)).with("database_specific", map[string]any{"severity": "HIGH"}).entry(t),
		record("DSA-V4-ONLY", affected("Debian:12", "v4src", rng("ECOSYSTEM", "introduced:0"))).
			with("severity", severity("CVSS_V4", vectorV4)).entry(t),
		record("DSA-BROKEN-VECTOR", affected("Debian:12", "v4src", rng("ECOSYSTEM", "introduced:0"))).
			with("severity", severity("CVSS_V3", vectorBroken)).entry(t),
		record("DSA-TEMPORAL", affected("Debian:12", "temporalsrc", rng("ECOSYSTEM", "introduced:0"))).
			with("severity", severity("CVSS_V3", vectorV3Tempo)).entry(t),
	)
	writeExport(t, dir, "Ubuntu",
		record("UBUNTU-LTS", affected("Ubuntu:22.04:LTS", "ubsrc", rng("ECOSYSTEM", "introduced:0", "fixed:1.2-1ubuntu2"))).
			with("severity", []map[string]string{{"type": "Ubuntu", "score": "medium"}}).entry(t),
		record("UBUNTU-PRO", affected("Ubuntu:Pro:22.04:LTS", "ubsrc", rng("ECOSYSTEM", "introduced:0"))).entry(t),
	)
	writeExport(t, dir, "Alpine",
		// 1.2.3_p1 sorts after 1.2.3.
		record("ALPINE-P", affected("Alpine:v3.20", "patchsrc", rng("ECOSYSTEM", "introduced:0", "fixed:1.2.3_p1"))).entry(t),
		// -r10 sorts after -r9, numerically.
		record("ALPINE-R", affected("Alpine:v3.20", "revsrc", rng("ECOSYSTEM", "introduced:0", "fixed:1.2.3-r10"))).entry(t),
	)
	writeExport(t, dir, "npm",
		// A SEMVER range: 1.2.3-beta.1 is before 1.2.3.
		record("GHSA-semver", affected("npm", "left-pad", rng("SEMVER", "introduced:1.0.0", "fixed:1.2.3"))).
			with("aliases", []string{"CVE-2026-0002", "SNYK-1"}).with("database_specific", map[string]any{"severity": "MODERATE"}).entry(t),
		// GIT ranges name commits: ignored.
		record("GHSA-git", affected("npm", "left-pad", rng("GIT", "introduced:0", "fixed:abcdef0"))).entry(t),
	)
	writeExport(t, dir, "PyPI",
		record("PYSEC-name", affected("PyPI", "Django_Rest.Framework", rng("ECOSYSTEM", "introduced:0", "fixed:2.0.0rc1"))).entry(t),
		record("PYSEC-list", versionsAffected("PyPI", "listed", "1.0", "1.1")).entry(t),
		record("PYSEC-limit", affected("PyPI", "limited", rng("ECOSYSTEM", "introduced:1.0", "limit:2.0"))).entry(t),
	)
	writeExport(t, dir, "Go",
		record("GO-fixed", affected("Go", "example.com/mod", rng("SEMVER", "introduced:0", "fixed:1.5.0"))).entry(t),
		record("GO-last", affected("Go", "example.com/last", rng("SEMVER", "introduced:1.0.0", "last_affected:1.3.0"))).entry(t),
		record("GO-stdlib", affected("Go", "stdlib", rng("SEMVER", "introduced:1.21.0", "fixed:1.21.5"))).entry(t),
	)
	writeExport(t, dir, "Maven",
		record("GHSA-maven", affected("Maven", "org.example:lib", rng("ECOSYSTEM", "introduced:0", "fixed:2.0"))).entry(t),
	)
	return dir
}

func TestMatchVersionSemantics(t *testing.T) {
	dbs := testDBs(t)
	deb := func(name, src, version string) image.Package {
		return image.Package{Name: name, SourceName: src, Version: version, Ecosystem: "Debian:12"}
	}
	pkg := func(eco, name, version string) image.Package {
		return image.Package{Name: name, Version: version, Ecosystem: eco}
	}
	// want is "ID" or "ID fixed=VERSION".
	cases := []struct {
		name string
		pkg  image.Package
		want []string
	}{
		{"a Debian version without epoch is below one with", deb("libepoch1", "epochsrc", "2.0-1"), []string{"DSA-EPOCH fixed=1:1.0-1"}},
		{"the Debian fixed version itself is not affected", deb("libepoch1", "epochsrc", "1:1.0-1"), nil},
		{"a later Debian epoch version is not affected", deb("libepoch1", "epochsrc", "1:1.1-1"), nil},
		{"a binary package without source matches by its name", deb("epochsrc", "", "0.5-1"), []string{"DSA-EPOCH fixed=1:1.0-1"}},
		{"a binary name alone does not match a source advisory", deb("libepoch1", "", "0.5-1"), nil},
		{"a Debian tilde release candidate is below the release", deb("tildesrc", "", "1.0~rc1"), []string{"DSA-TILDE fixed=1.0"}},
		{"the Debian release after its tilde candidate is fixed", deb("tildesrc", "", "1.0"), nil},
		{"a Debian 11 advisory does not match Debian 12", deb("tildesrc", "", "2.0"), nil},
		{"a Debian 11 package matches its own release", pkg("Debian:11", "tildesrc", "2.0"), []string{"DSA-OTHER-RELEASE fixed=9.9"}},
		{"a version between two intervals is not affected", deb("intervalsrc", "", "1.5-1"), nil},
		{"a version in the second interval names its own fix", deb("intervalsrc", "", "2.1-1"), []string{"DSA-INTERVALS fixed=2.5-1"}},
		{"a version in the first interval names the first fix", deb("intervalsrc", "", "0.9-1"), []string{"DSA-INTERVALS fixed=1.0-1"}},
		{"two ranges holding a version give one match", deb("twicesrc", "", "1.5-1"), []string{"DSA-TWICE fixed=3.0-1"}},
		{"Ubuntu LTS advisories match the release", pkg("Ubuntu:22.04", "ubsrc", "1.2-1ubuntu1"), []string{"UBUNTU-LTS fixed=1.2-1ubuntu2"}},
		{"an Ubuntu fixed version is not affected", pkg("Ubuntu:22.04", "ubsrc", "1.2-1ubuntu2"), nil},
		{"Alpine 1.2.3 is below 1.2.3_p1", pkg("Alpine:v3.20", "patchsrc", "1.2.3-r0"), []string{"ALPINE-P fixed=1.2.3_p1"}},
		{"Alpine 1.2.3_p1 is fixed", pkg("Alpine:v3.20", "patchsrc", "1.2.3_p1-r0"), nil},
		{"Alpine 1.2.3_p2 is after the fix", pkg("Alpine:v3.20", "patchsrc", "1.2.3_p2-r0"), nil},
		{"Alpine -r9 is below -r10", pkg("Alpine:v3.20", "revsrc", "1.2.3-r9"), []string{"ALPINE-R fixed=1.2.3-r10"}},
		{"Alpine -r10 is fixed", pkg("Alpine:v3.20", "revsrc", "1.2.3-r10"), nil},
		{"Alpine -r11 is after the fix", pkg("Alpine:v3.20", "revsrc", "1.2.3-r11"), nil},
		{"Alpine matches by origin package", image.Package{Name: "libpatch", SourceName: "patchsrc", Version: "1.2.3-r0", Ecosystem: "Alpine:v3.20"}, []string{"ALPINE-P fixed=1.2.3_p1"}},
		{"another Alpine release does not match", pkg("Alpine:v3.19", "revsrc", "1.2.3-r9"), nil},
		{"a semver pre-release is below its release", pkg("npm", "left-pad", "1.2.3-beta.1"), []string{"GHSA-semver fixed=1.2.3"}},
		{"the semver release is fixed", pkg("npm", "left-pad", "1.2.3"), nil},
		{"a semver version below introduced is not affected", pkg("npm", "left-pad", "0.9.0"), nil},
		{"npm names are case-sensitive", pkg("npm", "Left-Pad", "1.1.0"), nil},
		{"PyPI names are normalised per PEP 503", pkg("PyPI", "django-rest-framework", "1.9"), []string{"PYSEC-name fixed=2.0.0rc1"}},
		{"a PyPI alpha is below the release candidate", pkg("PyPI", "DJANGO.rest__framework", "2.0.0a1"), []string{"PYSEC-name fixed=2.0.0rc1"}},
		{"the PyPI release candidate is fixed", pkg("PyPI", "django-rest-framework", "2.0.0rc1"), nil},
		{"a listed version is affected", pkg("PyPI", "listed", "1.1"), []string{"PYSEC-list"}},
		{"a listed version is compared as the ecosystem does", pkg("PyPI", "listed", "1.0.0"), []string{"PYSEC-list"}},
		{"an unlisted version is not affected", pkg("PyPI", "listed", "1.2"), nil},
		{"below a limit is affected with no fix named", pkg("PyPI", "limited", "1.9"), []string{"PYSEC-limit"}},
		{"the limit itself is not affected", pkg("PyPI", "limited", "2.0"), nil},
		{"Go versions with a v prefix compare with OSV's without", pkg("Go", "example.com/mod", "v1.4.9"), []string{"GO-fixed fixed=1.5.0"}},
		{"the Go fixed version is not affected", pkg("Go", "example.com/mod", "v1.5.0"), nil},
		{"last_affected is inclusive", pkg("Go", "example.com/last", "v1.3.0"), []string{"GO-last"}},
		{"after last_affected is not affected", pkg("Go", "example.com/last", "v1.3.1"), nil},
		{"the Go standard library as the toolchain reports it", pkg("Go", "stdlib", "go1.21.3"), []string{"GO-stdlib fixed=1.21.5"}},
		{"Maven matches group:artifact", pkg("Maven", "org.example:lib", "1.9"), []string{"GHSA-maven fixed=2.0"}},
		{"a package of an ecosystem without records", pkg("crates.io", "serde", "1.0.0"), nil},
		{"a version with a non-numeric epoch matches no range", deb("epochsrc", "", "x:1.0-1"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for source, db := range dbs {
				if got := matchSummary(t, db, tc.pkg); !slices.Equal(got, tc.want) {
					t.Errorf("%s: Match(%s %s %s) = %q, want %q", source, tc.pkg.Ecosystem, tc.pkg.Name, tc.pkg.Version, got, tc.want)
				}
			}
		})
	}
}

// matchSummary is "ID" or "ID fixed=VERSION" for each match of p.
func matchSummary(t *testing.T, db *DB, p image.Package) []string {
	t.Helper()
	var got []string
	for _, m := range db.Match([]image.Package{p}) {
		s := m.ID
		if m.Fixed != "" {
			s += " fixed=" + m.Fixed
		}
		got = append(got, s)
		if m.Package != p {
			t.Errorf("match %s carries package %+v, want %+v", m.ID, m.Package, p)
		}
	}
	return got
}

func TestMatchReportsRecordDetails(t *testing.T) {
	dbs := testDBs(t)
	cases := []struct {
		name           string
		pkg            image.Package
		id             string
		severity, cvss string
		score          float64
		aliases        []string
		summary        string
	}{
		{"a CVSS 3.1 vector is scored", image.Package{Name: "epochsrc", Version: "1.0-1", Ecosystem: "Debian:12"},
			"DSA-EPOCH", "critical", vectorCritical, 9.8, []string{"CVE-2026-0001"}, ""},
		{"temporal metrics do not change the base score", image.Package{Name: "temporalsrc", Version: "1", Ecosystem: "Debian:12"},
			"DSA-TEMPORAL", "medium", vectorV3Tempo, 6.1, nil, ""},
		{"a CVSS 4.0 record takes the database's word", image.Package{Name: "v4src", Version: "1", Ecosystem: "Debian:12"},
			"DSA-V4", "high", vectorV4, 0, nil, ""},
		{"a CVSS 4.0 record without a word is unknown", image.Package{Name: "v4src", Version: "1", Ecosystem: "Debian:12"},
			"DSA-V4-ONLY", "unknown", vectorV4, 0, nil, ""},
		{"a malformed CVSS 3 vector is unknown", image.Package{Name: "v4src", Version: "1", Ecosystem: "Debian:12"},
			"DSA-BROKEN-VECTOR", "unknown", vectorBroken, 0, nil, ""},
		{"GitHub's MODERATE is medium", image.Package{Name: "left-pad", Version: "1.0.0", Ecosystem: "npm"},
			"GHSA-semver", "medium", "", 0, []string{"CVE-2026-0002", "SNYK-1"}, ""},
		{"an Ubuntu priority rates the record", image.Package{Name: "ubsrc", Version: "1.0", Ecosystem: "Ubuntu:22.04"},
			"UBUNTU-LTS", "medium", "", 0, nil, ""},
		{"the summary is kept", image.Package{Name: "tildesrc", Version: "0.1", Ecosystem: "Debian:12"},
			"DSA-TILDE", "unknown", "", 0, nil, "tilde before release"},
		{"a record without severity is unknown", image.Package{Name: "example.com/mod", Version: "v1.0.0", Ecosystem: "Go"},
			"GO-fixed", "unknown", "", 0, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for source, db := range dbs {
				var m *Match
				for _, got := range db.Match([]image.Package{tc.pkg}) {
					if got.ID == tc.id {
						m = &got
					}
				}
				if m == nil {
					t.Fatalf("%s: no match %s for %+v", source, tc.id, tc.pkg)
				}
				if m.Severity != tc.severity || m.CVSS != tc.cvss || m.Score != tc.score {
					t.Errorf("%s: severity, cvss, score = %q, %q, %v; want %q, %q, %v", source, m.Severity, m.CVSS, m.Score, tc.severity, tc.cvss, tc.score)
				}
				if !slices.Equal(m.Aliases, tc.aliases) {
					t.Errorf("%s: aliases = %q, want %q", source, m.Aliases, tc.aliases)
				}
				if m.Summary != tc.summary {
					t.Errorf("%s: summary = %q, want %q", source, m.Summary, tc.summary)
				}
			}
		})
	}
}

func TestMatchKeepsPackageOrder(t *testing.T) {
	db := testDB(t)
	pkgs := []image.Package{
		{Name: "left-pad", Version: "1.0.0", Ecosystem: "npm"},
		{Name: "nothing", Version: "1", Ecosystem: "npm"},
		{Name: "v4src", Version: "1", Ecosystem: "Debian:12"},
	}
	var got []string
	for _, m := range db.Match(pkgs) {
		got = append(got, m.Package.Name+" "+m.ID)
	}
	want := []string{"left-pad GHSA-semver", "v4src DSA-BROKEN-VECTOR", "v4src DSA-V4", "v4src DSA-V4-ONLY"}
	if !slices.Equal(got, want) {
		t.Errorf("Match = %q, want %q", got, want)
	}
}

func TestMatchIsSafeConcurrently(t *testing.T) {
	db := testDB(t)
	pkgs := []image.Package{{Name: "left-pad", Version: "1.0.0", Ecosystem: "npm"}, {Name: "revsrc", Version: "1.2.3-r9", Ecosystem: "Alpine:v3.20"}}
	done := make(chan int)
	for range 8 {
		go func() { done <- len(db.Match(pkgs)) }()
	}
	for range 8 {
		if n := <-done; n != 2 {
			t.Errorf("concurrent Match found %d, want 2", n)
		}
	}
}

func TestSummaryFromDetails(t *testing.T) {
	long := strings.Repeat("é", maxSummary) // two bytes a rune: the cut must not split one
	cases := []struct {
		name string
		rec  osvRecord
		want string
	}{
		{"summary wins", osvRecord{Summary: "s", Details: "d"}, "s"},
		{"first line of details", osvRecord{Details: "\n first line\nsecond"}, "first line"},
		{"long text is cut at a rune", osvRecord{Summary: long}, strings.Repeat("é", maxSummary/2) + "…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := summaryOf(tc.rec); got != tc.want {
				t.Errorf("summaryOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseRecordErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name, json, want string
	}{
		{"syntax error", "{\n  \"id\": \"X\",\n  oops\n}", "line 3, column 3"},
		{"wrong type", `{"id": "X", "aliases": "CVE-1"}`, "aliases: want []string, got JSON string"},
		{"no id", `{"summary": "x"}`, "id: missing"},
		{"two kinds in one event", `{"id": "X", "affected": [{"package": {"ecosystem": "npm", "name": "a"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1"}]}]}]}`,
			"affected[0].ranges[0].events[0]: want exactly one of introduced, fixed, last_affected, limit"},
		{"unknown range type", `{"id": "X", "affected": [{"package": {"ecosystem": "npm", "name": "a"}}, {"package": {"ecosystem": "npm", "name": "a"}, "ranges": [{"type": "SVN", "events": []}]}]}`,
			`affected[1].ranges[0].type: unknown range type "SVN"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseRecord([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseRecord error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestOpenReportsMalformedRecordsAndLoadsTheRest(t *testing.T) {
	dir := t.TempDir()
	writeExport(t, dir, "npm",
		record("GOOD-1", affected("npm", "a", rng("SEMVER", "introduced:0", "fixed:2.0.0"))).entry(t),
		zipEntry{name: "BAD-1.json", body: `{"id": "BAD-1", "affected": [`},
		zipEntry{name: "README.txt", body: "not a record"},
		record("GOOD-2", affected("npm", "a", rng("SEMVER", "introduced:0", "fixed:3.0.0"))).entry(t),
		zipEntry{name: "BAD-2.json", body: `{"id": "BAD-2", "affected": [{"package": {"ecosystem": "npm", "name": "a"}, "ranges": [{"type": "SEMVER", "events": [{}]}]}]}`},
	)
	writeExport(t, dir, "PyPI", zipEntry{name: "HUGE.json", body: `{"id": "HUGE", "details": "` + strings.Repeat("x", MaxRecordBytes) + `"}`})
	corrupt := dir + "/Corrupt/" + exportName
	writeExport(t, dir, "Corrupt")
	if err := writeFile(corrupt, "this is not a zip"); err != nil {
		t.Fatal(err)
	}
	for _, source := range []string{"from the exports", "from the index"} {
		t.Run(source, func(t *testing.T) {
			db, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			checkMalformedReported(t, db)
		})
	}
}

func checkMalformedReported(t *testing.T, db *DB) {
	want := []struct{ zip, entry, text string }{
		{"Corrupt/all.zip", "", "not a valid zip file"},
		{"PyPI/all.zip", "HUGE.json", "more than the limit of 4194304"},
		{"npm/all.zip", "BAD-1.json", "unexpected end of JSON input"},
		{"npm/all.zip", "BAD-2.json", "affected[0].ranges[0].events[0]"},
	}
	errs := db.Errors()
	if len(errs) != len(want) {
		t.Fatalf("Errors() = %v, want %d errors", errs, len(want))
	}
	for i, w := range want {
		var re *RecordError
		if !errors.As(errs[i], &re) {
			t.Fatalf("error %d %v is not a *RecordError", i, errs[i])
		}
		if !strings.HasSuffix(re.Zip, w.zip) || re.Entry != w.entry || !strings.Contains(re.Error(), w.text) {
			t.Errorf("error %d = %v (zip %s, entry %q); want zip %s, entry %q, text %q", i, re, re.Zip, re.Entry, w.zip, w.entry, w.text)
		}
		if w.entry != "" && !strings.Contains(re.Error(), w.zip) {
			t.Errorf("error %d %q does not name the zip", i, re)
		}
	}
	var ids []string
	for _, m := range db.Match([]image.Package{{Name: "a", Version: "1.0.0", Ecosystem: "npm"}}) {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []string{"GOOD-1", "GOOD-2"}) {
		t.Errorf("records loaded beside the malformed ones match %q, want GOOD-1 and GOOD-2", ids)
	}
	if db.Records() != 2 {
		t.Errorf("Records() = %d, want 2", db.Records())
	}
}

func TestOpenFailures(t *testing.T) {
	onlyCorrupt := t.TempDir()
	writeExport(t, onlyCorrupt, "Debian")
	if err := writeFile(onlyCorrupt+"/Debian/"+exportName, "garbage"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir, want string
	}{
		{"a directory that does not exist", t.TempDir() + "/missing", "no such file or directory"},
		{"a directory without exports", t.TempDir(), "no <ECOSYSTEM>/all.zip in it"},
		{"no export loads", onlyCorrupt, "Debian/all.zip: zip: not a valid zip file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(tc.dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open = %v, %v; want an error containing %q", db, err, tc.want)
			}
		})
	}
}

func TestRecordsInTwoExportsAreIndexedOnce(t *testing.T) {
	dir := t.TempDir()
	both := record("GHSA-both", affected("npm", "a", rng("SEMVER", "introduced:0")), affected("PyPI", "a", rng("ECOSYSTEM", "introduced:0")))
	writeExport(t, dir, "npm", both.entry(t))
	writeExport(t, dir, "PyPI", both.entry(t))
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := db.Match([]image.Package{{Name: "a", Version: "1", Ecosystem: "npm"}, {Name: "a", Version: "1", Ecosystem: "PyPI"}})
	if db.Records() != 1 || len(got) != 2 {
		t.Errorf("Records() = %d, matches = %d; want 1 record matching both packages", db.Records(), len(got))
	}
}
