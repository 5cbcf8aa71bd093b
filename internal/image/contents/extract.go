package contents

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	scalibrfs "github.com/google/osv-scalibr/fs"
	"github.com/google/osv-scalibr/inventory"
	scalibrlog "github.com/google/osv-scalibr/log"
	"github.com/google/osv-scalibr/plugin"
	purlecosystem "github.com/google/osv-scalibr/purl/ecosystem"
	"github.com/google/osv-scalibr/stats"

	"github.com/moat-dev/moat/internal/image"
)

// extractorFactories are the extractors that find packages in a container image: OS
// package databases, binaries with build info, installed language packages and
// lockfiles. Each is imported on its own; scalibr's list packages would compile in
// every extractor and detector it has.
var extractorFactories = []func(*cpb.PluginConfig) (filesystem.Extractor, error){
	// OS package databases.
	dpkg.New, apk.New, rpm.New,
	// Go and Rust binaries' build info; Rust lockfiles.
	gobinary.New, cargoauditable.New, cargolock.New,
	// Python: installed distributions and lockfiles.
	wheelegg.New, requirements.New, poetrylock.New, pipfilelock.New,
	// JavaScript: lockfiles and installed node_modules packages.
	packagelockjson.New, yarnlock.New, pnpmlock.New, packagejson.New,
	// Java archives (jar, war, ear), nested ones included.
	archive.New,
}

// binaryMarkers are, per extractor that reads binaries, byte strings a file must hold
// for that extractor to find anything in it. FileRequired accepts every executable,
// script and shared library; these let the walk drop those that are not Go or Rust
// binaries as they stream past instead of holding them all.
var binaryMarkers = map[string][][]byte{
	// debug/buildinfo finds a Go binary's build info by this magic (Go 1.13 and later).
	gobinary.Name: {[]byte("\xff Go buildinf:")},
	// go-rustaudit reads the section ".dep-v0" (ELF, PE, Mach-O), "rdep-v0" (PE) or
	// the legacy ".rust-deps-v0"/"rust-deps-v0": the names are in the section tables.
	cargoauditable.Name: {[]byte("dep-v0"), []byte("deps-v0")},
}

// scalibr logs through a package-level logger that prints to stderr by default; Moat
// reports what failed as warnings instead. Set once, before any goroutine can use it.
func init() { scalibrlog.SetLogger(quietLogger{}) }

func newExtractors() ([]filesystem.Extractor, error) {
	cfg := &cpb.PluginConfig{}
	out := make([]filesystem.Extractor, 0, len(extractorFactories))
	for _, newExtractor := range extractorFactories {
		e, err := newExtractor(cfg)
		if err != nil {
			return nil, fmt.Errorf("setting up extractor: %w", err)
		}
		out = append(out, guarded{e})
	}
	return out, nil
}

// guarded turns an extractor's panic into an error for the file at hand. Extractors
// parse whatever an image holds, and one has been seen to panic on a malformed
// os-release (see normalizeOSRelease); a scan must outlive that.
type guarded struct{ filesystem.Extractor }

func (g guarded) FileRequired(api filesystem.FileAPI) (required bool) {
	defer func() {
		if recover() != nil {
			required = false
		}
	}()
	return g.Extractor.FileRequired(api)
}

func (g guarded) Extract(ctx context.Context, in *filesystem.ScanInput) (inv inventory.Inventory, err error) {
	defer func() {
		if r := recover(); r != nil {
			inv, err = inventory.Inventory{}, fmt.Errorf("extractor panicked: %v", r)
		}
	}()
	return g.Extractor.Extract(ctx, in)
}

// extract runs the extractors over the kept files and maps what they find.
func extract(ctx context.Context, exts []filesystem.Extractor, fsys *keptFS) ([]image.Package, []string, error) {
	inv, statuses, err := filesystem.Run(ctx, &filesystem.Config{
		Extractors: exts,
		ScanRoots:  []*scalibrfs.ScanRoot{{FS: fsys}}, // no Path: a virtual filesystem
		Stats:      stats.NoopCollector{},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("running extractors: %w", err)
	}
	pkgs := make([]image.Package, 0, len(inv.Packages))
	for _, p := range inv.Packages {
		pkgs = append(pkgs, fsys.toPackage(p))
	}
	slices.SortFunc(pkgs, comparePackages)
	return pkgs, fsys.statusWarnings(statuses), nil
}

// statusWarnings turns the extractors' per-file failures into warnings that name the
// file and the layer that wrote it.
func (k *keptFS) statusWarnings(statuses []*plugin.Status) []string {
	var out []string
	for _, st := range statuses {
		if st.Status == nil || st.Status.Status == plugin.ScanStatusSucceeded {
			continue
		}
		if len(st.Status.FileErrors) == 0 {
			out = append(out, fmt.Sprintf("extractor %s failed: %s", st.Name, st.Status.FailureReason))
			continue
		}
		for _, fe := range st.Status.FileErrors {
			where := "/" + fe.FilePath
			if e, ok := k.files[fe.FilePath]; ok {
				where += fmt.Sprintf(" in layer %d (%s)", e.layer+1, k.diffIDs[e.layer])
			}
			out = append(out, fmt.Sprintf("%s: extractor %s failed: %s", where, st.Name, fe.ErrorMessage))
		}
	}
	slices.Sort(out)
	return out
}

// toPackage maps a scalibr package to Moat's, with OSV's names.
func (k *keptFS) toPackage(p *extractor.Package) image.Package {
	loc := p.Location.PathOrEmpty()
	out := image.Package{
		Name:      p.Name,
		Version:   p.Version,
		Ecosystem: osvEcosystem(p),
		Layer:     k.layerOf(loc),
	}
	if loc != "" {
		out.Location = "/" + loc
	}
	// p.PURL is what converter.ToPURL returns; the converter package itself would pull
	// in the SPDX and CycloneDX writers.
	if u := p.PURL(); u != nil {
		out.PURL = u.String()
	}
	switch m := p.Metadata.(type) {
	case *dpkgmeta.Metadata:
		// Without a Source field the source package has the binary's name (deb-control(5)).
		out.SourceName = cmp.Or(m.SourceName, m.PackageName)
	case *apkmeta.Metadata:
		// Alpine's advisories name the origin (aports) package.
		out.SourceName = cmp.Or(m.OriginName, m.PackageName)
	}
	// gobinary names the toolchain that built a binary "go"; OSV's Go database files
	// the standard library's vulnerabilities under "stdlib".
	if out.Ecosystem == "Go" && p.Name == "go" {
		out.Name = "stdlib"
	}
	return out
}

// osvEcosystem is the package's OSV ecosystem. scalibr's own is right except that it
// leaves off the ":LTS" OSV gives Ubuntu's long-term releases ("Ubuntu:22.04:LTS");
// scalibr's PURL mapping knows which releases those are.
func osvEcosystem(p *extractor.Package) string {
	eco := p.Ecosystem()
	if eco.Ecosystem == "Ubuntu" && eco.Suffix != "" {
		if lts := purlecosystem.FromPURL(p.PURL()); lts.Ecosystem == eco.Ecosystem && lts.Suffix == eco.Suffix+":LTS" {
			eco = lts
		}
	}
	return eco.String()
}

// layerOf is the diff ID of the layer that last wrote the file at loc. A location
// inside an archive ("app.jar:lib/x.jar") is attributed to the archive.
func (k *keptFS) layerOf(loc string) string {
	e, ok := k.files[loc]
	if !ok {
		outer, _, _ := strings.Cut(loc, ":")
		if e, ok = k.files[outer]; !ok {
			return ""
		}
	}
	return k.diffIDs[e.layer]
}

func comparePackages(a, b image.Package) int {
	return cmp.Or(
		strings.Compare(a.Ecosystem, b.Ecosystem),
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.Version, b.Version),
		strings.Compare(a.Location, b.Location),
	)
}

// quietLogger discards scalibr's log lines.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Error(...any)          {}
func (quietLogger) Warn(...any)           {}
func (quietLogger) Info(...any)           {}
func (quietLogger) Debug(...any)          {}
