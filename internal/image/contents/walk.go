package contents

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/osv-scalibr/extractor/filesystem"
)

// OCI whiteouts (image-spec layer.md): ".wh.NAME" deletes NAME from the layers below,
// ".wh..wh..opq" deletes everything the layers below put in its directory. Other names
// with the ".wh..wh." prefix are aufs bookkeeping and mean nothing here.
const (
	whiteoutPrefix     = ".wh."
	whiteoutMetaPrefix = ".wh..wh."
	opaqueWhiteout     = ".wh..wh..opq"
)

// osReleasePaths are kept whatever the extractors ask: the dpkg, apk and rpm
// extractors read them to name the distribution, and so does Contents.OS.
var osReleasePaths = map[string]bool{"etc/os-release": true, "usr/lib/os-release": true}

// walker applies an image's layers, in order, to a store.
type walker struct {
	opt      Options
	store    *store
	exts     []filesystem.Extractor
	entries  int      // tar entries seen over all layers
	diffIDs  []string // per layer, in order
	warnings []string
}

// readLayer streams layer i (0-based) into the store. Its errors name the layer.
func (w *walker) readLayer(ctx context.Context, i int, l v1.Layer) error {
	name := layerName(i, l)
	diffID, err := l.DiffID()
	if err != nil {
		return fmt.Errorf("%s: diff ID: %w", name, err)
	}
	w.diffIDs = append(w.diffIDs, diffID.String())
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	if err := w.readTar(i, &ctxReader{ctx: ctx, r: rc}); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// layerName names a layer as the manifest does (its digest), or by its diff ID when the
// digest cannot be had.
func layerName(i int, l v1.Layer) string {
	if d, err := l.Digest(); err == nil {
		return fmt.Sprintf("layer %d (%s)", i+1, d)
	}
	if d, err := l.DiffID(); err == nil {
		return fmt.Sprintf("layer %d (diff ID %s)", i+1, d)
	}
	return fmt.Sprintf("layer %d", i+1)
}

func (w *walker) readTar(layer int, r io.Reader) error {
	tr := tar.NewReader(r)
	last := ""
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return drain(r)
		}
		if err != nil {
			if last != "" {
				return fmt.Errorf("tar entry after %q: %w", last, err)
			}
			return fmt.Errorf("reading the tar stream: %w", err)
		}
		last = hdr.Name
		if w.entries++; w.entries > w.opt.MaxFiles {
			return fmt.Errorf("more than %d entries in the image's layers", w.opt.MaxFiles)
		}
		if err := w.entry(tr, layer, hdr); err != nil {
			return fmt.Errorf("%q: %w", hdr.Name, err)
		}
	}
}

// drain reads a layer's stream past the end of its tar archive (the record padding,
// the gzip trailer) so that what checks the whole stream gets to: gzip's checksum, and
// go-containerregistry's digest check of a blob from a registry, both at EOF.
func drain(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("reading past the end of the tar archive: %w", err)
	}
	return nil
}

// entry applies one tar entry: a whiteout, a directory, or a file kept or passed over.
func (w *walker) entry(tr *tar.Reader, layer int, hdr *tar.Header) error {
	p := cleanPath(hdr.Name)
	if p == "" {
		return nil
	}
	dir, base := parent(p), path.Base(p)
	switch {
	case base == opaqueWhiteout:
		w.store.removeBelow(dir, layer)
		return nil
	case strings.HasPrefix(base, whiteoutMetaPrefix):
		return nil
	case strings.HasPrefix(base, whiteoutPrefix):
		w.store.removeTree(path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix)), layer)
		return nil
	}

	// Whatever arrives at p replaces what was there; a non-directory also replaces
	// a directory and all below it.
	w.store.remove(p)
	if hdr.Typeflag == tar.TypeDir {
		return nil
	}
	w.store.removeBelow(p, layer+1)

	switch hdr.Typeflag {
	case tar.TypeReg:
		return w.regular(tr, layer, p, hdr)
	case tar.TypeSymlink:
		if osReleasePaths[p] {
			w.store.put(p, &entry{link: hdr.Linkname, mode: fs.ModeSymlink | 0o777, mtime: hdr.ModTime, layer: layer})
		}
	case tar.TypeLink:
		w.hardLink(layer, p, hdr)
	}
	return nil
}

func (w *walker) regular(tr *tar.Reader, layer int, p string, hdr *tar.Header) error {
	if hdr.Size < 0 {
		return fmt.Errorf("negative size %d", hdr.Size)
	}
	info := hdr.FileInfo()
	limit := w.opt.MaxFileBytes
	var markers [][]byte
	if osReleasePaths[p] {
		limit = maxOSReleaseBytes
	} else {
		var required bool
		if required, markers = w.required(p, info); !required {
			return nil
		}
	}
	if hdr.Size > limit {
		w.warnf(layer, p, "%d bytes, over the %d-byte limit for one file; not inventoried", hdr.Size, limit)
		return nil
	}
	if w.store.kept+hdr.Size > w.opt.MaxKeptBytes {
		w.warnf(layer, p, "%d bytes would pass the %d-byte limit for all kept files; not inventoried", hdr.Size, w.opt.MaxKeptBytes)
		return nil
	}
	b, err := w.store.read(tr, hdr.Size, markers)
	if err != nil || b == nil {
		return err
	}
	if osReleasePaths[p] {
		b.data = normalizeOSRelease(b.data)
		b.size = int64(len(b.data))
	}
	w.store.put(p, &entry{blob: b, mode: info.Mode(), mtime: hdr.ModTime, layer: layer})
	return nil
}

// hardLink keeps p as another name for a kept file, when an extractor wants p.
func (w *walker) hardLink(layer int, p string, hdr *tar.Header) {
	target, ok := w.store.entries[cleanPath(hdr.Linkname)]
	if !ok || target.blob == nil {
		return
	}
	info := &fileInfo{name: path.Base(p), size: target.blob.size, mode: target.mode, mtime: target.mtime}
	if required, _ := w.required(p, info); !required && !osReleasePaths[p] {
		return
	}
	w.store.put(p, &entry{blob: target.blob, mode: target.mode, mtime: target.mtime, layer: layer})
}

// required asks every extractor whether it wants the file. When only extractors that
// read binaries want it, it also returns their markers: the file is kept only if it
// holds one.
func (w *walker) required(p string, info fs.FileInfo) (bool, [][]byte) {
	api := headerFile{path: p, info: info}
	required, unconditional := false, false
	var markers [][]byte
	for _, ex := range w.exts {
		if !ex.FileRequired(api) {
			continue
		}
		required = true
		if m, ok := binaryMarkers[ex.Name()]; ok {
			markers = append(markers, m...)
		} else {
			unconditional = true
		}
	}
	if unconditional {
		markers = nil
	}
	return required, markers
}

func (w *walker) warnf(layer int, p, format string, args ...any) {
	w.warnings = append(w.warnings, fmt.Sprintf("/%s in layer %d (%s): ", p, layer+1, w.diffIDs[layer])+fmt.Sprintf(format, args...))
}

// cleanPath turns a tar entry name into a path relative to the image root: no leading
// "/" or "./", no "..", "" for the root itself.
func cleanPath(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// headerFile is what FileRequired sees of a tar entry.
type headerFile struct {
	path string
	info fs.FileInfo
}

func (h headerFile) Path() string               { return h.path }
func (h headerFile) Stat() (fs.FileInfo, error) { return h.info, nil }

// ctxReader ends a stream when ctx ends.
type ctxReader struct {
	ctx context.Context //nolint:containedctx // a reader has no other way to see it
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
