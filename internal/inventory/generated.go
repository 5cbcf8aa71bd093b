package inventory

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Values a chart generates when it renders. Helm's rendering is a pure function of
// the chart, the values, the release and the capabilities, except for the template
// functions that draw random numbers (randAlpha, randAlphaNum, randNumeric,
// randAscii, randBytes, randInt, uuidv4, genPrivateKey, genCA, genSelfSignedCert,
// genSignedCert, derivePassword with a random input, shuffle) and the clock (now).
// Rendering a chart a second time and comparing the two renders therefore finds the
// fields generated at install time, whatever helper or library chart produced them,
// without reading template source: a Secret whose data is `randAlphaNum 32 | b64enc`
// holds no committed credential, while the same Secret filled from values.yaml does.
// A generated value that happens to come out the same twice (randNumeric 1) is taken
// as written in the chart: the mistake goes to the safe side.
//
// The second render costs one more execution of the templates, in the rendering
// process that is already running; the chart is not loaded again and only the
// templates whose text differs are decoded again. Measured (CPU time per chart,
// render and decode, on a shared 2-core machine; BenchmarkChartRender) on
// bitnami/keycloak with postgresql and common vendored (63 templates, 15 objects, 3
// templates differ): 49 ms once, 82 ms twice; on bitnami/kube-prometheus with
// node-exporter, kube-state-metrics and common (138 templates, 248 KB, 113 objects,
// none differ): 454 ms once, 533 ms twice, most of it decoding the objects.

// renderTwice is turned off by the benchmark that measures what the second render costs.
var renderTwice = true

// maxAgain bounds the text of second renders kept for comparison; beyond it the
// remaining templates are not compared and their fields count as written.
const maxAgain = 8 << 20

// renderAgain renders a chart a second time for markGenerated. It returns nil when
// the first render took more than a third of the time limit, leaving too little for
// a second one (Helm's engine cannot be stopped once a template runs, and the
// rendering process's time limit would then lose both renders), or when it fails;
// nothing is then marked.
func renderAgain(ctx context.Context, ch *chartv2.Chart, vals map[string]any, release common.ReleaseOptions, caps *common.Capabilities, took, limit time.Duration) map[string]string {
	if !renderTwice || limit > 0 && took > limit/3 {
		return nil
	}
	// Fresh values: CoalesceValues copies vals and the charts' values, so what the
	// first render's templates did to .Values (sprig's set and unset) is not seen here.
	renderVals, err := util.ToRenderValuesWithSchemaValidation(ch, vals, release, caps, true)
	if err != nil {
		return nil
	}
	again, err := engine.Engine{}.RenderWithContext(ctx, ch, renderVals)
	if err != nil {
		return nil
	}
	return again
}

// againText is what renderedFile.Again keeps of a template's second render: its
// text when it differs from the first, within the budget left.
func againText(again map[string]string, key, first string, budget *int) string {
	a, ok := again[key]
	if !ok || a == first || len(a) > *budget {
		return ""
	}
	*budget -= len(a)
	return a
}

// markGenerated compares the objects decoded from a template's first render with
// those of its second (again) and sets Generated on each object to the paths of the
// fields whose values differ. Objects are paired by their place in the template;
// when the two renders differ in the number or kinds of their objects, nothing is
// marked. Both renders are split as Helm splits them.
func markGenerated(objs []*Object, again, file string) {
	others, errs := decodeRendered(renderedFile{File: file, Text: again, Template: true})
	if len(errs) > 0 || len(others) != len(objs) {
		return
	}
	for i, o := range objs {
		p := others[i]
		if o.GVK != p.GVK {
			return
		}
		a, errA := contentOf(o.Obj)
		b, errB := contentOf(p.Obj)
		if errA != nil || errB != nil {
			continue
		}
		paths := map[string]bool{}
		diffValues("", a, b, paths)
		if len(paths) > 0 {
			o.Generated = paths
		}
	}
}

func contentOf(obj runtime.Object) (map[string]any, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u.Object, nil
	}
	return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
}

// diffValues adds to out the paths under p where a and b differ: the deepest map key
// or list item that is missing on one side, or whose values are not equal.
func diffValues(p string, a, b any, out map[string]bool) {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			out[p] = true
			return
		}
		for k, v := range x {
			diffValues(fieldPath(p, k), v, y[k], out)
		}
		for k, v := range y {
			if _, ok := x[k]; !ok {
				diffValues(fieldPath(p, k), nil, v, out)
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			out[p] = true
			return
		}
		for i := range x {
			diffValues(fmt.Sprintf("%s[%d]", p, i), x[i], y[i], out)
		}
	default:
		if fmt.Sprint(a) != fmt.Sprint(b) || (a == nil) != (b == nil) {
			out[p] = true
		}
	}
}

var plainFieldRE = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

// fieldPath appends a map key to a path as findings write it: "data.password", or
// "data[tls.key]" when the key holds dots or slashes.
func fieldPath(p, key string) string {
	switch {
	case !plainFieldRE.MatchString(key):
		return p + "[" + key + "]"
	case p == "":
		return key
	}
	return p + "." + key
}
