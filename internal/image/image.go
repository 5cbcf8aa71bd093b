// Package image is Moat's supply-chain layer: what is inside the images workloads run,
// which known vulnerabilities those packages have, and whether the images are signed.
//
// The work is split by job:
//   - image (this package): the data every part shares — an image's identity, its OS
//     release and its packages — and the images an inventory's workloads use (Uses);
//   - image/registry: resolving references to digests and reading images (registries,
//     OCI layouts, docker-save tarballs), platform choice, credentials, the digest cache;
//   - image/contents: streaming an image's layers and inventorying its packages with
//     osv-scalibr's extractors, never unpacking a layer to disk wholesale;
//   - image/osvdb: a local copy of the OSV database and matching with OSV's version
//     semantics per ecosystem;
//   - image/sign: signature verification with sigstore-go;
//   - image/sbom: CycloneDX and SPDX documents.
package image

// Package is one package found in an image.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Ecosystem is the OSV ecosystem, with the distribution release for OS packages as
	// OSV writes it: "Debian:12", "Alpine:v3.20", "Ubuntu:22.04:LTS", "Go", "PyPI", "npm".
	Ecosystem string `json:"ecosystem"`
	PURL      string `json:"purl,omitempty"`
	// Location is where in the image the package was found: the dpkg status file, the
	// Go binary, the lockfile.
	Location string `json:"location,omitempty"`
	// Layer is the DiffID of the layer that added it, when known.
	Layer string `json:"layer,omitempty"`
	// SourceName is the source package of an OS package (Debian's source field), which
	// distribution advisories name.
	SourceName string `json:"sourceName,omitempty"`
}

// OSRelease is the image's /etc/os-release (or /usr/lib/os-release).
type OSRelease struct {
	ID              string `json:"id"`
	VersionID       string `json:"versionID,omitempty"`
	VersionCodename string `json:"versionCodename,omitempty"`
	PrettyName      string `json:"prettyName,omitempty"`
}

// Contents is what one image holds.
type Contents struct {
	// Ref is the reference it was asked for; Digest the manifest digest it resolved to
	// ("sha256:..."), the platform's image within an index.
	Ref      string     `json:"ref"`
	Digest   string     `json:"digest"`
	Platform string     `json:"platform,omitempty"` // "linux/amd64"
	OS       *OSRelease `json:"os,omitempty"`
	Packages []Package  `json:"packages"`
	// Warnings are parts of the image that could not be read (a file past its size
	// limit, an extractor that failed): the inventory is incomplete there.
	Warnings []string `json:"warnings,omitempty"`
}
