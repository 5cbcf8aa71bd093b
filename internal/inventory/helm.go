package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/glob"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	v2loader "helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/ignore"
	"helm.sh/helm/v4/pkg/strvals"
	sigsyaml "sigs.k8s.io/yaml"
)

// chart renders a Helm chart directory as `helm template` would (release name = the
// chart's name, namespace = Options.Namespace or "default", capabilities of
// Options.KubeVersion and Options.APIVersions, no cluster) and adds its objects, each with its template file as source. It reports
// whether the chart rendered, and the files of the chart its templates read through
// .Files with a literal name or glob.
func (l *loader) chart(dir string) (ok bool, filePatterns []string) {
	l.helmOnce.Do(func() {
		var vals map[string]any
		vals, l.helmErrs = helmValues(l.opt.HelmValues, l.opt.HelmSet)
		l.helmVals = toWire(vals)
		if _, err := chartCapabilities(l.opt.KubeVersion, l.opt.APIVersions); err != nil {
			l.helmErrs = append(l.helmErrs, &Error{File: "--kube-version " + l.opt.KubeVersion, Err: err})
		}
	})
	if len(l.helmErrs) > 0 {
		l.add(nil, l.helmErrs)
		l.helmErrs = nil // said once, not once per chart
	}
	caps, err := chartCapabilities(l.opt.KubeVersion, l.opt.APIVersions)
	if err != nil {
		return false, nil // no release to render for: said once above
	}
	res := renderChartBounded(chartRequest{
		Dir:            dir,
		Values:         l.helmVals,
		Namespace:      l.opt.Namespace,
		Capabilities:   *caps,
		AllowRemote:    l.opt.AllowRemote,
		FollowSymlinks: l.opt.FollowSymlinks,
		Limits:         renderLimits(l.opt.RenderTimeout),
	})
	objs, errs := res.decode()
	l.add(objs, errs)
	l.inv.Warnings = append(l.inv.Warnings, res.Warnings...)
	return !res.Failed, res.FilePatterns
}

// ServedAPIVersions returns the Kubernetes release that kubeVersion names ("1.N" or
// "v1.N.P"; "" for the release a file scan targets by default) as "v1.N.P", and every
// API version that release serves, as Helm's .Capabilities.APIVersions holds them
// when it installs into a cluster ("apps/v1", "apps/v1/Deployment"). Package
// kubeversion, which knows them, sets it: it cannot be imported here, as the rule
// packages it reads import this one. When it is nil charts see Helm's own defaults.
var ServedAPIVersions func(kubeVersion string) (version string, apis []string, err error)

// wireCapabilities are a chart's .Capabilities as they cross to the rendering process.
type wireCapabilities struct {
	// KubeVersion is "v1.N.P"; empty means Helm's default.
	KubeVersion string
	// APIVersions replaces Helm's default set unless nil; Extra is added either way
	// (--api-versions, as helm template -a adds them).
	APIVersions, Extra []string
}

// chartCapabilities resolves --kube-version and --api-versions into what charts see.
func chartCapabilities(kubeVersion string, extra []string) (*wireCapabilities, error) {
	caps := &wireCapabilities{Extra: extra}
	if ServedAPIVersions != nil {
		v, apis, err := ServedAPIVersions(kubeVersion)
		if err != nil {
			return nil, err
		}
		caps.KubeVersion, caps.APIVersions = v, apis
		return caps, nil
	}
	if kubeVersion != "" {
		kv, err := common.ParseKubeVersion(kubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version %q: %v", kubeVersion, err)
		}
		caps.KubeVersion = kv.Version
	}
	return caps, nil
}

// helmCapabilities builds Helm's capabilities from what crossed the pipe.
func (w wireCapabilities) helmCapabilities() (*common.Capabilities, error) {
	caps := common.DefaultCapabilities.Copy()
	if w.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(w.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version %q: %v", w.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	if w.APIVersions != nil {
		caps.APIVersions = slices.Clone(w.APIVersions)
	}
	caps.APIVersions = append(slices.Clone(caps.APIVersions), w.Extra...)
	return caps, nil
}

// helmValues merges values files in order (helm -f) and then --set pairs, parsed by
// Helm's own strvals so that "a.b[0]=x,c=true" means what it means to helm.
func helmValues(files, set []string) (map[string]any, []error) {
	vals := map[string]any{}
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, &Error{File: filepath.ToSlash(f), Err: fmt.Errorf("helm values: %w", unwrapPathError(err))})
			continue
		}
		m, err := v2loader.LoadValues(bytes.NewReader(data))
		if err != nil {
			line := 0
			if yamlLineRE.MatchString(err.Error()) {
				line = yamlErrorLine(err) + 1
			}
			errs = append(errs, &Error{File: filepath.ToSlash(f), Line: line, Err: fmt.Errorf("helm values: %v", trimLine(err))})
			continue
		}
		vals = v2loader.MergeMaps(vals, m)
	}
	for _, s := range set {
		if err := strvals.ParseInto(s, vals); err != nil {
			errs = append(errs, &Error{File: "--set " + s, Err: err})
		}
	}
	return vals, errs
}

// renderedFile is one rendered template or CRD file of a chart.
type renderedFile struct {
	File string // its path on disk, or where it would be for a dependency archive
	Text string
	// Again is the template's second render where it differs from Text: the
	// fields that differ are generated at render time (see generated.go).
	Again string
	// Template is set for a rendered template (not a crds/ file): Text is then split
	// as Helm splits it, and its lines are Lines' template lines.
	Template bool
	// Lines maps the lines of Text to lines of the template: Lines[i] is the template
	// line that wrote line i+1, or 0 when that is not known (see helm_lines.go).
	Lines []int32
}

// wireError is an Error as it crosses from the rendering process.
type wireError struct {
	File string
	Line int
	Msg  string
}

// chartResult is what rendering a chart gives, in a form that crosses a pipe.
type chartResult struct {
	ChartName string
	CRDs      []renderedFile
	Templates []renderedFile
	Errors    []wireError
	Warnings  []string
	// Failed is set when the chart did not render at all.
	Failed bool
	// FilePatterns are the names and globs the chart's templates read with .Files.
	FilePatterns []string
}

func (r *chartResult) fail(file string, line int, format string, args ...any) *chartResult {
	r.Errors = append(r.Errors, wireError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	r.Failed = true
	return r
}

// decode decodes the rendered files. Each rendered template is decoded as a stream
// of its own, with File the template's path on disk (dir/templates/deployment.yaml)
// and Source.Origin "helm:NAME".
func (r *chartResult) decode() ([]*Object, []error) {
	var errs []error
	for _, e := range r.Errors {
		errs = append(errs, &Error{File: e.File, Line: e.Line, Err: errors.New(e.Msg)})
	}
	origin := "helm:" + r.ChartName
	var objs []*Object
	for _, f := range slices.Concat(r.CRDs, r.Templates) {
		var got []*Object
		var es []error
		if f.Template {
			got, es = decodeRendered(f)
		} else {
			got, es = Decode(strings.NewReader(f.Text), f.File) // crds/ files are applied as written
		}
		for _, o := range got {
			o.Source.Origin = origin
		}
		if f.Again != "" && len(es) == 0 {
			markGenerated(got, f.Again, f.File)
		}
		for _, e := range es {
			if de, ok := e.(*Error); ok {
				de.Err = fmt.Errorf("rendered by helm chart %q: %w", r.ChartName, de.Err)
			}
		}
		objs = append(objs, got...)
		errs = append(errs, es...)
	}
	return objs, errs
}

// decodeRendered decodes a rendered template: split into documents as Helm splits
// them (splitHelm), each decoded as decode.go decodes a document, in parallel as
// Decode does. Lines, of objects and of errors, are then turned into template lines
// (renderedLines.template).
func decodeRendered(f renderedFile) ([]*Object, []error) {
	docs := splitHelm(f.Text)
	type result struct {
		objs []*Object
		errs []error
	}
	results := make([]result, len(docs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(docs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i].objs, results[i].errs = decodeDocument(docs[i], f.File)
			}
		}()
	}
	for i := range docs {
		work <- i
	}
	close(work)
	wg.Wait()

	lines := &renderedLines{template: f.Lines}
	var objs []*Object
	var errs []error
	for i, r := range results {
		for _, o := range r.objs {
			lines.attach(o, docs[i].line)
		}
		for _, e := range r.errs {
			lines.fixError(e)
		}
		objs = append(objs, r.objs...)
		errs = append(errs, r.errs...)
	}
	return objs, errs
}

// renderChart loads, checks and renders one chart with the Helm SDK; it runs in the
// rendering process (see renderChartBounded).
//
// Each template's rendered lines are mapped to its own lines (templateLines), so that
// an object's Source.Line and SourceAt name lines of the template file, or no line.
func renderChart(ctx context.Context, req chartRequest) *chartResult {
	res := &chartResult{}
	name := filepath.ToSlash(req.Dir)
	chartFile := path.Join(name, "Chart.yaml")
	ch, err := loadChartDir(req.Dir, req.FollowSymlinks)
	if err != nil {
		var fe *chartFileError
		if errors.As(err, &fe) {
			return res.fail(path.Join(name, fe.name), 0, "helm chart: %s", fe.msg)
		}
		return res.fail(chartFile, 0, "helm chart: %v", err)
	}
	chartName := ch.Name()
	res.ChartName = chartName
	if ch.Metadata.Type == "library" {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: library chart %q renders nothing on its own; it is scanned through the charts that use it", name, chartName))
		return res
	}
	vals, _ := req.Values.value().(map[string]any) // a copy: one chart cannot change what the next one sees
	if vals == nil {
		vals = map[string]any{}
	}
	// Dependencies listed in Chart.yaml must be vendored under charts/ (helm dependency
	// build); render what is there and say what is missing.
	if missing := missingDependencies(ch); len(missing) > 0 {
		res.Errors = append(res.Errors, wireError{File: chartFile, Msg: fmt.Sprintf("helm chart %q: dependencies %s are in Chart.yaml but not in charts/ (run helm dependency build)", chartName, strings.Join(missing, ", "))})
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return res.fail(chartFile, 0, "helm chart %q: dependencies: %v", chartName, err)
	}
	namespace := req.Namespace
	if namespace == "" {
		namespace = "default"
	}
	release := common.ReleaseOptions{Name: chartName, Namespace: namespace, Revision: 1, IsInstall: true}
	caps, err := req.Capabilities.helmCapabilities()
	if err != nil {
		return res.fail(chartFile, 0, "helm chart %q: %v", chartName, err)
	}
	// Schemas are checked here rather than by Helm, whose loader fetches http(s) and
	// file $refs (see validateSchemas).
	renderVals, err := util.ToRenderValuesWithSchemaValidation(ch, vals, release, caps, true)
	if err == nil {
		err = validateSchemas(ch, renderVals["Values"], req.AllowRemote)
	}
	var refErr *schemaRefError
	if errors.As(err, &refErr) {
		return res.fail(chartPath(name, refErr.chart+"/values.schema.json"), 0, "helm chart %q: %v", chartName, refErr)
	}
	if err != nil {
		return res.fail(path.Join(name, "values.yaml"), 0, "helm chart %q: %s", chartName, oneLine(err.Error()))
	}
	start := time.Now()
	rendered, err := engine.Engine{}.RenderWithContext(ctx, ch, renderVals)
	if err != nil {
		e := renderError(name, chartName, err)
		return res.fail(e.File, e.Line, "%v", e.Err)
	}
	again, againBudget := renderAgain(ctx, ch, vals, release, caps, time.Since(start), req.Limits.Timeout), maxAgain
	res.FilePatterns = filePatterns(ch)

	// CRDs under crds/ are not templates; helm installs them before the release.
	for _, crd := range ch.CRDObjects() {
		res.CRDs = append(res.CRDs, renderedFile{File: chartPath(name, crd.Filename), Text: string(crd.File.Data)})
	}
	sources, redefined, mutable := chartTemplateSources(ch)
	lineWork := lineBudget
	size := 0
	for _, key := range slices.Sorted(maps.Keys(rendered)) {
		base := path.Base(key)
		if base == "NOTES.txt" || strings.HasPrefix(base, "_") {
			continue // notes for people, and partials only other templates include
		}
		if strings.TrimSpace(rendered[key]) == "" {
			continue
		}
		size += len(rendered[key])
		if size > req.Limits.MaxRendered {
			res.CRDs, res.Templates = nil, nil
			return res.fail(chartFile, 0, "helm chart %q: renders more than %d MiB; not scanned", chartName, req.Limits.MaxRendered>>20)
		}
		f := renderedFile{File: chartPath(name, key), Text: rendered[key], Again: againText(again, key, rendered[key], &againBudget), Template: true}
		if src, ok := sources[key]; ok && !redefined[key] {
			var vals any
			if !mutable {
				vals = templateValues(renderVals["Values"], key)
			}
			f.Lines = templateLines(key, src, rendered[key], vals, &lineWork)
		}
		res.Templates = append(res.Templates, f)
	}
	return res
}

// defineRE finds the names of templates a chart defines.
var defineRE = regexp.MustCompile(`\{\{-?\s*(?:define|block)\s+"((?:[^"\\]|\\.)*)"`)

// chartTemplateSources returns the source of every template of a chart and its
// dependencies under the name Helm renders it by ("shop/charts/redis/templates/x.yaml",
// as the engine's recAllTpls names them), and the names some template redefines with
// {{ define }}: Helm then renders the definition parsed last, which need not be the
// file's text, so their lines are not mapped. mutable says some template may change
// .Values while rendering (see oneLineActions).
func chartTemplateSources(ch *chartv2.Chart) (sources map[string]string, defined map[string]bool, mutable bool) {
	sources, defined = map[string]string{}, map[string]bool{}
	var walk func(c *chartv2.Chart)
	walk = func(c *chartv2.Chart) {
		for _, t := range c.Templates {
			if t == nil {
				continue
			}
			sources[path.Join(c.ChartFullPath(), t.Name)] = string(t.Data)
			mutable = mutable || mutatesValues.Match(t.Data)
			for _, m := range defineRE.FindAllStringSubmatch(string(t.Data), -1) {
				if name, err := strconv.Unquote(`"` + m[1] + `"`); err == nil {
					defined[name] = true
				}
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	return sources, defined, mutable
}

// templateValues is the .Values a template sees: the chart's, or for a dependency's
// template ("shop/charts/redis/templates/x.yaml") the parent's values under the
// dependency's name, as Helm scopes them.
func templateValues(values any, key string) any {
	_, rest, _ := strings.Cut(key, "/")
	for {
		dep, after, ok := strings.Cut(strings.TrimPrefix(rest, "charts/"), "/")
		if !ok || !strings.HasPrefix(rest, "charts/") {
			return values
		}
		values, rest = asMap(values)[dep], after
	}
}

// chartFileError is a file of a chart that is not read, named relative to the chart.
type chartFileError struct{ name, msg string }

func (e *chartFileError) Error() string { return e.name + ": " + e.msg }

// loadChartDir loads a chart directory as Helm's loader.LoadDir does — the same
// .helmignore rules, the same 100 MiB budget, the same byte-order-mark handling —
// with the rules of files.go: Helm's loader follows every symbolic link (a chart
// with files/env -> /proc/self/environ and a template that prints .Files.Get put
// the CI job's secrets in the scan's output). Here a link is followed only when its
// target stays inside the chart, and never into /proc, /sys or /dev; anything else
// is an error naming the link. Files that are not regular are errors, as in Helm.
func loadChartDir(dir string, followSymlinks bool) (*chartv2.Chart, error) {
	top, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	realTop, err := filepath.EvalSymlinks(top)
	if err != nil {
		return nil, err
	}
	rules := ignore.Empty()
	if data, err := readRegular(filepath.Join(top, ignore.HelmIgnore)); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, &chartFileError{ignore.HelmIgnore, err.Error()}
	}
	rules.AddDefaults()

	c := &chartLoad{top: realTop, follow: followSymlinks, rules: rules, left: archive.MaxDecompressedChartSize, onPath: map[string]bool{realTop: true}}
	if err := c.walk(top, ""); err != nil {
		return nil, err
	}
	for _, f := range c.files {
		if f.Name == "Chart.yaml" {
			var head struct {
				APIVersion string `json:"apiVersion"`
			}
			if sigsyaml.Unmarshal(f.Data, &head) == nil && head.APIVersion != "" && head.APIVersion != chartv2.APIVersionV1 && head.APIVersion != chartv2.APIVersionV2 {
				return nil, errors.New("only chart apiVersion v1 and v2 can be rendered")
			}
		}
	}
	return v2loader.LoadFiles(c.files)
}

// chartLoad is one walk of a chart directory.
type chartLoad struct {
	top    string // real path of the chart
	follow bool
	rules  *ignore.Rules
	left   int64           // bytes left of the chart's budget
	onPath map[string]bool // real directories being walked, against link loops
	files  []*archive.BufferedFile
}

var utf8bom = []byte{0xEF, 0xBB, 0xBF}

func (c *chartLoad) walk(dir, rel string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		n := path.Join(rel, e.Name())
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		realDir := ""
		if fi.Mode()&os.ModeSymlink != 0 {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return &chartFileError{n, "a symbolic link that cannot be followed: " + unwrapPathError(err).Error()}
			}
			switch {
			case isSpecial(real):
				return &chartFileError{n, fmt.Sprintf("a symbolic link to %s, which is never read", linkTarget(p, real))}
			case !c.follow && !within(real, c.top):
				return &chartFileError{n, fmt.Sprintf("a symbolic link to %s, outside the chart (--follow-symlinks reads it)", linkTarget(p, real))}
			}
			if fi, err = os.Stat(real); err != nil {
				return err
			}
			realDir = real
		}
		if fi.IsDir() {
			if c.rules.Ignore(n, fi) {
				continue
			}
			if realDir == "" {
				realDir = filepath.Join(c.top, filepath.FromSlash(n))
				if r, err := filepath.EvalSymlinks(p); err == nil {
					realDir = r
				}
			}
			if c.onPath[realDir] {
				return &chartFileError{n, "a symbolic link to a directory that contains it"}
			}
			c.onPath[realDir] = true
			err := c.walk(p, n)
			delete(c.onPath, realDir)
			if err != nil {
				return err
			}
			continue
		}
		if c.rules.Ignore(n, fi) {
			continue
		}
		if !fi.Mode().IsRegular() {
			return &chartFileError{n, fmt.Sprintf("not read: %s, not a regular file", fileKind(fi.Mode()))}
		}
		data, err := c.read(p, n)
		if err != nil {
			return err
		}
		c.files = append(c.files, &archive.BufferedFile{Name: n, ModTime: fi.ModTime(), Data: bytes.TrimPrefix(data, utf8bom)})
	}
	return nil
}

// read reads one file against the chart's budget, as Helm's BudgetedReader does.
func (c *chartLoad) read(p, n string) ([]byte, error) {
	f, err := openRegular(p)
	if err != nil {
		return nil, &chartFileError{n, unwrapPathError(err).Error()}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, c.left+1))
	if err != nil {
		return nil, &chartFileError{n, err.Error()}
	}
	if int64(len(data)) > c.left {
		return nil, fmt.Errorf("chart exceeds maximum decompressed size of %d bytes", archive.MaxDecompressedChartSize)
	}
	c.left -= int64(len(data))
	return data, nil
}

// filesRE finds the literal names and globs templates read with .Files.
var filesRE = regexp.MustCompile(`\.Files\.(?:Get|GetBytes|Lines|Glob)\s+"((?:[^"\\]|\\.)*)"`)

// filePatterns lists what the chart's own templates read through .Files.
func filePatterns(ch *chartv2.Chart) []string {
	var out []string
	for _, t := range ch.Templates {
		for _, m := range filesRE.FindAllSubmatch(t.Data, -1) {
			if s, err := strconv.Unquote(`"` + string(m[1]) + `"`); err == nil {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// matchesFilePattern reports whether the chart file rel (slash-separated, relative
// to the chart) is named by one of the patterns, as .Files.Get and .Files.Glob
// would match it.
func matchesFilePattern(rel string, patterns []string) bool {
	for _, p := range patterns {
		if p == rel {
			return true
		}
		if g, err := glob.Compile(p, '/'); err == nil && g.Match(rel) {
			return true
		}
	}
	return false
}

// missingDependencies lists the dependencies of Chart.yaml that are not loaded from charts/.
func missingDependencies(ch *chartv2.Chart) []string {
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if d != nil && !have[d.Name] {
			missing = append(missing, strconv.Quote(d.Name))
		}
	}
	return missing
}

// chartPath turns a path of the rendered chart ("shop/templates/x.yaml", or
// "shop/charts/redis/templates/x.yaml" for a dependency) into the template's path on
// disk under the chart directory. A dependency vendored as an archive has no such
// file; its path still names the chart and template.
func chartPath(dir, key string) string {
	_, rest, ok := strings.Cut(filepath.ToSlash(key), "/")
	if !ok {
		return dir
	}
	return path.Join(dir, rest)
}

// renderError turns a Helm engine error into an Error naming the template and line
// Helm reports, e.g. `parse error at (shop/templates/x.yaml:12): ...` or
// `execution error at (shop/templates/x.yaml:5:3): ...`.
func renderError(dir, chartName string, err error) *Error {
	msg := collapseRepeats(oneLine(err.Error()))
	re := regexp.MustCompile(`(` + regexp.QuoteMeta(chartName) + `/[^\s():"<>]+):(\d+)`)
	if m := re.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		return &Error{File: chartPath(dir, m[1]), Line: line, Err: fmt.Errorf("helm chart %q: %s", chartName, msg)}
	}
	return &Error{File: dir, Err: fmt.Errorf("helm chart %q: %s", chartName, msg)}
}

// collapseRepeats folds a chain of identical wrapped errors — a template that
// includes itself is reported by Go's templates once per level, a thousand levels
// deep — into one link and its count.
func collapseRepeats(msg string) string {
	const sep = "error calling include: "
	parts := strings.Split(msg, sep)
	if len(parts) < 4 {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(parts); {
		j := i + 1
		for j < len(parts) && parts[j] == parts[i] {
			j++
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(parts[i])
		if n := j - i; n > 1 {
			fmt.Fprintf(&b, "[the same %d times in all] ", n)
		}
		i = j
	}
	return b.String()
}

// oneLine folds Helm's multi-line errors into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
