package jsonenc

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/escapecases"
)

func TestStringsAsEncodingJSON(t *testing.T) {
	for _, s := range escapecases.Words() {
		checkAsEncodingJSON(t, s)
	}
}

func FuzzStringsAsEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain text", `container "app": it's #1 <b>&`, "tab\there", "\x00\x7f\xff", "é☃🚀\u2028", strings.Repeat("word ", 30)} {
		f.Add(s)
	}
	f.Fuzz(checkAsEncodingJSON)
}

// checkAsEncodingJSON holds AppendString, AppendContent and AppendStringHTML to
// encoding/json with HTML escaping off and on.
func checkAsEncodingJSON(t *testing.T, s string) {
	t.Helper()
	for _, html := range []bool{false, true} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		w := bytes.TrimSuffix(want.Bytes(), []byte("\n"))
		got := AppendString([]byte("x"), s)
		if html {
			got = AppendStringHTML([]byte("x"), s)
		} else if content := AppendContent(nil, s); !bytes.Equal(content, w[1:len(w)-1]) {
			t.Fatalf("%q: AppendContent %s, want %s", s, content, w[1:len(w)-1])
		}
		if !bytes.Equal(got[1:], w) || got[0] != 'x' {
			t.Fatalf("%q (html %v): got %s, want x%s", s, html, got, w)
		}
	}
}

func BenchmarkAppendString(b *testing.B) {
	s := `container "accounts-17" mounts hostPath volume "host-root" (host path /) at /host without readOnly: true`
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendStringHTML(buf[:0], s)
	}
}
