package secrets

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// Credentials inside configuration files held as strings: a ConfigMap's
// application.properties, a .env file, a JSON document in an annotation. Two principled
// passes and nothing format-specific beyond them:
//   - credentials recognised by their format anywhere in the text (Scan);
//   - literal values of credential-named keys: JSON object members at any depth, and
//     "key = value" / "key: value" lines, which cover .properties, .env and shell
//     exports, INI and TOML, and YAML, plus <key>value</key> XML elements.
// Randomness alone is not used inside files: files hold checksums and IDs.

// fileHit is one credential in a file.
type fileHit struct {
	Match
	// Key is the key that holds it ("spring.datasource.password"); empty when the
	// credential was recognised by its format alone.
	Key string
	// Line is the 1-based line of the file.
	Line int
}

var (
	kvLineRE  = regexp.MustCompile(`^\s*(?:export\s+|-\s+)?["']?([A-Za-z_][A-Za-z0-9_.\-\[\]/@]*)["']?\s*[=:]\s*(.*)$`)
	xmlElemRE = regexp.MustCompile(`<([A-Za-z_][\w.\-:]*)>([^<\n]+)</([A-Za-z_][\w.\-:]*)>`)
)

// fileCredentials finds the credentials in the text of a configuration file.
func fileCredentials(text string) []fileHit {
	if len(text) > maxScannedLength {
		text = text[:maxScannedLength]
	}
	var out []fileHit
	taken := newClaims(len(text))
	// Formats first, keys next: "password=..." is read as a key/value line before it
	// is read as a connection string.
	found := Scan(text)
	for _, m := range found {
		if m.Kind != ConnPassword {
			taken.claim(m.Offset, m.Offset+len(m.Value))
			out = append(out, fileHit{Match: m, Line: lineOf(text, m.Offset)})
		}
	}
	for _, h := range keyedCredentials(text) {
		if h.Offset < 0 || taken.claim(h.Offset, h.Offset+len(h.Value)) {
			if h.Offset < 0 {
				h.Offset = 0
			}
			h.Line = lineOf(text, h.Offset)
			out = append(out, h)
		}
	}
	for _, m := range found {
		if m.Kind == ConnPassword && taken.claim(m.Offset, m.Offset+len(m.Value)) {
			out = append(out, fileHit{Match: m, Line: lineOf(text, m.Offset)})
		}
	}
	sortHits(out)
	return out
}

// keyedCredentials finds the literal values of credential-named keys: members of a
// JSON document, or key/value lines and XML elements of any other text. Offsets are -1
// where the value cannot be located.
func keyedCredentials(text string) []fileHit {
	var out []fileHit
	add := func(key, value string, offset int) {
		if m, ok := Named(key, value); ok {
			switch {
			case offset < 0:
				m.Offset = -1
			case m.Kind == NamedCredential:
				m.Offset = offset
			default: // an Authorization value: its offset is within the value
				m.Offset += offset
			}
			out = append(out, fileHit{Match: m, Key: key})
		}
	}
	if t := strings.TrimSpace(text); (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
		var doc any
		_ = json.Unmarshal([]byte(t), &doc)
		walkJSON(doc, "", func(key, value string) { add(key, value, jsonOffset(text, key, value)) })
		return out
	}
	offset := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimRight(line, "\r\n")
		// Cheap byte checks first: a key/value line has "=" or ":", an element "</".
		if strings.ContainsAny(body, "=:") {
			if m := kvLineRE.FindStringSubmatchIndex(body); m != nil && !isComment(body) {
				if value, at := lineValue(body[m[4]:m[5]]); value != "" {
					add(lastKey(body[m[2]:m[3]]), value, offset+m[4]+at)
				}
			}
		}
		if strings.Contains(line, "</") {
			for _, m := range xmlElemRE.FindAllStringSubmatchIndex(line, -1) {
				if line[m[2]:m[3]] == line[m[6]:m[7]] {
					add(line[m[2]:m[3]], line[m[4]:m[5]], offset+m[4])
				}
			}
		}
		offset += len(line)
	}
	return out
}

func isComment(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") || strings.HasPrefix(t, "//") || strings.HasPrefix(t, "!")
}

// lineValue cleans the value part of a key/value line: a quoted string without its
// quotes, or an unquoted value without a trailing comment or comma. It returns the
// value and its offset in raw.
func lineValue(raw string) (string, int) {
	raw = strings.TrimRight(raw, "\r\n")
	trimmed := strings.TrimLeft(raw, " \t")
	lead := len(raw) - len(trimmed)
	if trimmed == "" {
		return "", 0
	}
	if q := trimmed[0]; q == '"' || q == '\'' {
		if end := strings.IndexByte(trimmed[1:], q); end >= 0 {
			return trimmed[1 : end+1], lead + 1
		}
		return "", 0
	}
	if i := strings.Index(trimmed, " #"); i >= 0 {
		trimmed = trimmed[:i]
	}
	trimmed = strings.TrimRight(strings.TrimSpace(trimmed), ",")
	if trimmed == "|" || trimmed == ">" || trimmed == "|-" || trimmed == ">-" || trimmed == "{" || trimmed == "[" {
		return "", 0 // a block follows; its lines are read on their own
	}
	return trimmed, lead
}

// lastKey drops a trailing index from a key ("users[0]" → "users"). Dotted keys stay
// whole: the name classifier reads their words.
func lastKey(key string) string {
	return strings.TrimRight(key, "[]0123456789")
}

// walkJSON calls f for every string member of every object, with the member's key.
func walkJSON(v any, key string, f func(key, value string)) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkJSON(t[k], k, f)
		}
	case []any:
		for _, e := range t {
			walkJSON(e, key, f)
		}
	case string:
		if key != "" {
			f(key, t)
		}
	}
}

// jsonOffset finds where a member's value is written in a JSON text, or -1.
func jsonOffset(text, key, value string) int {
	k := strings.Index(text, `"`+key+`"`)
	if k < 0 {
		return -1
	}
	enc, _ := json.Marshal(value)
	v := strings.Index(text[k:], string(enc))
	if v < 0 {
		return -1
	}
	return k + v + 1
}

func sortHits(hs []fileHit) {
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Offset < hs[j].Offset })
}
