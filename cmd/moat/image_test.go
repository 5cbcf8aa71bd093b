package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// debianLayer is a layer of a Debian 12 image whose dpkg database holds openssl at version.
func debianLayer(t *testing.T, version string) v1.Layer {
	t.Helper()
	files := map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=\"12\"\n",
		"var/lib/dpkg/status": "Package: openssl\nStatus: install ok installed\nSource: openssl\nVersion: " + version + "\nArchitecture: amd64\n\n",
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// debianLayout writes DIR/layout, an OCI layout holding a Debian 12 image with a
// vulnerable openssl, and returns the image.
func debianLayout(t *testing.T, dir string) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, debianLayer(t, "3.0.11-1"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return img
}

// osvDB writes an OSV database with one good Debian advisory and one malformed record.
func osvDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	good, _ := json.Marshal(map[string]any{
		"id": "DSA-1-1", "modified": "2026-11-01T00:00:00Z", "summary": "openssl flaw",
		"affected": []any{map[string]any{
			"package": map[string]string{"ecosystem": "Debian:12", "name": "openssl"},
			"ranges":  []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]string{"introduced": "0"}, map[string]string{"fixed": "3.0.13-1"}}}},
		}},
	})
	for name, body := range map[string][]byte{"DSA-1-1.json": good, "broken.json": []byte(`{"id": "X", "affected": [`)} {
		w, _ := zw.Create(name)
		w.Write(body)
	}
	zw.Close()
	os.MkdirAll(filepath.Join(dir, "Debian"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "Debian", "all.zip"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestImageScanGoesOnAfterBadInput: a truncated tarball and a malformed OSV record are
// clear errors, the good image is still scanned, and the exit code is 2 — for each of
// them alone too.
func TestImageScanGoesOnAfterBadInput(t *testing.T) {
	dir := t.TempDir()
	img := debianLayout(t, dir)
	tag, _ := name.NewTag("example.com/app:1")
	tarFile := filepath.Join(dir, "image.tar")
	if err := tarball.WriteToFile(tarFile, tag, img); err != nil {
		t.Fatal(err)
	}
	whole, _ := os.ReadFile(tarFile)
	truncated := filepath.Join(dir, "truncated.tar")
	os.WriteFile(truncated, whole[:len(whole)/2], 0o644)

	code, out, errOut := run(t, "", "image", "scan", "--no-cache", "--db", osvDB(t), "-o", "json",
		"oci:"+filepath.Join(dir, "layout"), "tar:"+truncated)
	if code != 2 {
		t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	doc := decodeJSON(t, out)
	if !hasRule(doc, "image/vulnerability") {
		t.Errorf("the good image's vulnerability is missing:\n%s", out)
	}
	if !strings.Contains(errOut, "truncated.tar") {
		t.Errorf("stderr does not name the truncated tarball:\n%s", errOut)
	}
	if !strings.Contains(errOut, "broken.json") {
		t.Errorf("stderr does not name the malformed OSV record:\n%s", errOut)
	}
}

func TestImageScanMalformedOSVRecordAloneExits2(t *testing.T) {
	dir := t.TempDir()
	debianLayout(t, dir)
	code, out, errOut := run(t, "", "image", "scan", "--no-cache", "--db", osvDB(t), "-o", "json", "oci:"+filepath.Join(dir, "layout"))
	if code != 2 || !hasRule(decodeJSON(t, out), "image/vulnerability") || !strings.Contains(errOut, "broken.json") {
		t.Errorf("exit %d (want 2), stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestScanWithImages: moat scan --images reports the manifests' findings and the
// findings of the images their workloads run, from a registry, in one report.
func TestScanWithImages(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	img := debianLayout(t, dir)
	ref, err := name.ParseReference(host+"/shop/api:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "pod.yaml")
	os.WriteFile(manifest, []byte(`apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  containers:
  - name: api
    image: `+host+`/shop/api:1
    securityContext: {privileged: true}
`), 0o644)
	code, out, errOut := run(t, "", "scan", manifest, "--images", "--insecure-registry", "--no-cache", "--db", osvDBGood(t), "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	doc := decodeJSON(t, out)
	for _, id := range []string{"pod/privileged-container", "image/vulnerability"} {
		if !hasRule(doc, id) {
			t.Errorf("no %s finding:\n%s", id, out)
		}
	}
	if !strings.Contains(out, "run by Pod/shop/api") {
		t.Errorf("the image finding does not name the pod:\n%s", out)
	}
}

// osvDBGood is osvDB without its malformed record.
func osvDBGood(t *testing.T) string {
	t.Helper()
	dir := osvDB(t)
	zr, err := zip.OpenReader(filepath.Join(dir, "Debian", "all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.Name == "broken.json" {
			continue
		}
		r, _ := f.Open()
		w, _ := zw.Create(f.Name)
		io.Copy(w, r)
		r.Close()
	}
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "Debian", "all.zip"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
