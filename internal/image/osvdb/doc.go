// Package osvdb keeps a local copy of the OSV database and matches an image's packages
// against it with OSV's own version semantics.
//
// The copy is OSV's ecosystem exports as published: DIR/<ECOSYSTEM>/all.zip, a zip of
// OSV JSON records, plus DIR/metadata.json saying when and from where each was
// fetched (Update writes both). Beside each export, DIR/<ECOSYSTEM>/all.idx caches
// its parsed records (index.go): Update writes it after a download, and Open
// rebuilds it whenever it is missing or does not match its export. Open indexes the
// records by ecosystem and package name in memory; Match reads only that index. The
// package does no network or disk I/O outside Open and Update, and reads the clock
// only in Update.
//
// Matching, as the OSV schema defines it:
//   - a package matches a record's affected entry of the same ecosystem, release
//     included: "Debian:12" matches only "Debian:12" (OSV's distribution records are
//     per release), and OSV's "Ubuntu:22.04:LTS" is the inventory's "Ubuntu:22.04";
//   - Debian, Ubuntu and Alpine packages are matched by their source package name
//     (the advisories name source packages), other ecosystems by name: PyPI names
//     per PEP 503, Go module paths, npm names and Maven group:artifact as they are;
//   - a version is affected when an explicit versions list names it, or when a range
//     of type ECOSYSTEM (ordered by github.com/google/osv-scalibr/semantic for that
//     ecosystem) or SEMVER (ordered as semver) holds it: the range's events sorted,
//     affected from an introduced it has reached until a fixed or limit it has
//     reached or a last_affected it has passed. GIT ranges are left out: packages in
//     images carry versions, not commits;
//   - a range whose versions do not parse in the ecosystem decides nothing, and a
//     package whose version does not parse is matched only against versions lists;
//   - withdrawn records match nothing; a vulnerability is reported once per package
//     however many of its ranges match;
//   - severity comes from the record's CVSS 3.x vector, scored here (cvss.go); see
//     severityOf for records without one.
package osvdb
