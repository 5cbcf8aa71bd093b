package osvdb

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/moat-dev/moat/internal/image"
)

// Match is one vulnerability of one package.
type Match struct {
	ID      string
	Aliases []string
	Summary string
	// Severity is critical, high, medium, low or none from the CVSS 3.x base score
	// when the record has a CVSS 3.x vector; else the database's own word, mapped onto
	// the same scale; else "unknown".
	Severity string
	// CVSS is the vector the severity comes from (a CVSS 4.0 vector when that is all
	// the record has); Score its base score, 0 when not computed.
	CVSS  string
	Score float64
	// Fixed is the first fixed version above the package's version in the range that
	// matched; "" when the record names none (not fixed yet, or only last_affected).
	Fixed   string
	Package image.Package
}

// Match returns the vulnerabilities of pkgs, grouped by package in the order given
// and sorted by ID within a package; each vulnerability once per package however
// many of its ranges match. It reads only the index built by Open, so it is safe to
// call from many goroutines.
func (db *DB) Match(pkgs []image.Package) []Match {
	var out []Match
	for _, p := range pkgs {
		out = append(out, db.matchPackage(p)...)
	}
	return out
}

func (db *DB) matchPackage(p image.Package) []Match {
	eco := normaliseRecordEcosystem(p.Ecosystem)
	base, _, _ := strings.Cut(eco, ":")
	candidates := db.index[indexKey(base, normaliseName(base, packageName(p, base)))]
	if len(candidates) == 0 {
		return nil
	}
	version := osvVersion(p, base)
	pv := newPackageVersion(version, eco)
	var out []Match
	seen := map[int32]int{} // vulnerability → its index in out
	for i := range candidates {
		e := &candidates[i]
		if e.ecosystem != eco {
			continue
		}
		hit, fixedIn := e.affects(pv)
		if !hit {
			continue
		}
		if j, dup := seen[e.vuln]; dup {
			if out[j].Fixed == "" {
				out[j].Fixed = fixedIn
			}
			continue
		}
		seen[e.vuln] = len(out)
		v := &db.vulns[e.vuln]
		out = append(out, Match{
			ID: v.id, Aliases: slices.Clone(v.aliases), Summary: v.summary, // the caller may change its copy
			Severity: v.severity, CVSS: v.cvss, Score: v.score,
			Fixed: fixedIn, Package: p,
		})
	}
	slices.SortFunc(out, func(a, b Match) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// packageVersion is a package's version parsed once in each of the two orderings a
// range may ask for: the ecosystem's own and semver. A version that does not parse
// is matched only against explicit versions lists.
type packageVersion struct {
	raw       string
	eco       semantic.Version
	ecoErr    error
	semver    semantic.Version
	ecosystem string
}

func newPackageVersion(raw, ecosystem string) (pv *packageVersion) {
	pv = &packageVersion{raw: raw, ecosystem: ecosystem}
	defer func() {
		if r := recover(); r != nil { // see entry.affects
			pv.eco, pv.ecoErr = nil, fmt.Errorf("version %q: %v", raw, r)
		}
	}()
	pv.semver = semantic.ParseSemverVersion(raw)
	pv.eco, pv.ecoErr = semantic.Parse(raw, ecosystem)
	return pv
}

// affects says whether the entry holds the version, and the fixed version of the
// range that holds it.
func (e *entry) affects(pv *packageVersion) (hit bool, fixedIn string) {
	defer func() {
		// The records are untrusted input to the version library: should it panic on
		// one, that record decides nothing and the scan goes on.
		if recover() != nil {
			hit, fixedIn = false, ""
		}
	}()
	hit = e.listed(pv)
	for _, r := range e.ranges {
		in, f := r.holds(pv)
		if in {
			hit = true
			if fixedIn == "" {
				fixedIn = f
			}
		}
	}
	return hit, fixedIn
}

// listed says whether the explicit versions list names the version: the same string,
// or a string the ecosystem orders equal to it (PyPI's 1.0 and 1.0.0).
func (e *entry) listed(pv *packageVersion) bool {
	for _, v := range e.versions {
		if v == pv.raw {
			return true
		}
	}
	if pv.ecoErr != nil {
		return false
	}
	for _, v := range e.versions {
		if c, err := pv.eco.CompareStr(v); err == nil && c == 0 {
			return true
		}
	}
	return false
}

type parsedEvent struct {
	event
	zero bool // introduced "0": before every version
	v    semantic.Version
}

// holds evaluates a range as the OSV schema describes: its events sorted by version,
// the version is affected after an introduced it has reached until a fixed or limit
// it has reached or a last_affected it has passed. fixedIn is the event that ends the
// version's affected interval when that event is a fixed one.
func (r versionRange) holds(pv *packageVersion) (in bool, fixedIn string) {
	v, parse := pv.eco, func(s string) (semantic.Version, error) { return semantic.Parse(s, pv.ecosystem) }
	if r.semver {
		v, parse = pv.semver, func(s string) (semantic.Version, error) { return semantic.ParseSemverVersion(s), nil }
	} else if pv.ecoErr != nil {
		return false, ""
	}
	events, ok := parseEvents(r.events, parse)
	if !ok {
		return false, "" // a range whose versions cannot be ordered decides nothing
	}
	reached := make([]bool, len(events))
	for i, ev := range events {
		c := 1
		if !ev.zero {
			var err error
			if c, err = v.Compare(ev.v); err != nil {
				return false, ""
			}
		}
		// last_affected is inclusive: only a version above it has passed it.
		reached[i] = c > 0 || (c == 0 && ev.kind != lastAffected)
		if reached[i] {
			in = ev.kind == introduced // sorted: the last event reached decides
		}
	}
	if !in {
		return false, ""
	}
	for i, ev := range events {
		if !reached[i] && ev.kind != introduced {
			if ev.kind == fixed {
				return true, ev.version
			}
			return true, ""
		}
	}
	return true, ""
}

// parseEvents parses and sorts a range's events; false when one does not parse.
func parseEvents(events []event, parse func(string) (semantic.Version, error)) ([]parsedEvent, bool) {
	out := make([]parsedEvent, len(events))
	for i, ev := range events {
		out[i].event = ev
		if ev.kind == introduced && ev.version == "0" {
			out[i].zero = true
			continue
		}
		v, err := parse(ev.version)
		if err != nil {
			return nil, false
		}
		out[i].v = v
	}
	ok := true
	slices.SortStableFunc(out, func(a, b parsedEvent) int {
		switch {
		case a.zero && b.zero:
			return 0
		case a.zero:
			return -1
		case b.zero:
			return 1
		}
		c, err := a.v.Compare(b.v)
		if err != nil {
			ok = false
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.kind, b.kind)
	})
	return out, ok
}

// indexKey is the key of the index: an ecosystem without its release, and a name.
func indexKey(base, name string) string { return base + "\x00" + name }

// packageName is the name advisories use for a package: distributions' advisories
// name source packages.
func packageName(p image.Package, base string) string {
	switch base {
	case "Debian", "Ubuntu", "Alpine":
		if p.SourceName != "" {
			return p.SourceName
		}
	}
	return p.Name
}

// osvVersion is the version as OSV writes it: Go's toolchain reports the
// standard library as "go1.22.1", OSV as "1.22.1".
func osvVersion(p image.Package, base string) string {
	if base == "Go" && (p.Name == "stdlib" || p.Name == "toolchain") {
		return strings.TrimPrefix(p.Version, "go")
	}
	return p.Version
}

var pep503Separators = regexp.MustCompile(`[-_.]+`)

// normaliseName puts a name in the form the index uses: PyPI names per PEP 503
// (case-insensitive, runs of "-", "_" and "." equal); other ecosystems' names as
// they are.
func normaliseName(base, name string) string {
	if base == "PyPI" {
		return pep503Separators.ReplaceAllString(strings.ToLower(name), "-")
	}
	return name
}

// normaliseRecordEcosystem reconciles OSV's ecosystem names with what inventories
// report: OSV writes Ubuntu's long-term releases as "Ubuntu:22.04:LTS", scalibr as
// "Ubuntu:22.04". ("Ubuntu:Pro:22.04:LTS", the paid extended releases, stays apart.)
func normaliseRecordEcosystem(eco string) string {
	if strings.HasPrefix(eco, "Ubuntu:") {
		return strings.TrimSuffix(eco, ":LTS")
	}
	return eco
}
