// Package contents inventories the packages inside a container image by streaming its
// layers through osv-scalibr's extractors.
//
// The semantics, stated once:
//   - Layers are read in order, each as one tar stream (v1.Layer.Uncompressed); nothing is
//     unpacked to disk. A later layer's file replaces an earlier one at the same path, a
//     file replaces a directory (and all below it), and OCI whiteouts delete: ".wh.NAME"
//     removes NAME from the layers below, ".wh..wh..opq" empties its directory of
//     everything the layers below put there.
//   - Only the files an extractor asks for (its FileRequired, given the path and the tar
//     header's file info) are kept, plus /etc/os-release and /usr/lib/os-release (and a
//     symlink at either, as Debian ships it). Small files stay in memory; a file over
//     spillBytes goes to a temporary file removed when Inventory returns.
//   - Files that only the binary extractors want (Go build info, cargo-auditable) are kept
//     only if they carry the marker those extractors read: any executable matches
//     FileRequired, and most are not Go or Rust binaries, so without this every script
//     and shared library in the image would be held.
//   - Everything is bounded: one file (Options.MaxFileBytes, a warning when over), all
//     kept files together (MaxKeptBytes, a warning), entries per image (MaxFiles, an
//     error, since a partial walk could report deleted packages). A layer that cannot be
//     read (bad gzip, bad tar, a truncated stream) is an error naming the layer.
//   - Once every layer is read, scalibr's filesystem.Run walks the kept files as a virtual
//     filesystem and its extractors report packages; an extractor that fails on a file is
//     a warning, and the rest of the inventory stands.
//
// The package maps scalibr's packages to image.Package with OSV's names: the ecosystem
// carries the distribution release ("Debian:12", "Alpine:v3.20", "Ubuntu:22.04:LTS"), Go's
// standard library is "stdlib", and a Debian or Alpine package carries its source package.
// It does no network I/O and keeps no state between calls, apart from silencing scalibr's
// package-level logger once.
package contents
