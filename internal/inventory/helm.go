package inventory

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartloader "helm.sh/helm/v4/pkg/chart/loader"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	v2loader "helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"
)

// chart renders a Helm chart directory as `helm template` would (release name = the
// chart's name, namespace = Options.Namespace or "default", default capabilities, no
// cluster) and adds its objects, each with its template file as source.
func (l *loader) chart(dir string) {
	l.helmOnce.Do(func() { l.helmVals, l.helmErrs = helmValues(l.opt.HelmValues, l.opt.HelmSet) })
	if len(l.helmErrs) > 0 {
		l.add(nil, l.helmErrs)
		l.helmErrs = nil // said once, not once per chart
	}
	objs, errs, warns := renderChart(dir, copyValues(l.helmVals), l.opt.Namespace)
	l.add(objs, errs)
	l.inv.Warnings = append(l.inv.Warnings, warns...)
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

// copyValues copies the maps and lists of a values tree, so that one chart's
// rendering cannot change what the next one sees.
func copyValues(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = copyValue(x)
	}
	return out
}

func copyValue(x any) any {
	switch t := x.(type) {
	case map[string]any:
		return copyValues(t)
	case []any:
		c := make([]any, len(t))
		for i := range t {
			c[i] = copyValue(t[i])
		}
		return c
	}
	return x
}

// renderChart loads, renders and decodes one chart with the Helm SDK. Each rendered
// template is decoded as a stream of its own, with File the template's path on disk
// (dir/templates/deployment.yaml) and Source.Origin "helm:NAME".
//
// Lines are lines of the template's rendered output, not of the template source:
// Source.Line is the line the object's document starts on in what the template
// rendered, and SourceAt counts within that same text, which Moat keeps in memory
// since there is no file to read it from again. A template that renders only what
// it was written as (no conditionals before the field) has the same line numbers.
func renderChart(dir string, vals map[string]any, namespace string) ([]*Object, []error, []string) {
	name := filepath.ToSlash(dir)
	chartFile := path.Join(name, "Chart.yaml")
	loaded, err := chartloader.Load(dir)
	if err != nil {
		return nil, []error{&Error{File: chartFile, Err: fmt.Errorf("helm chart: %v", err)}}, nil
	}
	ch, ok := loaded.(*chartv2.Chart)
	if !ok {
		return nil, []error{&Error{File: chartFile, Err: fmt.Errorf("helm chart: only chart apiVersion v1 and v2 can be rendered")}}, nil
	}
	chartName := ch.Name()
	if ch.Metadata.Type == "library" {
		return nil, nil, []string{fmt.Sprintf("%s: library chart %q renders nothing on its own; it is scanned through the charts that use it", name, chartName)}
	}
	var errs []error
	// Dependencies listed in Chart.yaml must be vendored under charts/ (helm dependency
	// build); render what is there and say what is missing.
	if missing := missingDependencies(ch); len(missing) > 0 {
		errs = append(errs, &Error{File: chartFile, Err: fmt.Errorf("helm chart %q: dependencies %s are in Chart.yaml but not in charts/ (run helm dependency build)", chartName, strings.Join(missing, ", "))})
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return nil, append(errs, &Error{File: chartFile, Err: fmt.Errorf("helm chart %q: dependencies: %v", chartName, err)}), nil
	}
	if namespace == "" {
		namespace = "default"
	}
	release := common.ReleaseOptions{Name: chartName, Namespace: namespace, Revision: 1, IsInstall: true}
	renderVals, err := util.ToRenderValuesWithSchemaValidation(ch, vals, release, common.DefaultCapabilities.Copy(), false)
	if err != nil {
		return nil, append(errs, &Error{File: path.Join(name, "values.yaml"), Err: fmt.Errorf("helm chart %q: %v", chartName, oneLine(err.Error()))}), nil
	}
	rendered, err := engine.Engine{}.RenderWithContext(context.Background(), ch, renderVals)
	if err != nil {
		return nil, append(errs, renderError(name, chartName, err)), nil
	}

	origin := "helm:" + chartName
	var objs []*Object
	decode := func(file, text string) {
		got, es := Decode(strings.NewReader(text), file)
		for _, o := range got {
			o.Source.Origin = origin
		}
		for _, e := range es {
			if de, ok := e.(*Error); ok {
				de.Err = fmt.Errorf("rendered by helm chart %q: %w", chartName, de.Err)
			}
		}
		objs = append(objs, got...)
		errs = append(errs, es...)
	}
	// CRDs under crds/ are not templates; helm installs them before the release.
	for _, crd := range ch.CRDObjects() {
		decode(chartPath(name, crd.Filename), string(crd.File.Data))
	}
	for _, key := range slices.Sorted(maps.Keys(rendered)) {
		base := path.Base(key)
		if base == "NOTES.txt" || strings.HasPrefix(base, "_") {
			continue // notes for people, and partials only other templates include
		}
		if strings.TrimSpace(rendered[key]) == "" {
			continue
		}
		decode(chartPath(name, key), rendered[key])
	}
	return objs, errs, nil
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
func renderError(dir, chartName string, err error) error {
	msg := oneLine(err.Error())
	re := regexp.MustCompile(`(` + regexp.QuoteMeta(chartName) + `/[^\s():"<>]+):(\d+)`)
	if m := re.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		return &Error{File: chartPath(dir, m[1]), Line: line, Err: fmt.Errorf("helm chart %q: %s", chartName, msg)}
	}
	return &Error{File: dir, Err: fmt.Errorf("helm chart %q: %s", chartName, msg)}
}

// oneLine folds Helm's multi-line errors into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
