// Rules of the kube-apiserver's audit logging (--audit-log-path alone is
// apiserver/audit-log-path, CIS 1.2.16):
//
//   - apiserver/audit-policy (CIS 3.2.1): --audit-policy-file names a policy the API
//     server accepts, and events have somewhere to go (--audit-log-path or
//     --audit-webhook-config-file). Without a policy the API server records nothing,
//     whatever backend is set. The policy is read the way the API server reads it:
//     audit.k8s.io/v1 only, decoded strictly, and when only the strict decoding fails
//     (an unknown or duplicate field), again leniently, the API server then running
//     with the rest; that case is reported (low), as an ignored field is often a typo
//     that widens a rule.
//   - apiserver/audit-policy-coverage (CIS 3.2.2): the policy records what an attack
//     on credentials leaves behind, and does not write credentials into the log. The
//     policy is evaluated by the API server's own evaluator
//     (k8s.io/apiserver/pkg/audit/policy: the first rule that matches decides, and
//     what no rule matches is not recorded) on requests chosen to cover every case the
//     policy can tell apart:
//     requests of an ordinary user (a name and groups no rule names, in "default" and
//     "kube-system") must be recorded at Metadata or above for get, list, watch,
//     create, update, patch, delete and deletecollection of secrets and configmaps,
//     create of tokenreviews, and create and get (the websocket form) of pods/exec,
//     pods/attach and pods/portforward; and for every user and group the policy names,
//     and every namespace it names, Secrets must not be logged with their data (Request
//     on create, update or patch; RequestResponse on any verb), TokenReviews not at
//     Request or above (the request holds the token) and serviceaccounts/token not at
//     RequestResponse (the response holds the token). A user in several groups matches
//     the first rule that one of its groups matches, so one group at a time covers
//     every combination. Credentials written to the log are reported at medium: the
//     log usually travels further than etcd's data.
package node

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/apis/audit"
	auditinstall "k8s.io/apiserver/pkg/apis/audit/install"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	auditvalidation "k8s.io/apiserver/pkg/apis/audit/validation"
	auditpolicy "k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

const auditPolicyFlag = "audit-policy-file"

// The API server's two decoders of audit policies: strict first, lenient when only
// strictness failed.
var (
	auditScheme                             = runtime.NewScheme()
	auditStrictDecoder, auditLenientDecoder runtime.Decoder
)

func init() {
	auditinstall.Install(auditScheme)
	auditStrictDecoder = serializer.NewCodecFactory(auditScheme, serializer.EnableStrict).UniversalDecoder()
	auditLenientDecoder = serializer.NewCodecFactory(auditScheme).UniversalDecoder(auditv1.SchemeGroupVersion)

	rule.Register(
		componentRule(APIServer, rule.Meta{
			ID:       "apiserver/audit-policy",
			Title:    "API server has no audit policy or no audit backend",
			Severity: finding.Medium,
			Description: `The API server records audit events only with --audit-policy-file: the policy says
which requests are recorded and how much of them. Without it nothing is recorded,
whatever --audit-log-path says; with a policy but neither --audit-log-path nor
--audit-webhook-config-file, the events go nowhere. A policy file the API server
cannot read stops it at its next start. Without an audit trail a compromise of the
cluster cannot be investigated, and Moat's audit detections have nothing to read.
CIS Kubernetes Benchmark 3.2.1; NSA/CISA Kubernetes Hardening Guide (audit logging);
MITRE ATT&CK T1562.008 (disable cloud logs).`,
			Remediation: "Give the API server a policy with --audit-policy-file (`moat audit policy` prints one) and a backend: --audit-log-path with rotation, or --audit-webhook-config-file (a kubeconfig naming the receiver, such as `moat serve audit`).",
			Frameworks:  finding.Frameworks{CIS: "3.2.1", NSA: nsaLogging, MITRE: mitreImpairLogs},
		}, checkAuditPolicy),
		componentRule(APIServer, rule.Meta{
			ID:       "apiserver/audit-policy-coverage",
			Title:    "Audit policy misses credential access or logs credentials",
			Severity: finding.Low,
			Description: `An audit policy should record, at Metadata level at least, who reads and writes
Secrets and ConfigMaps, who reviews tokens, and who opens exec, attach and
port-forward sessions into pods: that is the trail of credential theft and of lateral
movement. It must not record Secrets at Request or RequestResponse level, nor
TokenReviews at Request level or above, nor issued service account tokens at
RequestResponse: the log then holds the credentials, and logs travel further than
etcd (medium). The policy is evaluated with the API server's own evaluator, first
matching rule wins. CIS Kubernetes Benchmark 3.2.2.`,
			Remediation: "Add, before any rule that sets None for them, a rule recording secrets, configmaps and tokenreviews at Metadata level, and pods/exec, pods/attach and pods/portforward at Metadata or Request; never more than Metadata for secrets, tokenreviews and serviceaccounts/token (`moat audit policy` does all of this).",
			Frameworks:  finding.Frameworks{CIS: "3.2.2", NSA: nsaLogging, MITRE: mitreImpairLogs},
		}, checkAuditPolicyCoverage),
	)
}

// auditPolicy is an audit policy read from its file.
type auditPolicy struct {
	Path   string
	Policy *audit.Policy
	doc    yamlDoc
	// Ignored says which fields the API server ignores (it fell back to lenient
	// decoding); nil when there are none.
	Ignored *configProblem
}

// readAuditPolicy decodes an audit policy the way the API server does.
func readAuditPolicy(path string, data []byte) (*auditPolicy, *configProblem) {
	doc := parseYAMLDoc(data)
	p := &audit.Policy{}
	_, gvk, err := auditStrictDecoder.Decode(data, nil, p)
	var ignored *configProblem
	if err != nil {
		if !runtime.IsStrictDecodingError(err) {
			return nil, &configProblem{Message: path + ": " + decodeError(err, "audit.k8s.io/v1", "Policy"), Line: errorLine(err, doc)}
		}
		ignored = &configProblem{Message: fmt.Sprintf("%s: %v", path, err), Line: errorLine(err, doc)}
		p = &audit.Policy{}
		if _, gvk, err = auditLenientDecoder.Decode(data, nil, p); err != nil {
			return nil, &configProblem{Message: path + ": " + decodeError(err, "audit.k8s.io/v1", "Policy"), Line: errorLine(err, doc)}
		}
	}
	if gvk == nil || gvk.GroupVersion() != auditv1.SchemeGroupVersion || gvk.Kind != "Policy" {
		return nil, &configProblem{Message: fmt.Sprintf("%s: %s, want kind Policy of audit.k8s.io/v1 (the only version the API server reads)", path, gvk)}
	}
	if errs := auditvalidation.ValidatePolicy(p); len(errs) > 0 {
		return nil, validationProblem(path, errs, doc, (*field.Error).Error)
	}
	if len(p.Rules) == 0 {
		return nil, &configProblem{Message: path + ": the policy has no rules: the API server refuses it"}
	}
	return &auditPolicy{Path: path, Policy: p, doc: doc, Ignored: ignored}, nil
}

// auditPolicyOf is the API server's audit policy, or the result that says why there is
// none to check; both nil when --audit-policy-file is not set.
func auditPolicyOf(c *Component) (*auditPolicy, *rule.Result) {
	return flagConfig(c, auditPolicyFlag, readAuditPolicy)
}

// hasAuditBackend says whether audit events have somewhere to go.
func hasAuditBackend(c *Component) bool {
	for _, flag := range []string{"audit-log-path", "audit-webhook-config-file"} {
		if v, ok := c.Flags.Lookup(flag); ok && v != "" {
			return true
		}
	}
	return false
}

func checkAuditPolicy(c *Component) []rule.Result {
	const noBackend = "neither --audit-log-path nor --audit-webhook-config-file is set"
	if v, ok := c.Flags.Lookup(auditPolicyFlag); !ok || v == "" {
		msg := "--audit-policy-file is not set: the API server records no audit events"
		if !hasAuditBackend(c) {
			msg += " (and " + noBackend + ")"
		}
		return []rule.Result{{Message: msg, Path: "--" + auditPolicyFlag, Source: c.FlagSource(auditPolicyFlag)}}
	}
	var out []rule.Result
	p, res := auditPolicyOf(c)
	switch {
	case res != nil:
		out = append(out, *res)
	case p.Ignored != nil:
		out = append(out, rule.Result{
			Message:  p.Ignored.Message + "; the API server ignores these fields and runs the rest of the policy",
			Path:     "--" + auditPolicyFlag,
			Severity: severityOf(finding.Low),
			Source:   &finding.Source{File: p.Path, Line: p.Ignored.Line},
		})
	}
	if !hasAuditBackend(c) {
		out = append(out, rule.Result{Message: noBackend + ": audit events are written nowhere", Path: "--audit-log-path", Source: c.FlagSource("audit-log-path")})
	}
	return out
}

func checkAuditPolicyCoverage(c *Component) []rule.Result {
	p, _ := auditPolicyOf(c)
	if p == nil {
		return nil // apiserver/audit-policy says why
	}
	return p.coverage()
}

// auditMarker prefixes the stage that marks each rule in the evaluator's copy of a
// policy: the API server's evaluator returns the matching rule's omitStages but not
// its index, and the index is what points a finding at its line.
const auditMarker = "moat-rule-"

// auditEvaluator evaluates requests with the API server's own evaluator and says the
// level and the index of the deciding rule (-1: none matched, level None).
type auditEvaluator func(r auditRequest) (audit.Level, int)

func (p *auditPolicy) evaluator() auditEvaluator {
	marked := audit.Policy{Rules: make([]audit.PolicyRule, len(p.Policy.Rules))}
	for i, r := range p.Policy.Rules {
		r.OmitStages = []audit.Stage{audit.Stage(auditMarker + strconv.Itoa(i))}
		marked.Rules[i] = r
	}
	ev := auditpolicy.NewPolicyRuleEvaluator(&marked)
	return func(r auditRequest) (audit.Level, int) {
		cfg := ev.EvaluatePolicyRule(r.attributes())
		for _, s := range cfg.OmitStages {
			if i, ok := strings.CutPrefix(string(s), auditMarker); ok {
				n, err := strconv.Atoi(i)
				if err == nil {
					return cfg.Level, n
				}
			}
		}
		return cfg.Level, -1
	}
}

// auditRequest is a resource request the policy is evaluated on.
type auditRequest struct {
	user                         string
	groups                       []string
	verb, namespace              string
	group, resource, subresource string
}

func (r auditRequest) attributes() authorizer.Attributes {
	return authorizer.AttributesRecord{
		User:            &user.DefaultInfo{Name: r.user, Groups: r.groups},
		Verb:            r.verb,
		Namespace:       r.namespace,
		APIGroup:        r.group,
		Resource:        r.resource,
		Subresource:     r.subresource,
		ResourceRequest: true,
	}
}

// auditTarget is a kind of request the coverage checks ask about.
type auditTarget struct {
	name                         string // "secrets", "pods/exec"
	group, resource, subresource string
	namespaced                   bool
	verbs                        []string
}

var (
	readWriteVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	// sessionVerbs are the verbs of exec, attach and port-forward: create (POST, SPDY)
	// and get (the websocket upgrade).
	sessionVerbs = []string{"create", "get"}
)

// recordedTargets must be recorded at Metadata or above for an ordinary user.
var recordedTargets = []auditTarget{
	{"secrets", "", "secrets", "", true, readWriteVerbs},
	{"configmaps", "", "configmaps", "", true, readWriteVerbs},
	{"tokenreviews", "authentication.k8s.io", "tokenreviews", "", false, []string{"create"}},
	{"pods/exec", "", "pods", "exec", true, sessionVerbs},
	{"pods/attach", "", "pods", "attach", true, sessionVerbs},
	{"pods/portforward", "", "pods", "portforward", true, sessionVerbs},
}

// credentialTarget is a request whose log entry would hold a credential at some
// levels.
type credentialTarget struct {
	auditTarget
	leaks func(l audit.Level, verb string) bool
	what  string
}

var credentialTargets = []credentialTarget{
	{auditTarget{"secrets", "", "secrets", "", true, readWriteVerbs}, func(l audit.Level, verb string) bool {
		return l == audit.LevelRequestResponse || (l == audit.LevelRequest && slices.Contains([]string{"create", "update", "patch"}, verb))
	}, "the Secret's data"},
	{auditTarget{"tokenreviews", "authentication.k8s.io", "tokenreviews", "", false, []string{"create"}}, func(l audit.Level, _ string) bool {
		return l.GreaterOrEqual(audit.LevelRequest)
	}, "the token under review"},
	{auditTarget{"serviceaccounts/token", "", "serviceaccounts", "token", true, []string{"create"}}, func(l audit.Level, _ string) bool {
		return l == audit.LevelRequestResponse
	}, "the token issued"},
}

// principal is a user the policy is evaluated for, and how messages name it.
type principal struct {
	user   string
	groups []string
	desc   string
}

// ordinaryUser is a user name no rule of the policy names.
func (p *auditPolicy) ordinaryUser() string {
	name := "moat:ordinary-user"
	for p.namesUser(name) {
		name += "-"
	}
	return name
}

func (p *auditPolicy) namesUser(name string) bool {
	for _, r := range p.Policy.Rules {
		if slices.Contains(r.Users, name) {
			return true
		}
	}
	return false
}

// principals are an ordinary user, every user the policy names and a member of every
// group it names.
func (p *auditPolicy) principals() []principal {
	ordinary := p.ordinaryUser()
	out := []principal{{ordinary, []string{user.AllAuthenticated}, "any user"}}
	var users, groups []string
	for _, r := range p.Policy.Rules {
		users = append(users, r.Users...)
		groups = append(groups, r.UserGroups...)
	}
	slices.Sort(users)
	slices.Sort(groups)
	for _, u := range slices.Compact(users) {
		out = append(out, principal{u, []string{user.AllAuthenticated}, "user " + u})
	}
	for _, g := range slices.Compact(groups) {
		out = append(out, principal{ordinary, []string{g, user.AllAuthenticated}, "group " + g})
	}
	return out
}

// namespaces are the namespaces requests are evaluated in: two ordinary ones, every
// one the policy names, and "" (cluster-wide lists and watches) when all is true.
func (p *auditPolicy) namespaces(all bool) []string {
	out := []string{"default", "kube-system"}
	if all {
		for _, r := range p.Policy.Rules {
			out = append(out, r.Namespaces...)
		}
		out = append(out, "")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// auditGap gathers the requests of one kind one rule decides the same way, for one
// result.
type auditGap struct {
	target string
	rule   int
	level  audit.Level
	verbs  []string
	who    []string
	where  []string
	leak   string
}

func addUnique(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// coverage evaluates the policy and says what it misses and what it leaks.
func (p *auditPolicy) coverage() []rule.Result {
	eval := p.evaluator()
	var gaps []*auditGap
	gapFor := func(target string, idx int, level audit.Level, leak string) *auditGap {
		for _, g := range gaps {
			if g.target == target && g.rule == idx && g.leak == leak {
				return g
			}
		}
		g := &auditGap{target: target, rule: idx, level: level, leak: leak}
		gaps = append(gaps, g)
		return g
	}
	ordinary := p.principals()[0]
	for _, t := range recordedTargets {
		for _, ns := range t.namespacesIn(p, false) {
			for _, verb := range t.verbs {
				level, idx := eval(t.request(ordinary, verb, ns))
				if level == audit.LevelNone {
					g := gapFor(t.name, idx, level, "")
					g.verbs, g.where = addUnique(g.verbs, verb), addUnique(g.where, ns)
				}
			}
		}
	}
	for _, t := range credentialTargets {
		for _, who := range p.principals() {
			for _, ns := range t.namespacesIn(p, true) {
				for _, verb := range t.verbs {
					level, idx := eval(t.request(who, verb, ns))
					if t.leaks(level, verb) {
						g := gapFor(t.name, idx, level, t.what)
						g.verbs, g.who = addUnique(g.verbs, verb), addUnique(g.who, who.desc)
					}
				}
			}
		}
	}
	out := make([]rule.Result, 0, len(gaps))
	for _, g := range gaps {
		out = append(out, p.gapResult(g))
	}
	return out
}

// namespacesIn are the namespaces a target's requests are evaluated in ("" alone for
// a cluster-scoped resource).
func (t auditTarget) namespacesIn(p *auditPolicy, all bool) []string {
	if !t.namespaced {
		return []string{""}
	}
	return p.namespaces(all)
}

func (t auditTarget) request(who principal, verb, ns string) auditRequest {
	return auditRequest{user: who.user, groups: who.groups, verb: verb, namespace: ns, group: t.group, resource: t.resource, subresource: t.subresource}
}

// gapResult says what a gap is, pointing at the rule that decides it.
func (p *auditPolicy) gapResult(g *auditGap) rule.Result {
	decided := "no rule matches them, and what no rule matches is not recorded"
	path := ""
	src := &finding.Source{File: p.Path}
	if g.rule >= 0 {
		path = fmt.Sprintf("rules[%d]", g.rule)
		decided = fmt.Sprintf("%s sets level %s", path, g.level)
		src.Line = p.doc.line(path)
	}
	if g.leak != "" {
		return rule.Result{
			Message:  fmt.Sprintf("%s: %s by %s are logged at level %s (%s): the audit log holds %s", g.target, strings.Join(g.verbs, ", "), strings.Join(g.who, ", "), g.level, path, g.leak),
			Path:     path,
			Severity: severityOf(finding.Medium),
			Source:   src,
		}
	}
	in := ""
	if len(g.where) == 1 && g.where[0] != "" {
		in = " in namespace " + g.where[0]
	}
	return rule.Result{
		Message: fmt.Sprintf("%s: %s by an ordinary user%s are not recorded (%s)", g.target, strings.Join(g.verbs, ", "), in, decided),
		Path:    path,
		Source:  src,
	}
}
