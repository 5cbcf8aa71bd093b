// Package sbom writes what an image holds as a software bill of materials: CycloneDX
// 1.6 JSON (cyclonedx-go) or SPDX 2.3 JSON (spdx/tools-golang), the image as the root
// component and each package with its purl, ecosystem and place in the image.
package sbom

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/moat-dev/moat/internal/image"
)

// Formats are the formats Write knows.
var Formats = []string{"cyclonedx", "spdx"}

// Write writes c as an SBOM in format. now stamps the document; version is Moat's.
func Write(w io.Writer, c *image.Contents, format, version string, now time.Time) error {
	switch format {
	case "cyclonedx":
		return cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).EncodeVersion(CycloneDX(c, version, now), cdx.SpecVersion1_6)
	case "spdx":
		return spdxjson.Write(SPDX(c, version, now), w, spdxjson.Indent("  "))
	}
	return fmt.Errorf("unknown SBOM format %q (want %s)", format, strings.Join(Formats, " or "))
}

// sorted are c's packages in a stable order.
func sorted(c *image.Contents) []image.Package {
	ps := slices.Clone(c.Packages)
	slices.SortFunc(ps, func(a, b image.Package) int {
		return strings.Compare(a.Ecosystem+"\x00"+a.Name+"\x00"+a.Version+"\x00"+a.Location, b.Ecosystem+"\x00"+b.Name+"\x00"+b.Version+"\x00"+b.Location)
	})
	return ps
}

// CycloneDX is c as a CycloneDX BOM: the image is the metadata's component, of type
// container, and every package a library component that it depends on.
func CycloneDX(c *image.Contents, version string, now time.Time) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuidOf(c.Digest)
	root := cdx.Component{
		BOMRef: "image:" + c.Digest, Type: cdx.ComponentTypeContainer, Name: c.Ref, Version: c.Digest,
	}
	props := []cdx.Property{{Name: "moat:image:digest", Value: c.Digest}}
	if c.Platform != "" {
		props = append(props, cdx.Property{Name: "moat:image:platform", Value: c.Platform})
	}
	if c.OS != nil {
		props = append(props, cdx.Property{Name: "moat:image:os", Value: strings.TrimSpace(c.OS.ID + " " + c.OS.VersionID)})
	}
	root.Properties = &props
	bom.Metadata = &cdx.Metadata{
		Timestamp: now.UTC().Format(time.RFC3339),
		Component: &root,
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "moat", Version: version}}},
	}
	var comps []cdx.Component
	var refs []string
	for i, p := range sorted(c) {
		ref := fmt.Sprintf("pkg:%d", i)
		if p.PURL != "" {
			ref = p.PURL + "?moat-location=" + p.Location
		}
		props := []cdx.Property{{Name: "moat:ecosystem", Value: p.Ecosystem}}
		if p.Location != "" {
			props = append(props, cdx.Property{Name: "moat:location", Value: p.Location})
		}
		if p.Layer != "" {
			props = append(props, cdx.Property{Name: "moat:layer", Value: p.Layer})
		}
		if p.SourceName != "" {
			props = append(props, cdx.Property{Name: "moat:source-package", Value: p.SourceName})
		}
		comps = append(comps, cdx.Component{
			BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: p.Name, Version: p.Version, PackageURL: p.PURL, Properties: &props,
		})
		refs = append(refs, ref)
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{{Ref: root.BOMRef, Dependencies: &refs}}
	return bom
}

// SPDX is c as an SPDX 2.3 document: the image is a package the document describes,
// and it CONTAINS every package.
func SPDX(c *image.Contents, version string, now time.Time) *spdx.Document {
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      c.Ref,
		DocumentNamespace: "https://moat.dev/spdx/" + strings.TrimPrefix(c.Digest, "sha256:") + "-" + uuidOf(c.Digest),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "moat-" + version}},
			Created:  now.UTC().Format(time.RFC3339),
		},
	}
	rootID := common.ElementID("Image")
	root := &spdx.Package{
		PackageName: c.Ref, PackageSPDXIdentifier: rootID, PackageVersion: c.Digest,
		PackageDownloadLocation: "NOASSERTION", PrimaryPackagePurpose: "CONTAINER",
	}
	if d := strings.TrimPrefix(c.Digest, "sha256:"); d != c.Digest {
		root.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: d}}
	}
	doc.Packages = append(doc.Packages, root)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", string(rootID)), Relationship: "DESCRIBES",
	})
	for i, p := range sorted(c) {
		id := common.ElementID(fmt.Sprintf("Package-%d-%s", i, spdxID(p.Name)))
		pkg := &spdx.Package{
			PackageName: p.Name, PackageSPDXIdentifier: id, PackageVersion: p.Version,
			PackageDownloadLocation: "NOASSERTION", PackageSourceInfo: strings.TrimSpace("found in " + p.Location),
		}
		if p.PURL != "" {
			pkg.PackageExternalReferences = []*spdx.PackageExternalReference{{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: p.PURL}}
		}
		doc.Packages = append(doc.Packages, pkg)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", string(rootID)), RefB: common.MakeDocElementID("", string(id)), Relationship: "CONTAINS",
		})
	}
	return doc
}

var notIDChar = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// spdxID makes a name fit an SPDX identifier (letters, digits, "." and "-").
func spdxID(s string) string {
	s = notIDChar.ReplaceAllString(s, "-")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// uuidOf derives a stable UUID from an image digest, so that the same image gives the
// same serial number.
func uuidOf(digest string) string {
	h := strings.TrimPrefix(digest, "sha256:")
	for len(h) < 32 {
		h += "0"
	}
	return h[0:8] + "-" + h[8:12] + "-5" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}
