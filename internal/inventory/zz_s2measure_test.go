package inventory

import (
	"context"
	"os"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
)

func TestS2Measure(t *testing.T) {
	dir := os.Getenv("S2CHART")
	if dir == "" {
		t.Skip()
	}
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		ch, err := loadChartDir(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]any{}
		if err := chartutil.ProcessDependencies(ch, vals); err != nil {
			t.Fatal(err)
		}
		release := common.ReleaseOptions{Name: ch.Name(), Namespace: "default", Revision: 1, IsInstall: true}
		t1 := time.Now()
		rv, err := util.ToRenderValuesWithSchemaValidation(ch, vals, release, common.DefaultCapabilities.Copy(), true)
		if err != nil {
			t.Fatal(err)
		}
		r1, err := engine.Engine{}.RenderWithContext(context.Background(), ch, rv)
		if err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		r2 := renderAgain(context.Background(), ch, vals, release, 0, 0)
		t3 := time.Now()
		diff, size := 0, 0
		for k, v := range r1 {
			size += len(v)
			if r2[k] != v {
				diff++
			}
		}
		t.Logf("load %v render %v again %v; %d templates, %d bytes, %d differ", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), len(r1), size, diff)
	}
	t0 := time.Now()
	res := renderChart(context.Background(), chartRequest{Dir: dir, Limits: renderLimits(0)})
	t1 := time.Now()
	objs, _ := res.decode()
	t.Logf("renderChart %v decode %v, %d objects", t1.Sub(t0), time.Since(t1), len(objs))
	for _, o := range objs {
		if o.Generated != nil {
			t.Logf("%s %s %v", o.Kind(), o.Name(), o.Generated)
		}
	}
}
