package registry

import (
	"archive/tar"
	"bytes"
	"cmp"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// resolveCase is one source to resolve and what it must resolve to.
type resolveCase struct {
	name        string
	source      string
	platform    string
	wantDigest  string
	wantIndex   string
	wantPlat    string
	wantRelease string // the image's /etc/os-release, read through its layers
	wantErr     []string
}

func runResolveCases(t *testing.T, tests []resolveCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(Options{Platform: tt.platform})
			res, err := resolve(t, c, tt.source)
			if len(tt.wantErr) > 0 {
				wantErr(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%s): %v", tt.source, err)
			}
			if res.Digest != tt.wantDigest || res.IndexDigest != tt.wantIndex || res.Platform != tt.wantPlat {
				t.Errorf("Resolve(%s) = digest %s, index %q, platform %q; want %s, %q, %q",
					tt.source, res.Digest, res.IndexDigest, res.Platform, tt.wantDigest, tt.wantIndex, tt.wantPlat)
			}
			if got := digestOf(t, res.Image); got != res.Digest {
				t.Errorf("Image digest %s, Resolved.Digest %s", got, res.Digest)
			}
			got, err := osRelease(res.Image)
			if err != nil {
				t.Fatalf("reading the layers: %v", err)
			}
			if got != tt.wantRelease {
				t.Errorf("os-release %q, want %q", got, tt.wantRelease)
			}
		})
	}
}

func TestResolveRegistry(t *testing.T) {
	reg := startRegistry(t, nil)
	debian := testImage(t, "linux/amd64", "debian")
	reg.push(t, "team/app:1", debian)
	amd, arm := testImage(t, "linux/amd64", "amd"), testImage(t, "linux/arm64/v8", "arm")
	idx := testIndex(t, map[string]v1.Image{"linux/amd64": amd, "linux/arm64/v8": arm})
	reg.pushIndex(t, "team/multi:1", idx)
	d, a, ar, i := digestOf(t, debian), digestOf(t, amd), digestOf(t, arm), digestOf(t, idx)

	runResolveCases(t, []resolveCase{
		{name: "tag", source: reg.host + "/team/app:1", wantDigest: d, wantPlat: "linux/amd64", wantRelease: "ID=debian\n"},
		{name: "digest", source: reg.host + "/team/app@" + d, wantDigest: d, wantPlat: "linux/amd64", wantRelease: "ID=debian\n"},
		// A single image is read whatever the platform asked; Platform says what it is.
		{name: "image of another platform", source: reg.host + "/team/app:1", platform: "linux/arm64", wantDigest: d, wantPlat: "linux/amd64", wantRelease: "ID=debian\n"},
		{name: "index, default platform", source: reg.host + "/team/multi:1", wantDigest: a, wantIndex: i, wantPlat: "linux/amd64", wantRelease: "ID=amd\n"},
		{name: "index, arm64", source: reg.host + "/team/multi:1", platform: "linux/arm64", wantDigest: ar, wantIndex: i, wantPlat: "linux/arm64/v8", wantRelease: "ID=arm\n"},
		{name: "index, arm64 v8", source: reg.host + "/team/multi:1", platform: "linux/arm64/v8", wantDigest: ar, wantIndex: i, wantPlat: "linux/arm64/v8", wantRelease: "ID=arm\n"},
		{name: "index by digest", source: reg.host + "/team/multi@" + i, platform: "linux/arm64", wantDigest: ar, wantIndex: i, wantPlat: "linux/arm64/v8", wantRelease: "ID=arm\n"},
		{name: "index, missing platform", source: reg.host + "/team/multi:1", platform: "linux/s390x",
			wantErr: []string{reg.host + "/team/multi:1", "no image for platform linux/s390x", "the index has linux/amd64, linux/arm64/v8"}},
		{name: "bad platform", source: reg.host + "/team/multi:1", platform: "linux", wantErr: []string{`platform "linux"`}},
		{name: "unknown tag", source: reg.host + "/team/app:2", wantErr: []string{"registry " + reg.host, "team/app:2", "MANIFEST_UNKNOWN"}},
	})
}

func TestResolveLayout(t *testing.T) {
	debian := testImage(t, "linux/amd64", "debian")
	alpine := testImage(t, "linux/amd64", "alpine")
	amd, arm := testImage(t, "linux/amd64", "amd"), testImage(t, "linux/arm64", "arm")
	idx := testIndex(t, map[string]v1.Image{"linux/amd64": amd, "linux/arm64": arm})

	one := writeLayout(t, func(p layout.Path) error {
		return p.AppendImage(debian, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "v1"}))
	})
	two := writeLayout(t, func(p layout.Path) error {
		if err := p.AppendImage(debian, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "example.com/debian:12"})); err != nil {
			return err
		}
		return p.AppendImage(alpine, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "3.20"}))
	})
	multi := writeLayout(t, func(p layout.Path) error { return p.AppendIndex(idx) })
	d, al, a, ar, i := digestOf(t, debian), digestOf(t, alpine), digestOf(t, amd), digestOf(t, arm), digestOf(t, idx)

	runResolveCases(t, []resolveCase{
		{name: "only image", source: "oci:" + one, wantDigest: d, wantPlat: "linux/amd64", wantRelease: "ID=debian\n"},
		{name: "by tag", source: "oci:" + one + ":v1", wantDigest: d, wantPlat: "linux/amd64", wantRelease: "ID=debian\n"},
		{name: "by digest", source: "oci:" + two + "@" + al, wantDigest: al, wantPlat: "linux/amd64", wantRelease: "ID=alpine\n"},
		{name: "by tag of a full reference", source: "oci:" + two + ":12", wantDigest: d, wantPlat: "linux/amd64", wantRelease: "ID=debian\n"},
		{name: "index in the layout", source: "oci:" + multi, platform: "linux/arm64", wantDigest: ar, wantIndex: i, wantPlat: "linux/arm64", wantRelease: "ID=arm\n"},
		{name: "index, default platform", source: "oci:" + multi, wantDigest: a, wantIndex: i, wantPlat: "linux/amd64", wantRelease: "ID=amd\n"},
		{name: "unknown tag", source: "oci:" + two + ":v9", wantErr: []string{"no image tagged v9", "example.com/debian:12", "3.20"}},
		{name: "two images, no tag", source: "oci:" + two + "", wantErr: []string{"2 images match", "name one with :TAG or @DIGEST"}},
		{name: "index, missing platform", source: "oci:" + multi, platform: "windows/amd64", wantErr: []string{"no image for platform windows/amd64", "linux/amd64, linux/arm64"}},
		{name: "not a layout", source: "oci:" + t.TempDir(), wantErr: []string{"not an OCI image layout", "index.json"}},
	})
}

func writeLayout(t *testing.T, fill func(layout.Path) error) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := fill(p); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestResolveTarball(t *testing.T) {
	debian := testImage(t, "linux/amd64", "debian")
	alpine := testImage(t, "linux/arm64", "alpine")
	dir := t.TempDir()
	single := filepath.Join(dir, "single.tar")
	if err := tarball.WriteToFile(single, mustRef(t, "example.com/debian:12"), debian); err != nil {
		t.Fatal(err)
	}
	both := filepath.Join(dir, "both.tar")
	if err := tarball.MultiRefWriteToFile(both, map[name.Reference]v1.Image{
		mustRef(t, "example.com/debian:12"): debian, mustRef(t, "alpine:3.20"): alpine,
	}); err != nil {
		t.Fatal(err)
	}
	d, al := digestOf(t, debian), digestOf(t, alpine)

	runResolveCases(t, []resolveCase{
		{name: "only image", source: "tar:" + single, wantDigest: d, wantPlat: "linux/amd64", wantRelease: "ID=debian\n"},
		{name: "by tag", source: "tar:" + both + ":alpine:3.20", wantDigest: al, wantPlat: "linux/arm64", wantRelease: "ID=alpine\n"},
		{name: "by the tag's other spelling", source: "tar:" + both + ":docker.io/library/alpine:3.20", wantDigest: al, wantPlat: "linux/arm64", wantRelease: "ID=alpine\n"},
		{name: "two images, no tag", source: "tar:" + both, wantErr: []string{"holds 2 images", "alpine:3.20", "example.com/debian:12"}},
		{name: "unknown tag", source: "tar:" + both + ":alpine:9", wantErr: []string{"not found in tarball", "the tarball has tags"}},
		{name: "missing file", source: "tar:" + filepath.Join(dir, "none.tar"), wantErr: []string{"none.tar", "no such file"}},
		{name: "not a tarball", source: "tar:" + writeFile(t, "garbage.tar", []byte("not a tar at all")), wantErr: []string{"garbage.tar", "manifest.json"}},
	})
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A truncated docker-save tarball is an error of Resolve, wherever it was cut.
func TestResolveTruncatedTarball(t *testing.T) {
	img := testImage(t, "linux/amd64", "debian")
	full := filepath.Join(t.TempDir(), "full.tar")
	if err := tarball.WriteToFile(full, mustRef(t, "example.com/debian:12"), img); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	manifestFirst := manifestFirstTarball(t, data)
	// cutIn cuts a tarball in the middle of the data of its entry named like suffix.
	cutIn := func(data []byte, suffix string) []byte {
		for _, e := range tarEntries(t, data) {
			if strings.HasSuffix(e.name, suffix) && e.size > 1 {
				return data[:e.offset+e.size/2]
			}
		}
		t.Fatalf("no entry *%s", suffix)
		return nil
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"cut in its first block", data[:100]},
		{"cut in half", data[:len(data)/2]},
		{"cut in manifest.json", cutIn(data, "manifest.json")},
		{"cut in a layer", cutIn(data, ".tar.gz")},
		{"manifest first, cut in a layer", cutIn(manifestFirst, ".tar.gz")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "cut.tar", tt.data)
			res, err := resolve(t, testClient(Options{}), "tar:"+p)
			if err == nil {
				// Resolve reads every layer of a tarball; reaching here is a bug, but
				// the layers must still fail.
				_, err = osRelease(res.Image)
				t.Errorf("Resolve of a truncated tarball succeeded (layers: %v)", err)
				return
			}
			wantErr(t, err, "tar:"+p)
		})
	}
}

// manifestFirstTarball rewrites a tarball with manifest.json as its first entry, so that
// a cut at its end falls in a layer rather than in the manifest.
func manifestFirstTarball(t *testing.T, data []byte) []byte {
	t.Helper()
	type entry struct {
		h    *tar.Header
		body []byte
	}
	var entries []entry
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, entry{h, body})
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		return cmp.Compare(boolInt(a.h.Name != "manifest.json"), boolInt(b.h.Name != "manifest.json"))
	})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(e.h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tarEntry is where an entry's data lies in a tarball.
type tarEntry struct {
	name         string
	offset, size int
}

func tarEntries(t *testing.T, data []byte) []tarEntry {
	t.Helper()
	r := bytes.NewReader(data)
	tr := tar.NewReader(r)
	var out []tarEntry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		// The tar reader reads headers block by block, so the reader's position is
		// where the entry's data starts.
		out = append(out, tarEntry{name: h.Name, offset: len(data) - r.Len(), size: int(h.Size)})
	}
}
