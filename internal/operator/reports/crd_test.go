package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/finding"
)

// The chart's report CRDs must keep every field Build writes: the API server prunes a
// field its schema does not name, without an error, so a result would lose it silently.
// (That the API server accepts the CRDs and the reports is tested end to end in
// test/kube/e2e/reports_test.go.)

const crdDir = "../../../deploy/charts/moat/crds"

// openAPISchema is the part of an OpenAPI v3 schema these tests read.
type openAPISchema struct {
	Type                 string                    `json:"type"`
	Properties           map[string]*openAPISchema `json:"properties"`
	AdditionalProperties *openAPISchema            `json:"additionalProperties"`
	Items                *openAPISchema            `json:"items"`
	Enum                 []any                     `json:"enum"`
	Required             []string                  `json:"required"`
	PreserveUnknown      bool                      `json:"x-kubernetes-preserve-unknown-fields"`
}

type crd struct {
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind   string `json:"kind"`
			Plural string `json:"plural"`
		} `json:"names"`
		Scope    string `json:"scope"`
		Versions []struct {
			Name   string `json:"name"`
			Schema struct {
				OpenAPIV3Schema *openAPISchema `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

func readCRD(t *testing.T, file string) crd {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(crdDir, file))
	if err != nil {
		t.Fatal(err)
	}
	var c crd
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(c.Spec.Versions) != 1 || c.Spec.Versions[0].Schema.OpenAPIV3Schema == nil {
		t.Fatalf("%s: want one version with a schema", file)
	}
	return c
}

// conforms checks that v (decoded JSON) has only fields s names, of s's types and enums.
func conforms(s *openAPISchema, v any, path string) []string {
	if s.PreserveUnknown {
		return nil
	}
	var errs []string
	switch v := v.(type) {
	case map[string]any:
		if s.Type != "object" {
			return []string{fmt.Sprintf("%s: an object where the schema has %q", path, s.Type)}
		}
		for _, r := range s.Required {
			if _, ok := v[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required %s missing", path, r))
			}
		}
		for k, fv := range v {
			fs := s.AdditionalProperties
			if p, ok := s.Properties[k]; ok {
				fs = p
			}
			if fs == nil {
				errs = append(errs, fmt.Sprintf("%s.%s: not in the schema (the API server would prune it)", path, k))
				continue
			}
			errs = append(errs, conforms(fs, fv, path+"."+k)...)
		}
	case []any:
		if s.Type != "array" || s.Items == nil {
			return []string{fmt.Sprintf("%s: an array where the schema has %q", path, s.Type)}
		}
		for i, iv := range v {
			errs = append(errs, conforms(s.Items, iv, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case string:
		if s.Type != "string" {
			errs = append(errs, fmt.Sprintf("%s: a string where the schema has %q", path, s.Type))
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, any(v)) {
			errs = append(errs, fmt.Sprintf("%s: %q not in %v", path, v, s.Enum))
		}
	case int64, float64:
		if s.Type != "integer" && s.Type != "number" {
			errs = append(errs, fmt.Sprintf("%s: a number where the schema has %q", path, s.Type))
		}
	case bool:
		if s.Type != "boolean" {
			errs = append(errs, fmt.Sprintf("%s: a boolean where the schema has %q", path, s.Type))
		}
	default:
		errs = append(errs, fmt.Sprintf("%s: %T", path, v))
	}
	return errs
}

func TestCRDsKeepEveryFieldBuildWrites(t *testing.T) {
	// Findings with every optional field set, a suppressed one and an input error.
	fs := []finding.Finding{
		{
			RuleID: "pod/privileged-container", Severity: finding.Critical, Title: "Container runs privileged",
			Message:    "container \"app\" sets securityContext.privileged=true",
			Resource:   finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Name: "cart"},
			Path:       "spec.template.spec.containers[0].securityContext.privileged",
			Source:     &finding.Source{File: "cart.yaml", Line: 3, Origin: "helm:shop"},
			Frameworks: finding.Frameworks{PSS: "baseline/privileged", CIS: "5.2.2", NSA: "pod-security", MITRE: "T1611"},
			Suppressed: &finding.Suppression{Kind: "annotation", Reason: "a test"},
		},
	}
	for _, sev := range finding.Severities {
		fs = append(fs, finding.Finding{RuleID: "pod/x", Severity: sev, Title: "t", Resource: finding.Resource{Kind: "Pod", Name: sev.String()}})
	}
	cases := []struct {
		file string
		api  API
		ns   string
	}{
		{"openreports.io_reports.yaml", OpenReports, "shop"},
		{"openreports.io_clusterreports.yaml", OpenReports, ""},
		{"wgpolicyk8s.io_policyreports.yaml", WGPolicy, "shop"},
		{"wgpolicyk8s.io_clusterpolicyreports.yaml", WGPolicy, ""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c := readCRD(t, tc.file)
			namespaced, cluster := tc.api.Kinds()
			res, clusterRes := tc.api.Resources()
			kind, plural, scope := namespaced, res.Resource, "Namespaced"
			if tc.ns == "" {
				kind, plural, scope = cluster, clusterRes.Resource, "Cluster"
			}
			if c.Spec.Group != kind.Group || c.Spec.Names.Kind != kind.Kind || c.Spec.Names.Plural != plural ||
				c.Spec.Scope != scope || c.Spec.Versions[0].Name != kind.Version {
				t.Errorf("CRD is %s %s/%s %s %s, want %s %s/%s %s %s", c.Spec.Group, c.Spec.Names.Kind, c.Spec.Names.Plural,
					c.Spec.Versions[0].Name, c.Spec.Scope, kind.Group, kind.Kind, plural, kind.Version, scope)
			}
			fs := slices.Clone(fs)
			for i := range fs {
				fs[i].Resource.Namespace = tc.ns
			}
			s := c.Spec.Versions[0].Schema.OpenAPIV3Schema
			for _, u := range Build(Options{API: tc.api, Now: fixedNow}, tc.ns, fs, []string{"list pods: forbidden"}) {
				obj := u.UnstructuredContent()
				// metadata is the API server's own, not the CRD's schema.
				without := map[string]any{}
				for k, v := range obj {
					if k != "metadata" {
						without[k] = v
					}
				}
				for _, e := range conforms(s, without, "") {
					t.Error(e)
				}
			}
		})
	}
}

func TestCRDsOfOneAPIShareTheirSchema(t *testing.T) {
	pairs := [][2]string{
		{"openreports.io_reports.yaml", "openreports.io_clusterreports.yaml"},
		{"wgpolicyk8s.io_policyreports.yaml", "wgpolicyk8s.io_clusterpolicyreports.yaml"},
	}
	for _, p := range pairs {
		a, b := readCRD(t, p[0]), readCRD(t, p[1])
		sa, sb := *a.Spec.Versions[0].Schema.OpenAPIV3Schema, *b.Spec.Versions[0].Schema.OpenAPIV3Schema
		if !reflect.DeepEqual(sa.Properties, sb.Properties) {
			t.Errorf("%s and %s have different fields", p[0], p[1])
		}
	}
	// The two APIs' results are the same shape.
	or := readCRD(t, "openreports.io_reports.yaml").Spec.Versions[0].Schema.OpenAPIV3Schema
	wg := readCRD(t, "wgpolicyk8s.io_policyreports.yaml").Spec.Versions[0].Schema.OpenAPIV3Schema
	for _, f := range []string{"results", "summary", "scope", "scopeSelector"} {
		if !reflect.DeepEqual(or.Properties[f], wg.Properties[f]) {
			t.Errorf("the APIs' %s differ", f)
		}
	}
}
