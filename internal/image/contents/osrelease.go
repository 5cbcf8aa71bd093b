package contents

import (
	"bufio"
	"bytes"
	"io/fs"
	"slices"
	"strings"

	"github.com/moat-dev/moat/internal/image"
)

// parseOSRelease reads os-release(5): KEY=VALUE lines, the value optionally in double
// or single quotes, with backslash escapes inside double quotes. Anything else is
// skipped; nothing in it is an error.
func parseOSRelease(b []byte) map[string]string {
	m := map[string]string{}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || key == "" {
			continue
		}
		m[strings.TrimSpace(key)] = unquote(strings.TrimSpace(value))
	}
	return m
}

func unquote(v string) string {
	if len(v) < 2 || (v[0] != '"' && v[0] != '\'') || v[len(v)-1] != v[0] {
		return v
	}
	quote, inner := v[0], v[1:len(v)-1]
	if quote == '\'' {
		return inner
	}
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' && i+1 < len(inner) && strings.IndexByte("\"\\$`", inner[i+1]) >= 0 {
			i++
		}
		b.WriteByte(inner[i])
	}
	return b.String()
}

// normalizeOSRelease rewrites an os-release as KEY="VALUE" lines, sorted. scalibr's
// OS extractors parse the file themselves, and their parser panics on a lone `"` as a
// value (osrelease.resolveString slices s[1:0]); a file in this form can't trip it
// and reads the same.
func normalizeOSRelease(b []byte) []byte {
	m := parseOSRelease(b)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out bytes.Buffer
	for _, k := range keys {
		out.WriteString(k + `="` + m[k] + "\"\n")
	}
	return out.Bytes()
}

// osRelease is the image's OS release, from /etc/os-release or else
// /usr/lib/os-release, as os-release(5) orders them.
func osRelease(fsys fs.FS) *image.OSRelease {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			continue
		}
		m := parseOSRelease(b)
		if m["ID"] == "" {
			return nil
		}
		return &image.OSRelease{ID: m["ID"], VersionID: m["VERSION_ID"], VersionCodename: m["VERSION_CODENAME"], PrettyName: m["PRETTY_NAME"]}
	}
	return nil
}
