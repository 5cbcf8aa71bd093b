package imagescan

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/image"
	"github.com/moat-dev/moat/internal/image/registry"
)

// countingRegistry is go-containerregistry's in-memory registry behind a counter of
// manifest and blob reads.
type countingRegistry struct {
	host             string
	manifests, blobs atomic.Int64
	mu               sync.Mutex
	reads            map[string]int // blob digest → GETs
}

// layerReads counts the GETs of the given blobs.
func (r *countingRegistry) layerReads(layers map[string]bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for d, c := range r.reads {
		if layers[d] {
			n += c
		}
	}
	return n
}

func startRegistry(t testing.TB) *countingRegistry {
	r := &countingRegistry{reads: map[string]int{}}
	h := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet {
			switch {
			case strings.Contains(req.URL.Path, "/manifests/"):
				r.manifests.Add(1)
			case strings.Contains(req.URL.Path, "/blobs/"):
				r.blobs.Add(1)
				r.mu.Lock()
				r.reads[req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]]++
				r.mu.Unlock()
			}
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// layer is a tar layer of the files given.
func layer(t testing.TB, files map[string]string) v1.Layer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// debianImage is a Debian 12 image whose dpkg database holds package pkg at version.
func debianImage(t testing.TB, pkg, version string) v1.Image {
	status := fmt.Sprintf("Package: %s\nStatus: install ok installed\nVersion: %s\nArchitecture: amd64\n\n", pkg, version)
	img, err := mutate.AppendLayers(empty.Image, layer(t, map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"var/lib/dpkg/status": status,
	}))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func push(t testing.TB, host, ref string, img v1.Image) {
	r, err := name.ParseReference(host+"/"+ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

// TestScanReadsEachImageOnce: 1,000 workloads over 20 references of 10 distinct images
// read each image's layers once, and a second scan with the cache reads none.
func TestScanReadsEachImageOnce(t *testing.T) {
	reg := startRegistry(t)
	layers := map[string]bool{}
	for i := range 10 {
		img := debianImage(t, fmt.Sprintf("lib%d", i), "1.0-1")
		ls, _ := img.Layers()
		for _, l := range ls {
			d, _ := l.Digest()
			layers[d.String()] = true
		}
		push(t, reg.host, fmt.Sprintf("team/app%d:1", i), img)
		push(t, reg.host, fmt.Sprintf("team/app%d:stable", i), img) // another name of the same image
	}
	var uses []image.Use
	for i := range 20 {
		ref := fmt.Sprintf("%s/team/app%d:1", reg.host, i%10)
		if i >= 10 {
			ref = fmt.Sprintf("%s/team/app%d:stable", reg.host, i%10)
		}
		u := image.Use{Image: ref}
		for w := range 50 {
			u.Workloads = append(u.Workloads, image.Workload{Resource: finding.Resource{Kind: "Deployment", Namespace: "ns", Name: fmt.Sprintf("w%d-%d", i, w)}, Container: "app"})
		}
		uses = append(uses, u)
	}
	cache, err := registry.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Registry: registry.New(registry.Options{Insecure: true, Timeout: 10 * time.Second}), Cache: cache}

	images, st := Scan(context.Background(), uses, opt)
	for _, im := range images {
		if im.Err != nil {
			t.Fatalf("%s: %v", im.Use.Image, im.Err)
		}
		if im.Contents == nil || len(im.Contents.Packages) != 1 || im.Contents.OS == nil || im.Contents.OS.ID != "debian" {
			t.Fatalf("%s: contents %+v", im.Use.Image, im.Contents)
		}
	}
	if st.References != 20 || st.Digests != 10 || st.Fetched != 10 || st.Cached != 0 {
		t.Errorf("first scan: %s; want 20 references, 10 distinct, 10 read", st)
	}
	// Each image's one layer is read once, however many workloads and names it has.
	if got := reg.layerReads(layers); got != 10 {
		t.Errorf("first scan read layers %d times, want 10 (each image's layer once)", got)
	}
	reg.mu.Lock()
	clear(reg.reads)
	reg.mu.Unlock()
	reg.manifests.Store(0)

	_, st = Scan(context.Background(), uses, opt)
	if st.Fetched != 0 || st.Cached != 10 {
		t.Errorf("second scan: %s; want every image from the cache", st)
	}
	if got := reg.layerReads(layers); got != 0 {
		t.Errorf("second scan read layers %d times, want 0", got)
	}
	if got := reg.manifests.Load(); got != 20 {
		t.Errorf("second scan read %d manifests, want 20 (tags are resolved again: they move)", got)
	}
}

// TestFindingsNameTheWorkloads: an end-of-life image's finding says who runs it, and an
// image that cannot be read is an error while the others are still reported.
func TestFindingsNameTheWorkloads(t *testing.T) {
	old := &image.Contents{Digest: "sha256:aa", Platform: "linux/amd64", OS: &image.OSRelease{ID: "debian", VersionID: "10", PrettyName: "Debian GNU/Linux 10 (buster)"}}
	images := []Image{
		{Use: image.Use{Image: "r.example/old:1", Workloads: []image.Workload{
			{Resource: finding.Resource{Kind: "Deployment", Namespace: "b", Name: "api"}},
			{Resource: finding.Resource{Kind: "CronJob", Namespace: "a", Name: "job"}},
		}}, Digest: "sha256:aa", Contents: old},
		{Use: image.Use{Image: "r.example/gone:1"}, Err: fmt.Errorf("image r.example/gone:1: not found")},
	}
	fs, errs := Findings(images, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	if len(errs) != 1 || !strings.Contains(errs[0], "gone") {
		t.Errorf("errors %q", errs)
	}
	if len(fs) != 1 || fs[0].RuleID != "image/end-of-life-os" {
		t.Fatalf("findings %+v", fs)
	}
	want := "the image is built on Debian GNU/Linux 10 (buster), whose security support ended on 2024-06-30; image sha256:aa (linux/amd64), run by CronJob/a/job, Deployment/b/api"
	if fs[0].Message != want || fs[0].Resource.Kind != "Image" || fs[0].Resource.Name != "r.example/old:1" {
		t.Errorf("finding %q on %v\nwant %q", fs[0].Message, fs[0].Resource, want)
	}
}
