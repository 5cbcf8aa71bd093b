package report

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func TestPolicyReportGolden(t *testing.T) {
	golden(t, "report.policyreport.yaml", render(t, RendererFunc[*Report](renderPolicyReport), fixture()))
}

// upstreamReport mirrors the wgpolicyk8s.io/v1alpha2 types of kubernetes-sigs/
// wg-policy-prototypes (policy-report/apis/wgpolicyk8s.io/v1alpha2): decoding strictly
// into it fails on any field the CRD does not define.
type upstreamReport struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Summary struct {
		Pass  int `json:"pass"`
		Fail  int `json:"fail"`
		Warn  int `json:"warn"`
		Error int `json:"error"`
		Skip  int `json:"skip"`
	} `json:"summary"`
	Results []struct {
		Source    string `json:"source"`
		Policy    string `json:"policy"`
		Rule      string `json:"rule"`
		Category  string `json:"category"`
		Severity  string `json:"severity"`
		Timestamp struct {
			Seconds int64 `json:"seconds"`
			Nanos   int32 `json:"nanos"`
		} `json:"timestamp"`
		Result    string `json:"result"`
		Scored    bool   `json:"scored"`
		Resources []struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Namespace  string `json:"namespace"`
			Name       string `json:"name"`
		} `json:"resources"`
		Message    string            `json:"message"`
		Properties map[string]string `json:"properties"`
	} `json:"results"`
}

func parsePolicyReports(t *testing.T, out []byte) []upstreamReport {
	t.Helper()
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	var reps []upstreamReport
	for {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var rep upstreamReport
		if err := yaml.UnmarshalStrict(doc, &rep); err != nil {
			t.Fatalf("document does not match the v1alpha2 types: %v\n%s", err, doc)
		}
		reps = append(reps, rep)
	}
	return reps
}

func TestPolicyReportParsesBack(t *testing.T) {
	rep := fixture()
	reps := parsePolicyReports(t, render(t, RendererFunc[*Report](renderPolicyReport), rep))

	// Work out what each report must hold from the findings.
	type counts struct{ fail, skip, error int }
	want := map[string]*counts{ClusterPolicyReportName: {error: len(rep.Errors)}}
	for _, f := range rep.Findings {
		name := ClusterPolicyReportName
		if f.Resource.Namespace != "" {
			name = PolicyReportName(f.Resource.Namespace)
		}
		if want[name] == nil {
			want[name] = &counts{}
		}
		if f.Suppressed != nil {
			want[name].skip++
		} else {
			want[name].fail++
		}
	}
	if len(reps) != len(want) {
		t.Fatalf("%d reports, want %d", len(reps), len(want))
	}
	if reps[0].Kind != "ClusterPolicyReport" || reps[0].Metadata.Name != ClusterPolicyReportName || reps[0].Metadata.Namespace != "" {
		t.Errorf("first document %s %s/%s, want ClusterPolicyReport %s", reps[0].Kind, reps[0].Metadata.Namespace, reps[0].Metadata.Name, ClusterPolicyReportName)
	}
	var names []string
	total := 0
	for _, r := range reps {
		names = append(names, r.Metadata.Name)
		if r.APIVersion != "wgpolicyk8s.io/v1alpha2" {
			t.Errorf("%s: apiVersion %s", r.Metadata.Name, r.APIVersion)
		}
		w := want[r.Metadata.Name]
		if w == nil {
			t.Errorf("unexpected report %s", r.Metadata.Name)
			continue
		}
		if r.Kind == "PolicyReport" && r.Metadata.Name != PolicyReportName(r.Metadata.Namespace) {
			t.Errorf("PolicyReport %s in namespace %s", r.Metadata.Name, r.Metadata.Namespace)
		}
		s := r.Summary
		if s.Fail != w.fail || s.Skip != w.skip || s.Error != w.error || s.Pass != 0 || s.Warn != 0 {
			t.Errorf("%s: summary %+v, want fail %d skip %d error %d", r.Metadata.Name, s, w.fail, w.skip, w.error)
		}
		var got counts
		for _, res := range r.Results {
			total++
			switch res.Result {
			case "fail":
				got.fail++
			case "skip":
				got.skip++
			case "error":
				got.error++
			default:
				t.Errorf("%s: result %q", r.Metadata.Name, res.Result)
			}
			if res.Source != "moat" || res.Policy == "" {
				t.Errorf("%s: source %q policy %q", r.Metadata.Name, res.Source, res.Policy)
			}
			if res.Severity != "" && !slices.Contains([]string{"critical", "high", "medium", "low", "info"}, res.Severity) {
				t.Errorf("%s: severity %q outside the CRD's enum", r.Metadata.Name, res.Severity)
			}
			if res.Timestamp.Seconds != scanTime.Unix() || int(res.Timestamp.Nanos) != scanTime.Nanosecond() {
				t.Errorf("%s: timestamp %+v, want the scan time %v", r.Metadata.Name, res.Timestamp, scanTime)
			}
			for _, obj := range res.Resources {
				if r.Kind == "PolicyReport" && obj.Namespace != r.Metadata.Namespace || r.Kind == "ClusterPolicyReport" && obj.Namespace != "" {
					t.Errorf("%s holds a result about %s/%s/%s", r.Metadata.Name, obj.Kind, obj.Namespace, obj.Name)
				}
			}
		}
		if got != *w {
			t.Errorf("%s: results give %+v, want %+v", r.Metadata.Name, got, *w)
		}
	}
	if total != len(rep.Findings)+len(rep.Errors) {
		t.Errorf("%d results, want one per finding and input error (%d)", total, len(rep.Findings)+len(rep.Errors))
	}
	if !slices.IsSorted(names[1:]) {
		t.Errorf("namespaced reports not in name order: %v", names)
	}
}

// The properties of a result carry where the finding is and what asks for it.
func TestPolicyReportProperties(t *testing.T) {
	reps := parsePolicyReports(t, render(t, RendererFunc[*Report](renderPolicyReport), fixture()))
	for _, r := range reps {
		if r.Metadata.Name != PolicyReportName("shop") {
			continue
		}
		for _, res := range r.Results {
			if res.Policy != "pod/privileged-container" {
				continue
			}
			p := res.Properties
			if p["file"] != "examples/shop/cart.yaml" || p["line"] != "27" || p["path"] != "spec.template.spec.containers[0].securityContext.privileged" ||
				p["cis"] != "5.2.2" || p["pss"] != "baseline/privileged" || p["mitre"] != "T1611" {
				t.Errorf("properties %v", p)
			}
			if res.Rule != "privileged-container" || res.Category != "pod" || res.Severity != "critical" || !res.Scored {
				t.Errorf("result %+v", res)
			}
			return
		}
	}
	t.Fatal("no pod/privileged-container result in moat-shop")
}
