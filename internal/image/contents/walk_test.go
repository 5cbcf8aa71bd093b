package contents

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// goMarker and rustMarker are what the binary extractors need to find in a file.
var (
	goMarker   = string(binaryMarkers["go/binary"][0])
	rustMarker = ".dep-v0"
)

// fakeELF is an ELF header and padding with marker in the middle: enough for the walk
// to decide, not a binary an extractor can read.
func fakeELF(marker string) string {
	b := append([]byte("\x7fELF\x02\x01\x01"), bytes.Repeat([]byte{0}, 4000)...)
	copy(b[2048:], marker)
	return string(b)
}

// walkLayers applies layers of files to a store and returns what it kept, as
// "path Ln" lines (L1 the first layer), and the walker.
func walkLayers(t *testing.T, opt Options, layers ...[]tarFile) ([]string, *walker) {
	t.Helper()
	exts, err := newExtractors()
	if err != nil {
		t.Fatal(err)
	}
	opt = opt.withDefaults()
	st := newStore(opt)
	t.Cleanup(st.close)
	w := &walker{opt: opt, store: st, exts: exts}
	for i, files := range layers {
		if err := w.readLayer(context.Background(), i, layer(t, files...)); err != nil {
			t.Fatal(err)
		}
	}
	var kept []string
	for p, e := range st.entries {
		kept = append(kept, fmt.Sprintf("%s L%d", p, e.layer+1))
	}
	slices.Sort(kept)
	return kept, w
}

func TestWalkKeepsOnlyWhatExtractorsNeed(t *testing.T) {
	tests := []struct {
		name   string
		layers [][]tarFile
		want   []string
	}{
		{
			name: "package databases, lockfiles, os-release and Go binaries are kept; the rest is not",
			layers: [][]tarFile{{
				reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
				reg("etc/os-release", debian12),
				reg("var/lib/dpkg/status", "Package: a\n"),
				reg("srv/web/package.json", `{"name":"web","version":"1.0.0"}`),
				reg("srv/web/README.md", "hello"),
				exe("usr/bin/start.sh", "#!/bin/sh\n"),
				exe("usr/bin/c-program", fakeELF("")),
				exe("usr/local/bin/go-program", fakeELF(goMarker)),
				exe("usr/local/bin/rust-program", fakeELF(rustMarker)),
			}},
			want: []string{"etc/os-release L1", "srv/web/package.json L1", "usr/local/bin/go-program L1", "usr/local/bin/rust-program L1", "var/lib/dpkg/status L1"},
		},
		{
			name: "tar names with ./, a leading / or .. all land inside the root",
			layers: [][]tarFile{{
				reg("./etc/os-release", debian12),
				reg("/var/lib/dpkg/status", "Package: a\n"),
				reg("../../app/requirements.txt", "flask==3.0.3\n"),
			}},
			want: []string{"app/requirements.txt L1", "etc/os-release L1", "var/lib/dpkg/status L1"},
		},
		{
			name: "a whiteout removes a file and a whole directory from the layers below",
			layers: [][]tarFile{
				{reg("a/requirements.txt", "x==1\n"), reg("b/c/requirements.txt", "y==1\n"), reg("b/d/requirements.txt", "z==1\n"), reg("bb/requirements.txt", "w==1\n")},
				{whiteout("a/requirements.txt"), whiteout("b")},
			},
			want: []string{"bb/requirements.txt L1"},
		},
		{
			name: "an opaque whiteout empties its directory of lower layers only, whatever the entry order",
			layers: [][]tarFile{
				{reg("srv/a/requirements.txt", "x==1\n"), reg("srv2/requirements.txt", "y==1\n")},
				{reg("srv/b/requirements.txt", "z==1\n"), opaque("srv")},
			},
			want: []string{"srv/b/requirements.txt L2", "srv2/requirements.txt L1"},
		},
		{
			name: "a file replaces a directory, and a directory a file",
			layers: [][]tarFile{
				{reg("opt/app/requirements.txt", "x==1\n"), reg("srv/requirements.txt", "y==1\n")},
				{reg("opt/app", "now a file"), dir("srv/requirements.txt")},
			},
			want: nil,
		},
		{
			name: "a file written below a kept file's path replaces it",
			layers: [][]tarFile{
				{reg("app/package.json", `{"name":"a","version":"1.0.0"}`)},
				{reg("app/package.json/requirements.txt", "x==1\n")},
			},
			want: []string{"app/package.json/requirements.txt L2"},
		},
		{
			name: "a later layer's rewrite wins, and a rewrite nobody needs drops the old file",
			layers: [][]tarFile{
				{reg("var/lib/dpkg/status", "Package: a\n"), exe("usr/local/bin/tool", fakeELF(goMarker))},
				{reg("var/lib/dpkg/status", "Package: b\n"), exe("usr/local/bin/tool", fakeELF(""))},
			},
			want: []string{"var/lib/dpkg/status L2"},
		},
		{
			name: "a hard link to a kept file is kept under its own name too",
			layers: [][]tarFile{{
				exe("usr/local/bin/tool", fakeELF(goMarker)),
				hardlink("usr/bin/tool", "usr/local/bin/tool"),
				hardlink("usr/share/doc/tool.txt", "usr/local/bin/tool"),
			}},
			want: []string{"usr/bin/tool L1", "usr/local/bin/tool L1"},
		},
		{
			name:   "os-release symlinks are kept, other symlinks not",
			layers: [][]tarFile{{symlink("etc/os-release", "../usr/lib/os-release"), reg("usr/lib/os-release", debian12), symlink("var/lib/dpkg/status", "/tmp/status")}},
			want:   []string{"etc/os-release L1", "usr/lib/os-release L1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := walkLayers(t, Options{}, tt.layers...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("kept\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestWalkLimits(t *testing.T) {
	big := strings.Repeat("x", 2000)
	tests := []struct {
		name        string
		opt         Options
		files       []tarFile
		wantKept    []string
		wantWarning string
	}{
		{
			name:        "a required file over MaxFileBytes is skipped with a warning",
			opt:         Options{MaxFileBytes: 1000},
			files:       []tarFile{reg("app/requirements.txt", big), reg("etc/os-release", debian12)},
			wantKept:    []string{"etc/os-release L1"},
			wantWarning: "/app/requirements.txt in layer 1 (sha256:",
		},
		{
			name:        "files past MaxKeptBytes are skipped with a warning",
			opt:         Options{MaxKeptBytes: 3000},
			files:       []tarFile{reg("a/requirements.txt", big), reg("b/requirements.txt", big)},
			wantKept:    []string{"a/requirements.txt L1"},
			wantWarning: "/b/requirements.txt in layer 1 (sha256:",
		},
		{
			name:        "an os-release too large to be one is skipped",
			files:       []tarFile{reg("etc/os-release", strings.Repeat("#\n", 40<<10))},
			wantWarning: "over the 65536-byte limit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, w := walkLayers(t, tt.opt, tt.files)
			if !slices.Equal(got, tt.wantKept) {
				t.Errorf("kept %q, want %q", got, tt.wantKept)
			}
			if len(w.warnings) != 1 || !strings.Contains(w.warnings[0], tt.wantWarning) {
				t.Errorf("warnings %q, want one holding %q", w.warnings, tt.wantWarning)
			}
		})
	}
}

func TestInventoryTooManyEntries(t *testing.T) {
	img := imageOf(t, layer(t, reg("a", ""), reg("b", "")), layer(t, reg("c", ""), reg("d", "")))
	_, err := Inventory(context.Background(), img, Options{MaxFiles: 3})
	if err == nil || !strings.Contains(err.Error(), "layer 2 (sha256:") || !strings.Contains(err.Error(), "more than 3 entries") {
		t.Fatalf("err = %v, want more than 3 entries in layer 2", err)
	}
}

// TestKeptFS checks the filesystem the extractors walk against io/fs's contract,
// spilled files included.
func TestKeptFS(t *testing.T) {
	exts, err := newExtractors()
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{spillBytes: 1000}.withDefaults()
	st := newStore(opt)
	defer st.close()
	w := &walker{opt: opt, store: st, exts: exts}
	files := []tarFile{
		reg("usr/lib/os-release", debian12),
		reg("var/lib/dpkg/status", "Package: a\n"),
		reg("srv/web/package-lock.json", strings.Repeat(" ", 5000)+"{}"),
		exe("usr/local/bin/tool", fakeELF(goMarker)),
		hardlink("usr/bin/tool", "usr/local/bin/tool"),
	}
	if err := w.readLayer(context.Background(), 0, layer(t, files...)); err != nil {
		t.Fatal(err)
	}
	fsys := st.freeze(w.diffIDs)
	if err := fstest.TestFS(fsys, "usr/lib/os-release", "var/lib/dpkg/status", "srv/web/package-lock.json", "usr/local/bin/tool", "usr/bin/tool", "etc"); err != nil {
		t.Fatal(err)
	}
	if st.entries["srv/web/package-lock.json"].blob.spill == "" {
		t.Error("package-lock.json of 5002 bytes was not spilled at 1000")
	}
}

func TestKeptFSFollowsOSReleaseSymlink(t *testing.T) {
	tests := []struct {
		name  string
		files []tarFile
		want  string // the file Open("etc/os-release") reads, "" for none
	}{
		{"relative link", []tarFile{symlink("etc/os-release", "../usr/lib/os-release"), reg("usr/lib/os-release", "ID=a\n")}, "ID=\"a\"\n"},
		{"absolute link", []tarFile{symlink("etc/os-release", "/usr/lib/os-release"), reg("usr/lib/os-release", "ID=b\n")}, "ID=\"b\"\n"},
		{"link out of the root stays inside it", []tarFile{symlink("etc/os-release", "../../../../usr/lib/os-release"), reg("usr/lib/os-release", "ID=c\n")}, "ID=\"c\"\n"},
		{"dangling link", []tarFile{symlink("etc/os-release", "../usr/lib/missing")}, ""},
		{"link loop", []tarFile{symlink("etc/os-release", "../usr/lib/os-release"), symlink("usr/lib/os-release", "../../etc/os-release")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, w := walkLayers(t, Options{}, tt.files)
			fsys := w.store.freeze(w.diffIDs)
			b, err := fs.ReadFile(fsys, "etc/os-release")
			if tt.want == "" {
				if err == nil {
					t.Fatalf("read %q, want an error", b)
				}
				return
			}
			if err != nil || string(b) != tt.want {
				t.Fatalf("read %q, %v; want %q", b, err, tt.want)
			}
		})
	}
}

func TestMarkerScanFindsMarkersSplitAcrossWrites(t *testing.T) {
	marker := binaryMarkers["go/binary"][0]
	content := append(append(bytes.Repeat([]byte("a"), 100), marker...), bytes.Repeat([]byte("b"), 100)...)
	absent := bytes.ReplaceAll(content, marker, bytes.Repeat([]byte("c"), len(marker)))
	for _, chunk := range []int{1, 2, 3, 7, 13, 14, 15, 64, 1000} {
		for offset := range min(chunk, len(content)) {
			for _, tc := range []struct {
				content []byte
				want    bool
			}{{content, true}, {absent, false}} {
				m := newMarkerScan(binaryMarkers["go/binary"])
				_, _ = m.Write(tc.content[:offset])
				for i := offset; i < len(tc.content); i += chunk {
					_, _ = m.Write(tc.content[i:min(i+chunk, len(tc.content))])
				}
				if m.found != tc.want {
					t.Fatalf("chunks of %d after %d bytes: found = %v, want %v", chunk, offset, m.found, tc.want)
				}
			}
		}
	}
}
