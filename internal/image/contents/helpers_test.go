package contents

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/moat-dev/moat/internal/image"
)

// tarFile is one entry of a layer a test builds.
type tarFile struct {
	name string
	body string
	mode int64
	typ  byte
	link string
}

func reg(name, body string) tarFile {
	return tarFile{name: name, body: body, mode: 0o644, typ: tar.TypeReg}
}
func exe(name, body string) tarFile {
	return tarFile{name: name, body: body, mode: 0o755, typ: tar.TypeReg}
}
func dir(name string) tarFile { return tarFile{name: name + "/", mode: 0o755, typ: tar.TypeDir} }
func symlink(name, target string) tarFile {
	return tarFile{name: name, mode: 0o777, typ: tar.TypeSymlink, link: target}
}
func hardlink(name, target string) tarFile {
	return tarFile{name: name, mode: 0o755, typ: tar.TypeLink, link: target}
}
func whiteout(name string) tarFile {
	return reg(path.Join(path.Dir(name), whiteoutPrefix+path.Base(name)), "")
}
func opaque(dir string) tarFile { return reg(path.Join(dir, opaqueWhiteout), "") }

// jar is a Java archive holding the pom.properties Maven writes into every jar it builds.
func jar(t testing.TB, group, artifact, version string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\n\r\n",
		"META-INF/maven/" + group + "/" + artifact + "/pom.properties": "groupId=" + group + "\nartifactId=" + artifact + "\nversion=" + version + "\n",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// fixture is a file under testdata/, written for these tests.
func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	debian12   = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"
	alpine320  = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n"
	ubuntu2204 = "PRETTY_NAME=\"Ubuntu 22.04.5 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.5 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n"
)

func tarBytes(t testing.TB, files []tarFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Typeflag: f.typ, Linkname: f.link, ModTime: time.Unix(1700000000, 0)}
		if f.typ == tar.TypeReg {
			hdr.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// layer is a gzip-compressed layer holding files, as a registry would serve it.
func layer(t testing.TB, files ...tarFile) v1.Layer {
	t.Helper()
	b := tarBytes(t, files)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t testing.TB, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// streamLayer is a layer whose content a test produces on the fly or corrupts: its
// digests are made up, as a registry's manifest and config would state them.
type streamLayer struct {
	id   int
	open func() (io.ReadCloser, error)
}

func (l streamLayer) hash(kind string) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%s%0*x", kind, 64-len(kind), l.id)}
}
func (l streamLayer) Digest() (v1.Hash, error)             { return l.hash("d"), nil }
func (l streamLayer) DiffID() (v1.Hash, error)             { return l.hash("e"), nil }
func (l streamLayer) Compressed() (io.ReadCloser, error)   { return l.open() }
func (l streamLayer) Uncompressed() (io.ReadCloser, error) { return l.open() }
func (l streamLayer) Size() (int64, error)                 { return 0, nil }
func (l streamLayer) MediaType() (types.MediaType, error)  { return types.DockerLayer, nil }

// describe turns packages into lines a table can state: ecosystem, name, version,
// source package, location and the layer (L1 is the first), PURL left out.
func describe(t testing.TB, img v1.Image, pkgs []image.Package) []string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	index := map[string]string{}
	for i, l := range layers {
		d, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		index[d.String()] = fmt.Sprintf("L%d", i+1)
	}
	var out []string
	for _, p := range pkgs {
		line := fmt.Sprintf("%s %s %s", p.Ecosystem, p.Name, p.Version)
		if p.SourceName != "" {
			line += " src=" + p.SourceName
		}
		layer, ok := index[p.Layer]
		if !ok {
			layer = "layer?" + p.Layer
		}
		out = append(out, line+" "+p.Location+" "+layer)
	}
	slices.Sort(out)
	return out
}

func containsAll(got []string, want []string) (missing []string) {
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
			missing = append(missing, w)
		}
	}
	return missing
}
