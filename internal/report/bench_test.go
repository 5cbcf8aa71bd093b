package report

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// benchReport is a finding-dense report the size of issue 14's 10,000-object dense
// scan: 77,000 findings over 7,700 resources in 100 namespaces, from 20 rules, with
// field lengths like real ones (messages of 60 to 120 characters, field paths, files
// and lines, framework controls), a few suppressed.
func benchReport(n int) *Report {
	kinds := []string{"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Service", "Role"}
	var rules []*rule.Rule
	for i := range 20 {
		domain := []string{"pod", "netpol", "rbac", "image"}[i%4]
		rules = append(rules, &rule.Rule{Meta: rule.Meta{
			ID:          fmt.Sprintf("%s/check-number-%02d", domain, i),
			Title:       fmt.Sprintf("Workload does something risky number %d", i),
			Severity:    finding.Severity(i % 5),
			Description: "A longer description of what the rule looks for and why it matters,\nwrapped as Go source wraps it.",
			Remediation: "Set the field to a safe value and grant only what the workload needs.",
			Frameworks:  finding.Frameworks{CIS: fmt.Sprintf("5.2.%d", i), NSA: "pod-security", MITRE: "T1611"},
			Kinds:       []string{"Pod", "Deployment"},
		}})
	}
	r := &Report{Rules: rules, ToolVersion: "0.3.0", Time: time.Unix(1795426215, 250000000)}
	for i := range n {
		res := i / 10
		ru := rules[(i*7+res)%len(rules)]
		f := finding.Finding{
			RuleID:   ru.ID,
			Severity: ru.Severity,
			Title:    ru.Title,
			Message: fmt.Sprintf("container \"app-%d\" of %s \"svc-%d\" sets securityContext.allowPrivilegeEscalation, which lets a process gain more privileges than its parent",
				i%3, kinds[res%len(kinds)], res),
			Resource: finding.Resource{APIVersion: "apps/v1", Kind: kinds[res%len(kinds)],
				Namespace: fmt.Sprintf("team-%03d", res%100), Name: fmt.Sprintf("svc-%d", res)},
			Path:        fmt.Sprintf("spec.template.spec.containers[%d].securityContext.allowPrivilegeEscalation", i%3),
			Source:      &finding.Source{File: fmt.Sprintf("deploy/team-%03d/manifests.yaml", res%100), Line: 1 + (i*37)%4000},
			Frameworks:  ru.Frameworks,
			Remediation: ru.Remediation,
		}
		if i%97 == 0 {
			f.Suppressed = &finding.Suppression{Kind: "config", Reason: "reviewed by the platform team"}
		}
		r.Findings = append(r.Findings, f)
	}
	finding.Sort(r.Findings)
	r.Summary = finding.Summarize(n/10, r.Findings, 0)
	return r
}

// BenchmarkRender renders the 77,000 findings of a dense 10,000-object scan in every
// format: go test ./internal/report -run '^$' -bench Render -benchmem. With -cpu 1 the
// findings are encoded on one goroutine, with -cpu 2 on two (blocks.go).
func BenchmarkRender(b *testing.B) {
	r := benchReport(77000)
	for _, name := range Findings.Names() {
		b.Run(name, func(b *testing.B) {
			ren, err := Findings.New(name, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := ren.Render(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
