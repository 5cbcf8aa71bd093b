package contents

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/moat-dev/moat/internal/image"
)

// Options bound the work one Inventory call does. Zero fields take the defaults.
type Options struct {
	// MaxFileBytes is the largest single file kept for an extractor (a Go binary, a jar).
	// A required file over it is skipped with a warning. Default 256 MiB.
	MaxFileBytes int64
	// MaxKeptBytes bounds all kept files at once, in memory and spilled. A file that
	// would pass it is skipped with a warning. Default 1 GiB.
	MaxKeptBytes int64
	// MaxFiles bounds the tar entries walked over all layers; past it Inventory fails.
	// Default 2,000,000.
	MaxFiles int

	// spillBytes overrides the constant below, so that tests reach the disk path with
	// small files.
	spillBytes int64
}

const (
	defaultMaxFileBytes = 256 << 20
	defaultMaxKeptBytes = 1 << 30
	defaultMaxFiles     = 2_000_000

	// spillBytes is the size above which a kept file goes to a temporary file rather
	// than memory: a handful of jars or binaries of this size is all an image usually
	// has, while package databases and lockfiles stay well below it.
	spillBytes = 8 << 20
	// maxOSReleaseBytes bounds the os-release files, which are a few hundred bytes.
	maxOSReleaseBytes = 64 << 10
)

func (o Options) withDefaults() Options {
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = defaultMaxFileBytes
	}
	if o.MaxKeptBytes <= 0 {
		o.MaxKeptBytes = defaultMaxKeptBytes
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = defaultMaxFiles
	}
	return o
}

// Inventory streams img's layers in order, keeps the files the extractors need (see the
// package comment) and returns the packages they report, the image's OS release and
// warnings for what could not be read. Ref, Digest and Platform are the caller's to set.
//
// The error is for an image that cannot be inventoried at all: a layer that cannot be
// read (named by its digest), more entries than Options.MaxFiles, or ctx ending.
func Inventory(ctx context.Context, img v1.Image, opt Options) (*image.Contents, error) {
	opt = opt.withDefaults()
	exts, err := newExtractors()
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("listing layers: %w", err)
	}

	st := newStore(opt)
	defer st.close()
	w := &walker{opt: opt, store: st, exts: exts}
	for i, l := range layers {
		if err := w.readLayer(ctx, i, l); err != nil {
			return nil, err
		}
	}

	out := &image.Contents{Warnings: w.warnings}
	fsys := st.freeze(w.diffIDs)
	out.OS = osRelease(fsys)
	pkgs, warnings, err := extract(ctx, exts, fsys)
	if err != nil {
		return nil, err
	}
	out.Packages = pkgs
	out.Warnings = append(out.Warnings, warnings...)
	if out.Packages == nil {
		out.Packages = []image.Package{}
	}
	return out, nil
}
