package sbom

import (
	"bytes"
	"slices"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/moat-dev/moat/internal/image"
)

var contents = &image.Contents{
	Ref: "registry.example/shop/api:1.4", Digest: "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
	Platform: "linux/amd64", OS: &image.OSRelease{ID: "debian", VersionID: "12"},
	Packages: []image.Package{
		{Name: "openssl", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12", PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12", Location: "var/lib/dpkg/status", SourceName: "openssl"},
		{Name: "golang.org/x/text", Version: "v0.3.7", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@v0.3.7", Location: "usr/local/bin/api"},
		{Name: "left-pad", Version: "1.3.0", Ecosystem: "npm", PURL: "pkg:npm/left-pad@1.3.0", Location: "app/package-lock.json"},
	},
}

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func TestCycloneDXRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, contents, "cyclonedx", "1.0.0", now); err != nil {
		t.Fatal(err)
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(&buf, cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.Metadata.Component.Type != cdx.ComponentTypeContainer || bom.Metadata.Component.Name != contents.Ref {
		t.Errorf("spec %v, root %+v", bom.SpecVersion, bom.Metadata.Component)
	}
	var purls []string
	for _, c := range *bom.Components {
		purls = append(purls, c.PackageURL)
	}
	want := []string{"pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12", "pkg:golang/golang.org/x/text@v0.3.7", "pkg:npm/left-pad@1.3.0"}
	if !slices.Equal(purls, want) {
		t.Errorf("components %q, want %q (sorted by ecosystem, name)", purls, want)
	}
	deps := (*bom.Dependencies)[0]
	if deps.Ref != bom.Metadata.Component.BOMRef || len(*deps.Dependencies) != 3 {
		t.Errorf("dependencies %+v", deps)
	}
	// The same image gives the same document.
	var first, again bytes.Buffer
	if err := Write(&first, contents, "cyclonedx", "1.0.0", now); err != nil {
		t.Fatal(err)
	}
	if err := Write(&again, contents, "cyclonedx", "1.0.0", now); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), again.Bytes()) {
		t.Error("two writes of one image differ")
	}
}

func TestSPDXRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, contents, "spdx", "1.0.0", now); err != nil {
		t.Fatal(err)
	}
	doc, err := spdxjson.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) != 4 {
		t.Fatalf("version %s, %d packages", doc.SPDXVersion, len(doc.Packages))
	}
	contains := 0
	for _, r := range doc.Relationships {
		if r.Relationship == "CONTAINS" && r.RefA.ElementRefID == "Image" {
			contains++
		}
	}
	if contains != 3 {
		t.Errorf("the image CONTAINS %d packages, want 3", contains)
	}
	var purls []string
	for _, p := range doc.Packages[1:] {
		for _, r := range p.PackageExternalReferences {
			purls = append(purls, r.Locator)
		}
	}
	if len(purls) != 3 {
		t.Errorf("purls %q", purls)
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, contents, "swid", "1", now); err == nil {
		t.Error("no error for an unknown format")
	}
}
