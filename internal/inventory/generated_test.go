package inventory

import (
	"context"
	"os"
	"reflect"
	"slices"
	"testing"
)

func TestChartMarksTheFieldsItGeneratesWhenItRenders(t *testing.T) {
	inv := Load([]string{"testdata/generated/chart"}, Options{})
	if len(inv.Errors) > 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	for _, tc := range []struct {
		kind, name string
		want       []string
	}{
		// randAlphaNum, randAscii and uuidv4 are generated; a value from
		// values.yaml and a literal are not.
		{"Secret", "generated-app", []string{"data.password", "stringData.instance-id", "stringData[session.key]"}},
		// genCA and genPrivateKey are generated; an empty value is not.
		{"Secret", "generated-tls", []string{"data[ca.crt]", "data[tls.key]"}},
		// The checksum of a generated Secret changes with it.
		{"Deployment", "generated", []string{"spec.template.metadata.annotations[checksum/secret]"}},
	} {
		o := inv.Find(tc.kind, "default", tc.name)
		if o == nil {
			t.Fatalf("%s %s not rendered: %v", tc.kind, tc.name, describeAll(inv.Objects))
		}
		var got []string
		for p := range o.Generated {
			got = append(got, p)
		}
		slices.Sort(got)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %s: Generated = %q, want %q", tc.kind, tc.name, got, tc.want)
		}
	}
}

func TestManifestsAndDeterministicChartsHaveNoGeneratedFields(t *testing.T) {
	inv := Load([]string{"testdata/tree/shop-chart"}, Options{})
	if len(inv.Errors) > 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	for _, o := range inv.Objects {
		if o.Generated != nil {
			t.Errorf("%s %s: Generated = %v, want none", o.Kind(), o.Name(), o.Generated)
		}
	}
}

// BenchmarkChartRender renders and decodes the chart directory named by
// MOAT_BENCH_CHART (a real chart with its dependencies vendored) in this process,
// once and twice (what the scan does, less the 50 ms of starting the rendering
// process): MOAT_BENCH_CHART=dir go test ./internal/inventory -run '^$' -bench ChartRender.
func BenchmarkChartRender(b *testing.B) {
	dir := os.Getenv("MOAT_BENCH_CHART")
	if dir == "" {
		b.Skip("MOAT_BENCH_CHART names no chart")
	}
	defer func(twice bool) { renderTwice = twice }(renderTwice)
	for _, twice := range []bool{false, true} {
		renderTwice = twice
		b.Run(map[bool]string{false: "once", true: "twice"}[twice], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res := renderChart(context.Background(), chartRequest{Dir: dir, Limits: renderLimits(0)})
				if objs, _ := res.decode(); res.Failed || len(objs) == 0 {
					b.Fatalf("nothing rendered: %v", res.Errors)
				}
			}
		})
	}
}
