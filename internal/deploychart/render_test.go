package deploychart

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/moat-dev/moat/internal/kubeversion"
)

// Release is the release every test renders: the name and namespace the docs install.
const (
	releaseName = "moat"
	namespace   = "moat-system"
)

// chartDir is deploy/charts/moat, found from this file.
func chartDir(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy", "charts", "moat")
}

func loadChart(tb testing.TB) *chartv2.Chart {
	tb.Helper()
	ch, err := loader.Load(chartDir(tb))
	if err != nil {
		tb.Fatalf("load chart: %v", err)
	}
	return ch
}

// rendered is a rendered release: its objects, in Helm's install order.
type rendered struct {
	objects []*unstructured.Unstructured
}

// render renders the chart as `helm install --dry-run` does against a cluster of the
// release Moat targets by default (kubeversion.Default, with the API versions it serves):
// see renderFor.
func render(ch *chartv2.Chart, vals map[string]any) (*rendered, error) {
	return renderFor(ch, vals, kubeversion.Default)
}

// renderFor renders the chart as `helm install --dry-run` does against a cluster of
// Kubernetes release kv: the chart's kubeVersion checked, values checked against
// values.schema.json, templates rendered, manifests split and sorted into install order
// (hooks too: the chart must have none).
func renderFor(ch *chartv2.Chart, vals map[string]any, kv kubeversion.Version) (*rendered, error) {
	caps, err := capabilities(kv)
	if err != nil {
		return nil, err
	}
	// helm install refuses a cluster older than the chart's kubeVersion.
	if want := ch.Metadata.KubeVersion; want != "" && !chartutil.IsCompatibleRange(want, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion %s, which is incompatible with Kubernetes %s", want, caps.KubeVersion.String())
	}
	opts := common.ReleaseOptions{Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true}
	top, err := util.ToRenderValuesWithSchemaValidation(ch, vals, opts, caps, false)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, err
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	if len(hooks) > 0 {
		return nil, fmt.Errorf("the chart has %d hooks; it should have none (hooks are not upgraded with the release)", len(hooks))
	}
	out := &rendered{}
	for _, m := range manifests {
		objs, err := decode(m.Content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		out.objects = append(out.objects, objs...)
	}
	return out, nil
}

// capabilities are what a cluster of release kv shows charts, as moat scan --kube-version
// shows them.
func capabilities(kv kubeversion.Version) (*common.Capabilities, error) {
	caps := common.DefaultCapabilities.Copy()
	v, err := common.ParseKubeVersion(kv.String())
	if err != nil {
		return nil, err
	}
	caps.KubeVersion = *v
	caps.APIVersions = kubeversion.APIVersions(kv)
	return caps, nil
}

// decode reads a YAML stream into objects.
func decode(text string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(m) > 0 {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}

// find returns the rendered object of a kind and name, or nil.
func (r *rendered) find(kind, name string) *unstructured.Unstructured {
	for _, o := range r.objects {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// names lists "Kind/name" of every object, sorted.
func (r *rendered) names() []string {
	var out []string
	for _, o := range r.objects {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	slices.Sort(out)
	return out
}
