package node

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/finding"
)

const auditTestPolicy = "/etc/kubernetes/audit/policy.yaml"

// auditHost is an API server with the policy and the other flags given.
func auditHost(policy []byte, args ...string) *Host {
	files := map[string][]byte{}
	if policy != nil {
		files[auditTestPolicy] = policy
	}
	h := beyondHost(files)
	beyondComponent(h, APIServer, args...)
	return h
}

func TestAuditPolicy(t *testing.T) {
	catchAll := readFixture(t, filepath.Join("testdata", "audit", "pass", "metadata-catch-all.yaml"))
	withPolicy := "--audit-policy-file=" + auditTestPolicy
	tests := []struct {
		name     string
		host     func() *Host
		want     []string // messages, in order
		severity finding.Severity
	}{
		{"policy and log file", func() *Host { return auditHost(catchAll, withPolicy, "--audit-log-path=/var/log/audit.log") }, nil, 0},
		{"policy and webhook", func() *Host {
			return auditHost(catchAll, withPolicy, "--audit-webhook-config-file=/etc/kubernetes/audit/webhook.conf")
		}, nil, 0},
		{"policy and standard output", func() *Host { return auditHost(catchAll, withPolicy, "--audit-log-path=-") }, nil, 0},
		{"no policy, log file", func() *Host { return auditHost(nil, "--audit-log-path=/var/log/audit.log") },
			[]string{"--audit-policy-file is not set: the API server records no audit events"}, finding.Medium},
		{"neither policy nor backend", func() *Host { return auditHost(nil, "--secure-port=6443") },
			[]string{"--audit-policy-file is not set: the API server records no audit events (and neither --audit-log-path nor --audit-webhook-config-file is set)"}, finding.Medium},
		{"policy without backend", func() *Host { return auditHost(catchAll, withPolicy) },
			[]string{"neither --audit-log-path nor --audit-webhook-config-file is set: audit events are written nowhere"}, finding.Medium},
		{"policy file missing", func() *Host {
			h := auditHost(nil, withPolicy, "--audit-log-path=/var/log/audit.log")
			h.Files[auditTestPolicy] = &File{Path: auditTestPolicy}
			return h
		}, []string{"--audit-policy-file=" + auditTestPolicy + " does not exist"}, finding.Medium},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := beyondRun(t, tt.host(), "apiserver/audit-policy")
			var got []string
			for _, f := range fs {
				got = append(got, f.Message)
				if f.Severity != tt.severity {
					t.Errorf("severity %s, want %s", f.Severity, tt.severity)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("got %q, want %q", got[i], tt.want[i])
				}
			}
		})
	}
}

func TestAuditPolicyInvalid(t *testing.T) {
	tests := []struct {
		fixture  string
		message  string
		severity finding.Severity
	}{
		{"invalid/bad-level.yaml", `rules[0].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse"`, finding.Medium},
		{"invalid/bad-stage.yaml", `rules[0].omitStages[0]: Invalid value: "Sometimes": allowed stages are`, finding.Medium},
		{"invalid/v1beta1.yaml", `no kind "Policy" is registered for version "audit.k8s.io/v1beta1"`, finding.Medium},
		{"invalid/no-rules.yaml", "the policy has no rules: the API server refuses it", finding.Medium},
		{"invalid/syntax.yaml", "yaml: line 5: did not find expected '-' indicator", finding.Medium},
		{"fail/typo-matches-everything.yaml", `unknown field "rules[0].resource"; the API server ignores these fields and runs the rest of the policy`, finding.Low},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			fixture := filepath.Join("testdata", "audit", tt.fixture)
			h := auditHost(readFixture(t, fixture), "--audit-policy-file="+auditTestPolicy, "--audit-log-path=/var/log/audit.log")
			fs := beyondRun(t, h, "apiserver/audit-policy")
			if len(fs) != 1 {
				t.Fatalf("want one finding, got %+v", fs)
			}
			f := fs[0]
			if !strings.HasPrefix(f.Message, auditTestPolicy+": ") || !strings.Contains(f.Message, tt.message) || f.Severity != tt.severity {
				t.Errorf("got %s %q, want %s %q", f.Severity, f.Message, tt.severity, tt.message)
			}
			if want := markedLine(t, fixture); f.Source.File != auditTestPolicy || f.Source.Line != want {
				t.Errorf("source %s, want %s:%d", f.Source, auditTestPolicy, want)
			}
		})
	}
}

// auditWant is one finding of apiserver/audit-policy-coverage a fixture must give.
type auditWant struct {
	message  string
	severity finding.Severity
	rule     int // the deciding rule; -1 for none
}

func TestAuditPolicyCoverage(t *testing.T) {
	const (
		everyVerb = "get, list, watch, create, update, patch, delete, deletecollection"
		notRec    = "by an ordinary user are not recorded "
		secrets   = "the audit log holds the Secret's data"
	)
	low, medium := finding.Low, finding.Medium
	tests := []struct {
		fixture string
		want    []auditWant
	}{
		{"pass/metadata-catch-all.yaml", nil},
		{"pass/named-exemptions.yaml", nil},
		{"fail/secrets-none.yaml", []auditWant{
			{"secrets: " + everyVerb + " " + notRec + "(rules[0] sets level None)", low, 0},
		}},
		{"fail/kube-system-none.yaml", []auditWant{
			{"secrets: " + everyVerb + " by an ordinary user in namespace kube-system are not recorded (rules[0] sets level None)", low, 0},
		}},
		{"fail/configmap-reads-none.yaml", []auditWant{
			{"configmaps: get, list, watch " + notRec + "(rules[0] sets level None)", low, 0},
		}},
		{"fail/watch-none.yaml", []auditWant{
			{"secrets: watch " + notRec, low, 0},
			{"configmaps: watch " + notRec, low, 0},
		}},
		{"fail/no-exec.yaml", []auditWant{
			{"pods/exec: create, get " + notRec + "(no rule matches them, and what no rule matches is not recorded)", low, -1},
			{"pods/attach: create, get " + notRec, low, -1},
			{"pods/portforward: create, get " + notRec, low, -1},
		}},
		{"fail/pod-subresources-none.yaml", []auditWant{
			{"pods/exec: create, get " + notRec + "(rules[0] sets level None)", low, 0},
			{"pods/attach: create, get " + notRec, low, 0},
			{"pods/portforward: create, get " + notRec, low, 0},
		}},
		{"fail/typo-matches-everything.yaml", []auditWant{
			{"secrets: " + everyVerb + " " + notRec, low, 0},
			{"configmaps: " + everyVerb + " " + notRec, low, 0},
			{"tokenreviews: create " + notRec, low, 0},
			{"pods/exec: create, get " + notRec, low, 0},
			{"pods/attach: create, get " + notRec, low, 0},
			{"pods/portforward: create, get " + notRec, low, 0},
		}},
		{"fail/secrets-request-response.yaml", []auditWant{
			{"secrets: " + everyVerb + " by any user are logged at level RequestResponse (rules[0]): " + secrets, medium, 0},
		}},
		{"fail/secrets-request.yaml", []auditWant{
			{"secrets: create, update, patch by any user are logged at level Request (rules[1]): " + secrets, medium, 1},
			{"tokenreviews: create by any user are logged at level Request (rules[1]): the audit log holds the token under review", medium, 1},
		}},
		{"fail/group-leak.yaml", []auditWant{
			{"secrets: create, update, patch, delete, deletecollection by group system:masters are logged at level RequestResponse (rules[1]): " + secrets, medium, 1},
			{"serviceaccounts/token: create by group system:masters are logged at level RequestResponse (rules[1]): the audit log holds the token issued", medium, 1},
		}},
		{"fail/namespace-leak.yaml", []auditWant{
			{"secrets: " + everyVerb + " by any user are logged at level RequestResponse (rules[0])", medium, 0},
			{"serviceaccounts/token: create by any user are logged at level RequestResponse (rules[0])", medium, 0},
		}},
		{"fail/tokenreviews-request.yaml", []auditWant{
			{"tokenreviews: create by any user are logged at level Request (rules[0]): the audit log holds the token under review", medium, 0},
		}},
		{"fail/service-account-token-response.yaml", []auditWant{
			{"serviceaccounts/token: create by any user are logged at level RequestResponse (rules[0])", medium, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			data := readFixture(t, filepath.Join("testdata", "audit", tt.fixture))
			h := auditHost(data, "--audit-policy-file="+auditTestPolicy, "--audit-log-path=/var/log/audit.log")
			fs := beyondRun(t, h, "apiserver/audit-policy-coverage")
			if len(fs) != len(tt.want) {
				var got []string
				for _, f := range fs {
					got = append(got, f.Message)
				}
				t.Fatalf("got %d findings %q, want %d", len(fs), got, len(tt.want))
			}
			doc := parseYAMLDoc(data)
			for _, w := range tt.want {
				i := slices.IndexFunc(fs, func(f finding.Finding) bool { return strings.HasPrefix(f.Message, w.message) })
				if i < 0 {
					t.Errorf("no finding says %q", w.message)
					continue
				}
				f := fs[i]
				wantLine, wantPath := 0, ""
				if w.rule >= 0 {
					wantPath = "rules[" + itoa(w.rule) + "]"
					wantLine = doc.line(wantPath)
				}
				if f.Severity != w.severity || f.Path != wantPath || f.Source.File != auditTestPolicy || f.Source.Line != wantLine {
					t.Errorf("%q: %s at %s (%s), want %s at line %d (%s)", f.Message, f.Severity, f.Source, f.Path, w.severity, wantLine, wantPath)
				}
			}
		})
	}
}

// TestMoatAuditPolicy checks that the policy `moat audit policy` recommends passes
// both audit rules.
func TestMoatAuditPolicy(t *testing.T) {
	h := auditHost(audit.Policy, "--audit-policy-file="+auditTestPolicy, "--audit-webhook-config-file=/etc/kubernetes/audit/webhook.conf")
	if fs := beyondRun(t, h, "apiserver/audit-policy", "apiserver/audit-policy-coverage"); len(fs) != 0 {
		t.Fatalf("Moat's own policy fails: %+v", fs)
	}
}

// TestAuditEvaluatorMatchesRuleIndex checks that the deciding rule found through the
// evaluator is the first rule that matches, across the matching fields.
func TestAuditEvaluatorMatchesRuleIndex(t *testing.T) {
	p, prob := readAuditPolicy("/p.yaml", []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  users: [alice]
- level: Request
  userGroups: [admins]
  namespaces: [prod]
- level: RequestResponse
  verbs: [delete]
  resources: [{group: apps, resources: ["*/scale"]}]
- level: Metadata
  resources: [{group: "", resources: ["pods/exec"]}]
`))
	if prob != nil {
		t.Fatal(prob.Message)
	}
	eval := p.evaluator()
	tests := []struct {
		name  string
		req   auditRequest
		level string
		rule  int
	}{
		{"named user", auditRequest{user: "alice", verb: "get", resource: "secrets"}, "None", 0},
		{"group in namespace", auditRequest{user: "bob", groups: []string{"admins"}, verb: "get", namespace: "prod", resource: "secrets"}, "Request", 1},
		{"group elsewhere", auditRequest{user: "bob", groups: []string{"admins"}, verb: "get", namespace: "dev", resource: "secrets"}, "None", -1},
		{"any resource's subresource", auditRequest{user: "bob", verb: "delete", group: "apps", resource: "deployments", subresource: "scale"}, "RequestResponse", 2},
		{"subresource named", auditRequest{user: "bob", verb: "create", resource: "pods", subresource: "exec"}, "Metadata", 3},
		{"the resource without the subresource", auditRequest{user: "bob", verb: "create", resource: "pods"}, "None", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level, rule := eval(tt.req)
			if string(level) != tt.level || rule != tt.rule {
				t.Errorf("got %s by rules[%d], want %s by rules[%d]", level, rule, tt.level, tt.rule)
			}
		})
	}
}

// FuzzAuditPolicy feeds the policy reader and evaluator arbitrary files: they must
// never panic, and findings of a policy that loads point at one of its rules or none.
func FuzzAuditPolicy(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "audit", "*", "*.yaml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(audit.Policy)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, prob := readAuditPolicy("/p.yaml", data)
		if (p == nil) == (prob == nil) {
			t.Fatalf("want a policy or a problem, got %v and %v", p, prob)
		}
		if p == nil {
			return
		}
		for _, r := range p.coverage() {
			if r.Path != "" && !strings.HasPrefix(r.Path, "rules[") {
				t.Fatalf("path %q", r.Path)
			}
		}
	})
}
