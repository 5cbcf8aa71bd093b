package inventory

import (
	"reflect"
	"slices"
	"testing"
)

func TestChartMarksTheFieldsItGeneratesWhenItRenders(t *testing.T) {
	inv := Load([]string{"testdata/charts/generated"}, Options{})
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
