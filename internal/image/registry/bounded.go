package registry

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ErrTooLarge is wrapped by the errors of an image or layer over its size limit.
var ErrTooLarge = errors.New("over the size limit")

// limits are the bytes an image may take.
type limits struct {
	layer int64 // compressed bytes of one layer
	image int64 // compressed bytes of all layers
}

// boundedImage is an image whose layers fail to list when the manifest declares them
// over the limits, and fail to read when they turn out larger than declared or than
// the limits. Everything else is the wrapped image's.
type boundedImage struct {
	v1.Image
	name   string // the image in errors: the source and digest
	limits limits
	// storedUncompressed: the source keeps layers uncompressed (docker save), so they
	// are read and counted as they are stored, rather than compressed on the fly only
	// to be decompressed again.
	storedUncompressed bool
	// verifyDigest: the source does not check blobs against their digests itself (an
	// OCI layout reads files as they are).
	verifyDigest bool

	mu    sync.Mutex
	read  map[v1.Hash]int64 // the most bytes read of each layer in one stream
	total int64             // their sum: a layer read twice counts once
}

func newBoundedImage(img v1.Image, name string, lim limits, kind Kind) *boundedImage {
	return &boundedImage{
		Image: img, name: name, limits: lim,
		storedUncompressed: kind == KindTar,
		verifyDigest:       kind == KindOCI,
		read:               map[v1.Hash]int64{},
	}
}

// Layers checks the sizes the manifest declares before any layer is fetched.
func (b *boundedImage) Layers() ([]v1.Layer, error) {
	declared, err := b.declaredSizes()
	if err != nil {
		return nil, err
	}
	layers, err := b.Image.Layers()
	if err != nil {
		return nil, fmt.Errorf("image %s: layers: %w", b.name, err)
	}
	out := make([]v1.Layer, len(layers))
	for i, l := range layers {
		if out[i], err = b.wrap(l, declared); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (b *boundedImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	return b.layerBy("layer "+h.String(), func() (v1.Layer, error) { return b.Image.LayerByDigest(h) })
}

func (b *boundedImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	return b.layerBy("layer with diff ID "+h.String(), func() (v1.Layer, error) { return b.Image.LayerByDiffID(h) })
}

// layerBy finds one layer, once the manifest's sizes are checked.
func (b *boundedImage) layerBy(what string, find func() (v1.Layer, error)) (v1.Layer, error) {
	declared, err := b.declaredSizes()
	if err != nil {
		return nil, err
	}
	l, err := find()
	if err != nil {
		return nil, fmt.Errorf("image %s: %s: %w", b.name, what, err)
	}
	return b.wrap(l, declared)
}

// declaredSizes reads the layers' sizes from the manifest and refuses an image whose
// declared layers are over the limits.
func (b *boundedImage) declaredSizes() (map[v1.Hash]int64, error) {
	m, err := b.Image.Manifest()
	if err != nil {
		return nil, fmt.Errorf("image %s: manifest: %w", b.name, err)
	}
	sizes := make(map[v1.Hash]int64, len(m.Layers))
	var total int64
	for _, d := range m.Layers {
		if d.Size < 0 {
			return nil, fmt.Errorf("image %s: layer %s: manifest declares a negative size %d", b.name, d.Digest, d.Size)
		}
		if d.Size > b.limits.layer {
			return nil, fmt.Errorf("image %s: layer %s: manifest declares %s, %w of %s per layer",
				b.name, d.Digest, formatBytes(d.Size), ErrTooLarge, formatBytes(b.limits.layer))
		}
		total += d.Size
		sizes[d.Digest] = d.Size
	}
	if total > b.limits.image {
		return nil, fmt.Errorf("image %s: manifest declares %d layers of %s in all, %w of %s per image",
			b.name, len(m.Layers), formatBytes(total), ErrTooLarge, formatBytes(b.limits.image))
	}
	return sizes, nil
}

func (b *boundedImage) wrap(l v1.Layer, declared map[v1.Hash]int64) (v1.Layer, error) {
	d, err := l.Digest()
	if err != nil {
		return nil, fmt.Errorf("image %s: layer digest: %w", b.name, err)
	}
	size, ok := declared[d]
	if !ok {
		size = -1 // not in the manifest (a foreign or computed layer): only the limits hold
	}
	bl := &boundedLayer{Layer: l, img: b, digest: d, declared: size}
	if !b.storedUncompressed {
		// Decompress our counted compressed stream, so that the bytes fetched are the
		// ones counted whichever of Compressed and Uncompressed the reader calls.
		if bl.decompressing, err = partial.CompressedToLayer(compressedView{bl}); err != nil {
			return nil, err
		}
	}
	return bl, nil
}

// account records that one stream of layer d has read n bytes and checks the image's
// limit on the sum of its layers.
func (b *boundedImage) account(d v1.Hash, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.read[d] {
		b.total += n - b.read[d]
		b.read[d] = n
	}
	if b.total > b.limits.image {
		return fmt.Errorf("image %s: its layers sent more than %s, %w per image",
			b.name, formatBytes(b.limits.image), ErrTooLarge)
	}
	return nil
}

// boundedLayer counts the bytes of each stream read from its layer.
type boundedLayer struct {
	v1.Layer
	img      *boundedImage
	digest   v1.Hash
	declared int64 // -1: unknown
	// decompressing is the layer's Uncompressed over its counted Compressed stream;
	// nil when the source stores layers uncompressed.
	decompressing v1.Layer
}

func (l *boundedLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, l.errorf("open: %w", err)
	}
	limit, exact := l.img.limits.layer, false
	if l.declared >= 0 {
		limit, exact = l.declared, true
	}
	return l.count(rc, limit, exact, l.img.verifyDigest), nil
}

func (l *boundedLayer) Uncompressed() (io.ReadCloser, error) {
	if l.decompressing != nil {
		rc, err := l.decompressing.Uncompressed()
		if err != nil {
			var named *LayerError
			if errors.As(err, &named) {
				return nil, err
			}
			return nil, l.errorf("decompress: %w", err)
		}
		return namedErrors{ReadCloser: rc, layer: l}, nil
	}
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, l.errorf("open: %w", err)
	}
	return l.count(rc, l.img.limits.layer, false, false), nil
}

func (l *boundedLayer) errorf(format string, a ...any) error {
	return &LayerError{Image: l.img.name, Layer: l.digest.String(), Err: fmt.Errorf(format, a...)}
}

// LayerError is an error reading a layer: it names the image and the layer.
type LayerError struct {
	Image string // the source and its digest
	Layer string // the layer's digest
	Err   error
}

func (e *LayerError) Error() string {
	return fmt.Sprintf("image %s: layer %s: %v", e.Image, e.Layer, e.Err)
}

func (e *LayerError) Unwrap() error { return e.Err }

// namedErrors gives the errors of a stream that another reader (the decompressor) put
// between ours and the caller the image's and the layer's names.
type namedErrors struct {
	io.ReadCloser
	layer *boundedLayer
}

func (r namedErrors) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	var named *LayerError
	if err != nil && err != io.EOF && !errors.As(err, &named) {
		err = r.layer.errorf("decompress: %w", err)
	}
	return n, err
}

func (l *boundedLayer) count(rc io.ReadCloser, limit int64, exact, verify bool) io.ReadCloser {
	c := &countingReader{rc: rc, r: io.LimitReader(rc, limit+1), layer: l, limit: limit, exact: exact}
	if verify {
		c.hash = newHash(l.digest.Algorithm)
	}
	return c
}

// countingReader fails a stream past its limit: the size the manifest declares when
// it declares one (exact), else the per-layer limit; and the image's limit in all.
type countingReader struct {
	rc    io.ReadCloser
	r     io.Reader
	layer *boundedLayer
	limit int64
	exact bool
	hash  hash.Hash // when set, the stream is checked against the layer's digest at its end
	n     int64
	err   error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.hash != nil {
		c.hash.Write(p[:n])
	}
	c.err = c.check(err)
	if c.err != nil {
		return n, c.err
	}
	return n, nil
}

func (c *countingReader) check(err error) error {
	switch {
	case c.n > c.limit && c.exact:
		return c.layer.errorf("the source sent more than the %s its manifest declares", formatBytes(c.limit))
	case c.n > c.limit:
		return c.layer.errorf("more than %s, %w per layer", formatBytes(c.limit), ErrTooLarge)
	}
	if aerr := c.layer.img.account(c.layer.digest, c.n); aerr != nil {
		return aerr
	}
	switch {
	case err == io.EOF:
		return c.atEnd()
	case err != nil:
		return c.layer.errorf("read: %w", err)
	}
	return nil
}

// atEnd checks a complete stream against the declared size and the digest.
func (c *countingReader) atEnd() error {
	if c.exact && c.n < c.limit {
		return c.layer.errorf("ended after %d bytes, its manifest declares %d (truncated)", c.n, c.limit)
	}
	if c.hash != nil {
		if got := hex.EncodeToString(c.hash.Sum(nil)); got != c.layer.digest.Hex {
			return c.layer.errorf("content does not match its digest (got %s:%s): corrupt blob", c.layer.digest.Algorithm, got)
		}
	}
	return io.EOF
}

func (c *countingReader) Close() error { return c.rc.Close() }

func newHash(algorithm string) hash.Hash {
	switch algorithm {
	case "sha256":
		return sha256.New()
	case "sha512":
		return sha512.New()
	}
	return nil
}

// compressedView is a boundedLayer seen as a partial.CompressedLayer, and as nothing
// more, so that partial.CompressedToLayer builds Uncompressed over its Compressed.
type compressedView struct{ l *boundedLayer }

func (v compressedView) Digest() (v1.Hash, error)            { return v.l.digest, nil }
func (v compressedView) Compressed() (io.ReadCloser, error)  { return v.l.Compressed() }
func (v compressedView) Size() (int64, error)                { return v.l.Layer.Size() }
func (v compressedView) MediaType() (types.MediaType, error) { return v.l.Layer.MediaType() }
func (v compressedView) DiffID() (v1.Hash, error)            { return v.l.Layer.DiffID() }

// formatBytes writes n in binary units: "4 GiB", "512 KiB", "300 B".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %ciB", int64(v), "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
}
