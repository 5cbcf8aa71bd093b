// Command imageserve is a test fixture for the end-to-end tests in test/kube/e2e (a
// module of its own, which cannot import Moat's internal packages): it serves
// go-containerregistry's in-memory registry on a loopback port with images it builds —
// Debian 12 images whose dpkg database holds a known-vulnerable package, and a clean
// Alpine image — and writes a small OSV database in the exports' format that knows the
// vulnerability. It prints the registry's host:port on its first line of output and
// serves until killed. With -sign-key FILE it also pushes shop/signed:1, signed with a
// key it generates (a Sigstore bundle attached as an OCI 1.1 referrer), and
// shop/unsigned:1, and writes the public key to FILE. It is not part of the moat command.
//
//	go run ./internal/image/imagescan/imageserve -db /tmp/osv
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/moat-dev/moat/internal/image/sign/signtest"
)

func main() {
	db := flag.String("db", "", "directory to write the OSV database into")
	signKey := flag.String("sign-key", "", "write the public key of a signed image to this file")
	generate := flag.Int("generate", 0, "also push this many distinct Debian images, gen/app<N>:1")
	flag.Parse()
	if *db == "" {
		log.Fatal("imageserve: -db is required")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	host := ln.Addr().String()
	go func() { log.Fatal(http.Serve(ln, registry.New(registry.Logger(log.New(io.Discard, "", 0))))) }()

	debian := `ID=debian
VERSION_ID="12"
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
`
	images := map[string]map[string]string{
		// Two names of one image, and a second vulnerable image.
		"shop/api:1":    {"etc/os-release": debian, "var/lib/dpkg/status": dpkg("openssl", "openssl", "3.0.11-1~deb12u1")},
		"shop/api:prod": {"etc/os-release": debian, "var/lib/dpkg/status": dpkg("openssl", "openssl", "3.0.11-1~deb12u1")},
		"shop/worker:2": {"etc/os-release": debian, "var/lib/dpkg/status": dpkg("libexpat1", "expat", "2.5.0-1")},
		"shop/web:3": {"etc/os-release": "ID=alpine\nVERSION_ID=3.22.1\nPRETTY_NAME=\"Alpine Linux v3.22\"\n",
			"lib/apk/db/installed": "P:musl\nV:1.2.5-r10\nA:x86_64\no:musl\n\n"},
	}
	for ref, files := range images {
		img, err := mutate.AppendLayers(empty.Image, layer(files))
		if err != nil {
			log.Fatal(err)
		}
		r, err := name.ParseReference(host+"/"+ref, name.Insecure)
		if err != nil {
			log.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			log.Fatal(err)
		}
	}
	for i := range *generate {
		img, err := mutate.AppendLayers(empty.Image, layer(map[string]string{
			"etc/os-release": debian, "var/lib/dpkg/status": dpkg(fmt.Sprintf("lib%d", i), "openssl", "3.0.11-1~deb12u1"),
		}))
		if err != nil {
			log.Fatal(err)
		}
		r, err := name.ParseReference(fmt.Sprintf("%s/gen/app%d:1", host, i), name.Insecure)
		if err != nil {
			log.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			log.Fatal(err)
		}
	}
	if *signKey != "" {
		if err := pushSigned(host, *signKey); err != nil {
			log.Fatal(err)
		}
	}
	if err := writeDB(*db); err != nil {
		log.Fatal(err)
	}
	fmt.Println(host)
	select {}
}

// pushSigned pushes shop/signed:1 with a signature of its digest and shop/unsigned:1.
func pushSigned(host, keyFile string) error {
	key, err := signtest.NewKey()
	if err != nil {
		return err
	}
	for i, ref := range []string{"shop/signed:1", "shop/unsigned:1"} {
		img, err := mutate.AppendLayers(empty.Image, layer(map[string]string{"etc/hostname": ref, "etc/n": fmt.Sprint(i)}))
		if err != nil {
			return err
		}
		r, err := name.ParseReference(host+"/"+ref, name.Insecure)
		if err != nil {
			return err
		}
		if err := remote.Write(r, img); err != nil {
			return err
		}
		if ref != "shop/signed:1" {
			continue
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		b, err := key.MessageBundle(d)
		if err != nil {
			return err
		}
		desc, err := remote.Head(r.Context().Digest(d.String()))
		if err != nil {
			return err
		}
		if _, err := signtest.AttachBundle(r.Context(), *desc, b); err != nil {
			return err
		}
	}
	return os.WriteFile(keyFile, []byte(key.PublicPEM()), 0o644)
}

func dpkg(pkg, source, version string) string {
	return fmt.Sprintf("Package: %s\nStatus: install ok installed\nSource: %s\nVersion: %s\nArchitecture: amd64\n\n", pkg, source, version)
}

func layer(files map[string]string) v1.Layer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// In name order: two images of the same files must have the same digest.
	for _, name := range slices.Sorted(maps.Keys(files)) {
		body := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			log.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			log.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		log.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		log.Fatal(err)
	}
	return l
}

// writeDB writes DIR/Debian/all.zip with two advisories of this fixture's own making.
func writeDB(dir string) error {
	records := []map[string]any{
		advisory("DSA-9001-1", "CVE-2026-9001", "openssl", "3.0.13-1~deb12u1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
		advisory("DSA-9002-1", "CVE-2026-9002", "expat", "2.5.0-1+deb12u2", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"),
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, r := range records {
		w, err := zw.Create(r["id"].(string) + ".json")
		if err != nil {
			return err
		}
		if err := json.NewEncoder(w).Encode(r); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "Debian"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "Debian", "all.zip"), buf.Bytes(), 0o644)
}

func advisory(id, alias, source, fixed, cvss string) map[string]any {
	return map[string]any{
		"id": id, "modified": "2026-11-01T00:00:00Z", "aliases": []string{alias},
		"summary":  source + " vulnerability (fixture)",
		"severity": []map[string]string{{"type": "CVSS_V3", "score": cvss}},
		"affected": []map[string]any{{
			"package": map[string]string{"ecosystem": "Debian:12", "name": source},
			"ranges":  []map[string]any{{"type": "ECOSYSTEM", "events": []map[string]string{{"introduced": "0"}, {"fixed": fixed}}}},
		}},
	}
}
