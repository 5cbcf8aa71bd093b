package htmlreport

import (
	"fmt"
	"slices"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
)

func TestDocumentStoresSharedValuesOnce(t *testing.T) {
	res := finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "cart"}
	other := finding.Resource{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "db"}
	priv := finding.Frameworks{PSS: "baseline/privileged", CIS: "5.2.2"}
	fs := []finding.Finding{
		{RuleID: "pod/privileged-container", Title: "Privileged", Remediation: "Drop it.", Frameworks: priv, Resource: res, Path: "spec.template.spec.containers[0].securityContext.privileged", Source: &finding.Source{File: "a.yaml", Line: 20}},
		{RuleID: "pod/privileged-container", Title: "Privileged", Remediation: "Drop it.", Frameworks: priv, Resource: other, Path: "spec.containers[0].securityContext.privileged", Source: &finding.Source{File: "a.yaml", Line: 40}},
		// The same rule with a result-level PSS check is a row of its own.
		{RuleID: "pod/privileged-container", Title: "Privileged", Remediation: "Drop it.", Frameworks: finding.Frameworks{PSS: "restricted/x"}, Resource: other, Path: "spec.containers[1].securityContext.privileged", Source: &finding.Source{File: "b.yaml", Line: 3}},
		{RuleID: "rbac/x", Title: "X", Resource: finding.Resource{Kind: "ClusterRole", Name: "r"}, Suppressed: &finding.Suppression{Kind: "config", Reason: "owned by the platform team"}},
	}
	doc := buildDocument(Scan{Findings: fs}, SnippetLimits{}.withDefaults())
	if len(doc.Rules) != 3 || len(doc.Resources) != 3 || len(doc.Files) != 2 {
		t.Fatalf("tables: %d rules, %d resources, %d files; want 3, 3, 2", len(doc.Rules), len(doc.Resources), len(doc.Files))
	}
	var got []string
	for _, r := range doc.Findings {
		got = append(got, fmt.Sprintf("r%d o%d f%d l%d %q", r.Rule, r.Resource, r.File, r.Line, r.Suppressed))
	}
	want := fmt.Sprint([]string{`r0 o0 f0 l20 ""`, `r0 o1 f0 l40 ""`, `r1 o1 f1 l3 ""`, `r2 o2 f-1 l0 "config: owned by the platform team"`})
	if fmt.Sprint(got) != want {
		t.Errorf("rows %v\nwant %v", got, want)
	}
	if doc.Title != "Moat scan report" || !doc.Scan {
		t.Errorf("title %q scan %v", doc.Title, doc.Scan)
	}
}

// The page groups as the table report does: the groups and their members are those of
// finding.RootCauses.
func TestGroupsAreTheRootCauses(t *testing.T) {
	res := finding.Resource{Kind: "Deployment", Namespace: "ns", Name: "app"}
	src := &finding.Source{File: "app.yaml", Line: 9}
	mk := func(rule, path string, sev finding.Severity) finding.Finding {
		return finding.Finding{RuleID: rule, Severity: sev, Resource: res, Path: path, Source: src}
	}
	fs := []finding.Finding{
		mk("pod/sensitive-host-path", "spec.template.spec.volumes[0].hostPath.path", finding.Critical),
		mk("pod/host-path-volumes", "spec.template.spec.volumes[0]", finding.High),
		mk("pod/run-as-non-root", "spec.template.spec.containers[0].securityContext", finding.Medium),
		mk("pod/run-as-non-root", "spec.template.spec.containers[0].securityContext", finding.Medium), // an equal finding
		mk("pod/no-limits", "spec.template.spec", finding.Low),
	}
	doc := buildDocument(Scan{Findings: fs}, SnippetLimits{}.withDefaults())
	rcs := finding.RootCauses(fs)
	if len(doc.Groups) != len(rcs) {
		t.Fatalf("%d groups, want %d", len(doc.Groups), len(rcs))
	}
	members := make([][]string, len(doc.Groups))
	for i, row := range doc.Findings {
		members[row.Group] = append(members[row.Group], fs[i].RuleID+"@"+fs[i].Path)
	}
	for g, rc := range rcs {
		var want []string
		for _, f := range rc.Findings {
			want = append(want, f.RuleID+"@"+f.Path)
		}
		gr := doc.Groups[g]
		if gr.Path != rc.Path || gr.Severity != int(rc.Severity) || doc.Resources[gr.Resource] != rc.Resource {
			t.Errorf("group %d = %+v, want path %q severity %v", g, gr, rc.Path, rc.Severity)
		}
		if fmt.Sprint(sortedCopy(members[g])) != fmt.Sprint(sortedCopy(want)) {
			t.Errorf("group %d members %v, want %v", g, members[g], want)
		}
	}
	if len(members[0]) != 2 {
		t.Errorf("the hostPath volume's two findings are not one group: %v", members)
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
