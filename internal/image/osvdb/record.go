package osvdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// osvRecord is the part of an OSV record (https://ossf.github.io/osv-schema/) that
// matching and findings use; other fields are skipped when decoding.
type osvRecord struct {
	ID               string          `json:"id"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []osvSeverity   `json:"severity"`
	Affected         []osvAffected   `json:"affected"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Severity         []osvSeverity   `json:"severity"`
	Ranges           []osvRange      `json:"ranges"`
	Versions         []string        `json:"versions"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvRange struct {
	Type   string     `json:"type"`
	Events []osvEvent `json:"events"`
}

type osvEvent struct {
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed"`
	LastAffected string `json:"last_affected"`
	Limit        string `json:"limit"`
}

// vulnInfo is what a Match reports about a vulnerability, kept once per record.
type vulnInfo struct {
	id       string
	aliases  []string
	summary  string
	severity string
	cvss     string
	score    float64
}

// entry is one affected package of one record, indexed by ecosystem and name.
type entry struct {
	vuln      int32  // index into DB.vulns
	ecosystem string // the record's ecosystem, normalised (see normaliseRecordEcosystem)
	ranges    []versionRange
	versions  []string
}

type versionRange struct {
	semver bool // SEMVER: compared with semver semantics whatever the ecosystem
	events []event
}

type eventKind uint8

// The order of the kinds breaks ties between events of equal versions: a range
// introduced and fixed at the same version holds nothing.
const (
	introduced eventKind = iota
	lastAffected
	fixed
	limit
)

type event struct {
	kind    eventKind
	version string
}

// parsedRecord is a decoded, checked record ready to be indexed.
type parsedRecord struct {
	vuln      vulnInfo
	withdrawn bool
	affected  []parsedAffected
}

type parsedAffected struct {
	key   string // indexKey(ecosystem base, name)
	entry entry
}

// maxSummary bounds the summary kept per record; details can be pages long.
const maxSummary = 240

// parseRecord decodes and checks one OSV record. Errors name the field at fault.
func parseRecord(data []byte) (*parsedRecord, error) {
	var rec osvRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, describeJSONError(data, err)
	}
	if rec.ID == "" {
		return nil, errors.New("id: missing")
	}
	out := &parsedRecord{withdrawn: rec.Withdrawn != ""}
	out.vuln = vulnInfo{id: rec.ID, aliases: rec.Aliases, summary: summaryOf(rec)}
	out.vuln.severity, out.vuln.cvss, out.vuln.score = severityOf(rec)
	for i, a := range rec.Affected {
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			continue // a GIT-only entry names a repository, not a package
		}
		e, err := convertAffected(a)
		if err != nil {
			return nil, fmt.Errorf("affected[%d].%w", i, err)
		}
		base, _, _ := strings.Cut(a.Package.Ecosystem, ":")
		out.affected = append(out.affected, parsedAffected{key: indexKey(base, normaliseName(base, a.Package.Name)), entry: e})
	}
	return out, nil
}

// convertAffected checks an affected entry's ranges and keeps the ones compared by
// version: GIT ranges name commits, which an image's packages do not carry.
func convertAffected(a osvAffected) (entry, error) {
	e := entry{ecosystem: normaliseRecordEcosystem(a.Package.Ecosystem), versions: a.Versions}
	for j, r := range a.Ranges {
		switch r.Type {
		case "GIT":
			continue
		case "ECOSYSTEM", "SEMVER":
		default:
			return entry{}, fmt.Errorf("ranges[%d].type: unknown range type %q (want ECOSYSTEM, SEMVER or GIT)", j, r.Type)
		}
		vr := versionRange{semver: r.Type == "SEMVER"}
		for k, ev := range r.Events {
			converted, err := convertEvent(ev)
			if err != nil {
				return entry{}, fmt.Errorf("ranges[%d].events[%d]: %w", j, k, err)
			}
			vr.events = append(vr.events, converted)
		}
		e.ranges = append(e.ranges, vr)
	}
	return e, nil
}

func convertEvent(ev osvEvent) (event, error) {
	var out []event
	for _, c := range []event{{introduced, ev.Introduced}, {fixed, ev.Fixed}, {lastAffected, ev.LastAffected}, {limit, ev.Limit}} {
		if c.version != "" {
			out = append(out, c)
		}
	}
	if len(out) != 1 {
		return event{}, errors.New("want exactly one of introduced, fixed, last_affected, limit")
	}
	return out[0], nil
}

// summaryOf is the record's summary, or the first line of its details (Debian's and
// Alpine's records have no summary), cut to maxSummary bytes.
func summaryOf(rec osvRecord) string {
	s := rec.Summary
	if s == "" {
		s, _, _ = strings.Cut(strings.TrimSpace(rec.Details), "\n")
	}
	if len(s) > maxSummary {
		cut := maxSummary
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Clone(s) // a cut of details must not keep all of details alive
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// describeJSONError adds the line and column to a decoding error, which
// encoding/json reports as a byte offset.
func describeJSONError(data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		line, col := position(data, syntax.Offset)
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		field := typ.Field
		if field == "" {
			field = "record"
		}
		return fmt.Errorf("line %d, column %d: %s: want %s, got JSON %s", line, col, field, typ.Type, typ.Value)
	}
	return err
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}
