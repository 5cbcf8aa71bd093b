package registry

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// A registry that fails or hangs is an error within the timeout that names the
// registry and the image.
func TestResolveBrokenRegistry(t *testing.T) {
	const timeout = time.Second
	tests := []struct {
		name    string
		handler func(release <-chan struct{}) http.HandlerFunc
		wantErr string
	}{
		{"500", func(<-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }
		}, "500 Internal Server Error"},
		{"hangs", func(release <-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}
		}, "no answer"},
		{"hangs after the ping", func(release <-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/" {
					w.WriteHeader(http.StatusOK)
					return
				}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}
		}, "no answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			reg := startRegistry(t, func(http.Handler) http.Handler { return tt.handler(release) })
			t.Cleanup(func() { close(release) }) // runs before the server closes
			start := time.Now()
			_, err := resolve(t, testClient(Options{Timeout: timeout}), reg.host+"/team/app:1")
			elapsed := time.Since(start)
			wantErr(t, err, "registry "+reg.host, reg.host+"/team/app:1", tt.wantErr)
			if elapsed > timeout+time.Second {
				t.Errorf("the error took %s, the timeout is %s", elapsed, timeout)
			}
		})
	}
}

// A layer whose stream stops is an error once it has sent nothing for the timeout.
func TestLayerStreamStalls(t *testing.T) {
	img := testImage(t, "linux/amd64", "debian")
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	stalled := digestOf(t, layers[0])
	release := make(chan struct{})
	reg := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/blobs/"+stalled) || r.Method != http.MethodGet {
				h.ServeHTTP(w, r)
				return
			}
			w.Write([]byte{0x1f, 0x8b}) // the start of a gzip stream, then nothing
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	})
	t.Cleanup(func() { close(release) })
	reg.push(t, "team/app:1", img)
	res, err := resolve(t, testClient(Options{Timeout: time.Second}), reg.host+"/team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = osRelease(res.Image)
	wantErr(t, err, "layer "+stalled, "sent nothing for 1s")
	if !errors.Is(err, errStalled) {
		t.Errorf("error %v is not errStalled", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("the stall was noticed after %s", elapsed)
	}
}

// A layer the manifest declares over the limits is an error before anything of it is
// fetched.
func TestDeclaredSizeOverLimit(t *testing.T) {
	big, err := random.Image(4096, 3) // three layers of about 4 KiB each
	if err != nil {
		t.Fatal(err)
	}
	var blobGets atomic.Int64
	reg := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
				blobGets.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	reg.push(t, "team/big:1", big)
	tests := []struct {
		name    string
		opt     Options
		wantErr []string
	}{
		{"layer over MaxLayerBytes", Options{MaxLayerBytes: 1024}, []string{"manifest declares", "over the size limit of 1 KiB per layer"}},
		{"layers over MaxImageBytes", Options{MaxImageBytes: 10 << 10}, []string{"manifest declares 3 layers of", "over the size limit of 10 KiB per image"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := resolve(t, testClient(tt.opt), reg.host+"/team/big:1")
			if err != nil {
				t.Fatalf("Resolve: %v (a big image still resolves: its digest and signatures need no layer)", err)
			}
			before := blobGets.Load()
			_, err = res.Image.Layers()
			wantErr(t, err, append(tt.wantErr, reg.host+"/team/big:1")...)
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("error %v is not ErrTooLarge", err)
			}
			if n := blobGets.Load() - before; n != 0 {
				t.Errorf("%d blobs fetched for an image refused by its manifest", n)
			}
		})
	}
}

// A registry that serves a layer larger than its manifest declares is an error of the
// stream.
func TestRegistryLyingLayer(t *testing.T) {
	img := testImage(t, "linux/amd64", "debian")
	reg := startRegistry(t, nil)
	reg.push(t, "team/app:1", img) // the blobs
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	lie := m.DeepCopy()
	lie.Layers[1].Size /= 2
	data, err := json.Marshal(lie)
	if err != nil {
		t.Fatal(err)
	}
	reg.pushRaw(t, "team/app:lie", rawManifest{data: data})

	res, err := resolve(t, testClient(Options{}), reg.host+"/team/app:lie")
	if err != nil {
		t.Fatal(err)
	}
	for _, read := range []struct {
		name string
		read func(v1.Image) error
	}{
		{"compressed", readCompressed},
		{"uncompressed", func(i v1.Image) error { _, err := osRelease(i); return err }},
	} {
		t.Run(read.name, func(t *testing.T) {
			err := read.read(res.Image)
			wantErr(t, err, reg.host+"/team/app:lie", "layer "+lie.Layers[1].Digest.String())
		})
	}
}

// An OCI layout's blobs are checked as they are read: a blob larger than declared,
// shorter, or with other bytes is an error naming the layer.
func TestLayoutCorruptLayer(t *testing.T) {
	img := testImage(t, "linux/amd64", "debian")
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	target := m.Layers[1].Digest
	tests := []struct {
		name    string
		corrupt func(blob []byte) []byte
		read    func(v1.Image) error
		wantErr string
	}{
		{"larger than declared", func(b []byte) []byte { return append(b, make([]byte, 64<<10)...) }, readCompressed, "more than the"},
		{"larger than declared, uncompressed", func(b []byte) []byte { return append(b, make([]byte, 64<<10)...) }, readUncompressed, "layer " + target.String()},
		{"truncated", func(b []byte) []byte { return b[:len(b)-10] }, readCompressed, "truncated"},
		{"truncated, uncompressed", func(b []byte) []byte { return b[:len(b)-10] }, readUncompressed, "layer " + target.String()},
		{"other bytes", func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }, readCompressed, "does not match its digest"},
		{"other bytes, uncompressed", func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }, readUncompressed, "layer " + target.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeLayout(t, func(p layout.Path) error { return p.AppendImage(img) })
			blob := filepath.Join(dir, "blobs", target.Algorithm, target.Hex)
			data, err := os.ReadFile(blob)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(blob, tt.corrupt(data), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := resolve(t, testClient(Options{}), "oci:"+dir)
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, tt.read(res.Image), "oci:"+dir, tt.wantErr)
		})
	}
}

func readUncompressed(img v1.Image) error {
	_, err := osRelease(img)
	return err
}

// A corrupt layout is an error of Resolve.
func TestLayoutCorrupt(t *testing.T) {
	img := testImage(t, "linux/amd64", "debian")
	digest := digestOf(t, img)
	tests := []struct {
		name    string
		corrupt func(dir string) error
		wantErr string
	}{
		{"index.json not JSON", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "index.json"), []byte("{not json"), 0o644)
		}, "index.json is not an OCI index"},
		{"manifest blob missing", func(dir string) error {
			return os.Remove(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:")))
		}, "manifest " + digest},
		{"manifest blob not JSON", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:")), []byte("\x00\x01"), 0o644)
		}, "manifest " + digest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeLayout(t, func(p layout.Path) error { return p.AppendImage(img) })
			if err := tt.corrupt(dir); err != nil {
				t.Fatal(err)
			}
			_, err := resolve(t, testClient(Options{}), "oci:"+dir)
			wantErr(t, err, "oci:"+dir, tt.wantErr)
		})
	}
}

// A docker-save tarball keeps layers as they are; layers that swell past the limits as
// they are read are an error, whatever they declare compressed. A layer read twice
// counts once towards the image's limit.
func TestTarballLayersOverLimitWhileRead(t *testing.T) {
	zeros := func(n int) v1.Layer { return tarLayer(t, map[string]string{"zeros": string(make([]byte, n))}) }
	img, err := mutate.AppendLayers(empty.Image, zeros(40<<10), zeros(41<<10))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "zeros.tar")
	if err := tarball.WriteToFile(p, mustRef(t, "example.com/zeros:1"), img); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opt     Options
		read    []int // the layers read, in order
		wantErr []string
	}{
		{"layer over MaxLayerBytes", Options{MaxLayerBytes: 32 << 10}, []int{0}, []string{"more than 32 KiB", "per layer"}},
		{"layers over MaxImageBytes", Options{MaxImageBytes: 64 << 10}, []int{0, 1}, []string{"its layers sent more than 64 KiB", "per image"}},
		{"one layer read twice", Options{MaxImageBytes: 64 << 10}, []int{0, 0, 0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := resolve(t, testClient(tt.opt), "tar:"+p)
			if err != nil {
				t.Fatal(err)
			}
			layers, err := res.Image.Layers()
			if err != nil {
				t.Fatalf("Layers: %v (the declared, compressed sizes are small)", err)
			}
			for _, i := range tt.read {
				if err = drain(layers[i].Uncompressed()); err != nil {
					break
				}
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, append(tt.wantErr, "tar:"+p)...)
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("error %v is not ErrTooLarge", err)
			}
		})
	}
}

func drain(rc io.ReadCloser, err error) error {
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// Layers found by digest or diff ID are checked like those of Layers.
func TestLayerLookupsAreBounded(t *testing.T) {
	img := testImage(t, "linux/amd64", "debian")
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	digest, diffID := m.Layers[1].Digest, cf.RootFS.DiffIDs[1]
	dir := writeLayout(t, func(p layout.Path) error { return p.AppendImage(img) })
	blob := filepath.Join(dir, "blobs", digest.Algorithm, digest.Hex)
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(blob, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opt     Options
		find    func(v1.Image) (v1.Layer, error)
		wantErr string
	}{
		{"by digest", Options{}, func(i v1.Image) (v1.Layer, error) { return i.LayerByDigest(digest) }, "does not match its digest"},
		{"by diff ID", Options{}, func(i v1.Image) (v1.Layer, error) { return i.LayerByDiffID(diffID) }, "does not match its digest"},
		{"by digest, over the limit", Options{MaxLayerBytes: 64}, func(i v1.Image) (v1.Layer, error) { return i.LayerByDigest(digest) }, "over the size limit of 64 B per layer"},
		{"unknown digest", Options{}, func(i v1.Image) (v1.Layer, error) { return i.LayerByDigest(diffID) }, "layer " + diffID.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := resolve(t, testClient(tt.opt), "oci:"+dir)
			if err != nil {
				t.Fatal(err)
			}
			l, err := tt.find(res.Image)
			if err == nil {
				err = drain(l.Compressed())
			}
			wantErr(t, err, "oci:"+dir, tt.wantErr)
		})
	}
}
