package htmlreport

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func pssFinding(ns, pss string, suppressed bool) finding.Finding {
	f := finding.Finding{
		RuleID:     "pod/" + pss,
		Resource:   finding.Resource{Kind: "Deployment", Namespace: ns, Name: "app"},
		Frameworks: finding.Frameworks{PSS: pss},
	}
	if suppressed {
		f.Suppressed = &finding.Suppression{Kind: "config", Reason: "accepted"}
	}
	return f
}

func TestPodSecurityLevelOfEachNamespace(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   []finding.Finding
		want string // "ns=level" for each namespace, in order
	}{
		{"a baseline failure leaves privileged", []finding.Finding{pssFinding("a", "baseline/privileged", false)}, "a=privileged"},
		{"only restricted failures leave baseline", []finding.Finding{pssFinding("a", "restricted/runAsNonRoot", false), pssFinding("a", "restricted/seccompProfile_restricted", false)}, "a=baseline"},
		{"both levels failed leave privileged", []finding.Finding{pssFinding("a", "restricted/runAsNonRoot", false), pssFinding("a", "baseline/hostPathVolumes", false)}, "a=privileged"},
		{"a namespace with other findings meets restricted", []finding.Finding{
			{RuleID: "netpol/x", Resource: finding.Resource{Kind: "Deployment", Namespace: "b", Name: "x"}},
			pssFinding("a", "baseline/privileged", false),
		}, "a=privileged b=restricted"},
		{"a Namespace object names its namespace", []finding.Finding{{RuleID: "ns/x", Resource: finding.Resource{Kind: "Namespace", Name: "c"}}}, "c=restricted"},
		{"cluster-scoped objects name no namespace", []finding.Finding{{RuleID: "rbac/x", Resource: finding.Resource{Kind: "ClusterRole", Name: "r"}}}, ""},
		{"a workload without a namespace is listed when it fails", []finding.Finding{pssFinding("", "restricted/runAsNonRoot", false)}, "=baseline"},
		{"suppressed findings do not lower the level", []finding.Finding{pssFinding("a", "baseline/privileged", true)}, "a=restricted"},
		{"findings without a PSS level are not checks", []finding.Finding{pssFinding("a", "cis/5.2.2", false)}, "a=restricted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range pssLevels(tc.fs, nil) {
				got = append(got, p.Namespace+"="+p.Level)
			}
			if s := strings.Join(got, " "); s != tc.want {
				t.Errorf("levels %q, want %q", s, tc.want)
			}
		})
	}
}

func TestPodSecurityChecksFailedAreListedOnce(t *testing.T) {
	fs := []finding.Finding{
		pssFinding("a", "restricted/runAsNonRoot", false),
		pssFinding("a", "restricted/runAsNonRoot", false),
		pssFinding("a", "baseline/privileged", false),
		pssFinding("a", "baseline/hostPathVolumes", true),
	}
	got := pssLevels(fs, nil)[0]
	if fmt.Sprint(got.Baseline, got.Restricted, got.Findings, got.Suppressed) != "[privileged] [runAsNonRoot] 3 1" {
		t.Errorf("got baseline %v restricted %v findings %d suppressed %d", got.Baseline, got.Restricted, got.Findings, got.Suppressed)
	}
}

func TestControlsCountRulesAndFindings(t *testing.T) {
	rules := []*rule.Rule{
		{Meta: rule.Meta{ID: "pod/a", Frameworks: finding.Frameworks{CIS: "5.2.10", MITRE: "T1611"}}},
		{Meta: rule.Meta{ID: "pod/b", Frameworks: finding.Frameworks{CIS: "5.2.9", MITRE: "T1611"}}},
		{Meta: rule.Meta{ID: "etcd/c", Frameworks: finding.Frameworks{CIS: "2.3"}}},
		{Meta: rule.Meta{ID: "api/d", Frameworks: finding.Frameworks{CIS: "1.2.1", NSA: "authentication"}}},
	}
	fs := []finding.Finding{
		{RuleID: "pod/a", Frameworks: rules[0].Frameworks},
		{RuleID: "pod/a", Frameworks: rules[0].Frameworks},
		{RuleID: "pod/b", Frameworks: rules[1].Frameworks, Suppressed: &finding.Suppression{Kind: "annotation"}},
		// A finding may name a control no rule that ran declares (a per-result override).
		{RuleID: "pod/e", Frameworks: finding.Frameworks{CIS: "5.2.2"}},
	}
	c := buildCompliance(fs, rules, nil)
	show := func(cs []control) string {
		var out []string
		for _, x := range cs {
			out = append(out, fmt.Sprintf("%s[%s %s] rules=%v failing=%v n=%d", x.ID, x.Section, x.SectionTitle, x.Rules, x.Failing, x.Findings))
		}
		return strings.Join(out, "\n")
	}
	wantCIS := strings.Join([]string{
		"1.2.1[1.2 API server] rules=[api/d] failing=[] n=0",
		"2.3[2 etcd] rules=[etcd/c] failing=[] n=0",
		"5.2.2[5.2 Pod Security Standards] rules=[pod/e] failing=[pod/e] n=1",
		"5.2.9[5.2 Pod Security Standards] rules=[pod/b] failing=[] n=0",
		"5.2.10[5.2 Pod Security Standards] rules=[pod/a] failing=[pod/a] n=2",
	}, "\n")
	if got := show(c.CIS); got != wantCIS {
		t.Errorf("CIS:\n%s\nwant:\n%s", got, wantCIS)
	}
	if got, want := show(c.MITRE), "T1611[ ] rules=[pod/a pod/b] failing=[pod/a] n=2"; got != want {
		t.Errorf("MITRE: %s, want %s", got, want)
	}
	if got, want := show(c.NSA), "authentication[ ] rules=[api/d] failing=[] n=0"; got != want {
		t.Errorf("NSA: %s, want %s", got, want)
	}
}

func TestCompareCISOrdersByNumber(t *testing.T) {
	ids := []string{"5.2.10", "1.1.2", "5.2.9", "2.1", "5.2", "1.1.10", "4.2.1", "5.10.1"}
	slices.SortFunc(ids, compareCIS)
	if got, want := strings.Join(ids, " "), "1.1.2 1.1.10 2.1 4.2.1 5.2 5.2.9 5.2.10 5.10.1"; got != want {
		t.Errorf("sorted %s, want %s", got, want)
	}
}

// TestPodSecurityLevelOfNamespacesWithoutFindings: a namespace of the scan that holds no
// finding is listed, meeting restricted.
func TestPodSecurityLevelOfNamespacesWithoutFindings(t *testing.T) {
	fs := []finding.Finding{{RuleID: "pod/privileged-container", Resource: finding.Resource{Kind: "Deployment", Namespace: "shop", Name: "a"},
		Frameworks: finding.Frameworks{PSS: "baseline/privileged"}}}
	got := map[string]string{}
	for _, p := range pssLevels(fs, []string{"quiet", "shop"}) {
		got[p.Namespace] = p.Level
	}
	if got["quiet"] != "restricted" || got["shop"] != "privileged" || len(got) != 2 {
		t.Errorf("levels %v, want quiet restricted and shop privileged", got)
	}
}
