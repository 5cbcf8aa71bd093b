package osvdb

import (
	"encoding/json"
	"strings"
)

// severityOf rates a record. A CVSS 3.x vector (the record's, else an affected
// entry's) gives the score and the rating. Without one the rating is the words the
// database itself gives, in this order: database_specific.severity of the record,
// then of an affected entry (GitHub's "HIGH", "MODERATE", ...), then a severity entry
// of type "Ubuntu" ("medium", "negligible", ...); else "unknown". A CVSS 4.0 vector is
// reported as the CVSS string with no score: its score needs the specification's
// table of macro-vectors, which this package does not carry.
func severityOf(rec osvRecord) (severity, vector string, score float64) {
	all := rec.Severity
	for _, a := range rec.Affected {
		all = append(all[:len(all):len(all)], a.Severity...)
	}
	for _, s := range all {
		if s.Type != "CVSS_V3" {
			continue
		}
		if sc, err := CVSS3BaseScore(s.Score); err == nil {
			return SeverityOfScore(sc), s.Score, sc
		}
	}
	for _, s := range all {
		if (s.Type == "CVSS_V3" || s.Type == "CVSS_V4") && vector == "" {
			vector = s.Score
		}
	}
	if word := wordSeverity(rec, all); word != "" {
		return word, vector, 0
	}
	return "unknown", vector, 0
}

func wordSeverity(rec osvRecord, all []osvSeverity) string {
	if w := normaliseSeverityWord(databaseSeverity(rec.DatabaseSpecific)); w != "" {
		return w
	}
	for _, a := range rec.Affected {
		if w := normaliseSeverityWord(databaseSeverity(a.DatabaseSpecific)); w != "" {
			return w
		}
	}
	for _, s := range all {
		if s.Type == "Ubuntu" {
			if w := normaliseSeverityWord(s.Score); w != "" {
				return w
			}
		}
	}
	return ""
}

// databaseSpecificSeverity is the one database_specific field read; the object is
// free-form, so anything else in it, or a severity that is not a string, is ignored.
type databaseSpecificSeverity struct {
	Severity any `json:"severity"`
}

func databaseSeverity(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var ds databaseSpecificSeverity
	if json.Unmarshal(raw, &ds) != nil {
		return ""
	}
	s, _ := ds.Severity.(string)
	return s
}

// normaliseSeverityWord maps the words databases use onto critical, high, medium
// and low; "" for a word it does not know.
func normaliseSeverityWord(w string) string {
	switch strings.ToLower(strings.TrimSpace(w)) {
	case "critical":
		return "critical"
	case "high", "important":
		return "high"
	case "medium", "moderate":
		return "medium"
	case "low", "negligible", "unimportant":
		return "low"
	}
	return ""
}
