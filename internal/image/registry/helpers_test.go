package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// testRegistry is go-containerregistry's in-memory registry served over HTTP, with
// an optional wrapper in front of it (auth, failures, counting).
type testRegistry struct {
	host    string
	handler http.Handler // the registry itself, without the wrapper
}

func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	front := h
	if wrap != nil {
		front = wrap(h)
	}
	srv := httptest.NewServer(front)
	t.Cleanup(srv.Close)
	return &testRegistry{host: strings.TrimPrefix(srv.URL, "http://"), handler: h}
}

// direct is reference in the registry reached past any wrapper, for the test to fill.
func (r *testRegistry) direct(t *testing.T, reference string) name.Reference {
	t.Helper()
	srv := httptest.NewServer(r.handler)
	t.Cleanup(srv.Close)
	return mustRef(t, strings.TrimPrefix(srv.URL, "http://")+"/"+reference)
}

func (r *testRegistry) push(t *testing.T, reference string, img v1.Image) {
	t.Helper()
	if err := remote.Write(r.direct(t, reference), img); err != nil {
		t.Fatalf("push %s: %v", reference, err)
	}
}

func (r *testRegistry) pushIndex(t *testing.T, reference string, idx v1.ImageIndex) {
	t.Helper()
	if err := remote.WriteIndex(r.direct(t, reference), idx); err != nil {
		t.Fatalf("push index %s: %v", reference, err)
	}
}

// rawManifest pushes a manifest as it is written, to make registries that lie.
type rawManifest struct{ data []byte }

func (m rawManifest) RawManifest() ([]byte, error) { return m.data, nil }

func (r *testRegistry) pushRaw(t *testing.T, reference string, m rawManifest) {
	t.Helper()
	if err := remote.Put(r.direct(t, reference), m); err != nil {
		t.Fatalf("put %s: %v", reference, err)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// tarLayer is a layer holding the files given, name to content.
func tarLayer(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testImage is a random base layer, then a layer with /etc/os-release naming id, for
// the platform "os/arch[/variant]".
func testImage(t *testing.T, platform, id string) v1.Image {
	t.Helper()
	base, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, tarLayer(t, map[string]string{"etc/os-release": "ID=" + id + "\n"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// testIndex is an index of the images, each under its platform.
func testIndex(t *testing.T, images map[string]v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for platform, img := range images {
		p, err := ParsePlatform(platform)
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

func digestOf(t *testing.T, d interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// osRelease reads /etc/os-release from the image's layers, as a scan would: every
// layer streamed through Uncompressed.
func osRelease(img v1.Image) (string, error) {
	layers, err := img.Layers()
	if err != nil {
		return "", err
	}
	var found string
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return "", err
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rc.Close()
				return "", err
			}
			if h.Name == "etc/os-release" {
				b, err := io.ReadAll(tr)
				if err != nil {
					rc.Close()
					return "", err
				}
				found = string(b)
			}
		}
		// Drain what follows the tar's end, so the whole stream is checked.
		if _, err := io.Copy(io.Discard, rc); err != nil {
			rc.Close()
			return "", err
		}
		rc.Close()
	}
	return found, nil
}

// readCompressed reads every layer's compressed stream to its end.
func readCompressed(img v1.Image) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// anonymous is a keychain that never finds credentials, whatever the machine's
// Docker config says.
var anonymous = authn.NewMultiKeychain()

func testClient(opt Options) *Client {
	if opt.Keychain == nil {
		opt.Keychain = anonymous
	}
	return New(opt)
}

func resolve(t *testing.T, c *Client, s string) (*Resolved, error) {
	t.Helper()
	src, err := ParseSource(s)
	if err != nil {
		t.Fatalf("ParseSource(%q): %v", s, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c.Resolve(ctx, src)
}

func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", fragments)
	}
	t.Logf("error: %v", err)
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}
