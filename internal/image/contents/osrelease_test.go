package contents

import (
	"context"
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
)

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"double, single and no quotes", "ID=debian\nNAME='Debian GNU/Linux'\nVERSION_ID=\"12\"\n", map[string]string{"ID": "debian", "NAME": "Debian GNU/Linux", "VERSION_ID": "12"}},
		{"escapes inside double quotes", `PRETTY_NAME="say \"hi\" for \$5 \\ \x"`, map[string]string{"PRETTY_NAME": `say "hi" for $5 \ \x`}},
		{"comments, blank lines, spaces and lines without =", "# c\n\n  ID = alpine  \njunk\n=nokey\n", map[string]string{"ID": "alpine"}},
		{"a lone or unbalanced quote is kept as it is", "ID=\"\nNAME=\"Debian\nX='\"", map[string]string{"ID": `"`, "NAME": `"Debian`, "X": `'"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseOSRelease([]byte(tt.in)); !maps.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			// Normalising keeps the meaning: it parses back to the same values.
			if got := parseOSRelease(normalizeOSRelease([]byte(tt.in))); !maps.Equal(got, tt.want) {
				t.Errorf("normalised, got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestGuardedExtractorTurnsPanicIntoError runs scalibr's own dpkg extractor over an
// os-release its parser panics on (a lone `"` as a value), as a layer could hold it
// before normalizeOSRelease.
func TestGuardedExtractorTurnsPanicIntoError(t *testing.T) {
	ex, err := dpkg.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"etc/os-release":      {Data: []byte("ID=\"\n")},
		"var/lib/dpkg/status": {Data: []byte("Package: a\nStatus: install ok installed\nVersion: 1\n")},
	}
	f, err := fsys.Open("var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = guarded{ex}.Extract(context.Background(), &filesystem.ScanInput{FS: fsys, Path: "var/lib/dpkg/status", Reader: f})
	if err == nil || !strings.Contains(err.Error(), "extractor panicked") {
		t.Fatalf("err = %v, want the panic as an error", err)
	}
}
