package detect

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/moat-dev/moat/internal/audit"
)

// TestEveryRuleSaysWhatARefusalRaises: an attacker's refused attempt is a signal too. Every
// rule of the default pack says, in `refused`, which rule alerts when the action it alerts
// on is refused (by), that it alerts on refusals itself (self), or why a refusal raises
// nothing (none). A counterpart named by `by` alerts on refusals only, at a lower severity
// than each rule it stands for, and it does alert on the refused forms of that rule's
// fixture events, which the rule itself leaves alone.
func TestEveryRuleSaysWhatARefusalRaises(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Rule{}
	for _, r := range s.Rules {
		byID[r.ID] = r
	}
	counterparts := map[*Rule]bool{}
	covered, self, none := 0, 0, 0
	for _, r := range s.Rules {
		slug := strings.TrimPrefix(r.ID, "audit/")
		f := r.Refused
		switch {
		case f == nil:
			t.Errorf("%s: no refused: name the rule that alerts on a refused attempt (by), say self: true, or say why none", r.ID)
		case f.None != "":
			none++
			if len(f.None) < 30 {
				t.Errorf("%s: refused: none %q does not say why", r.ID, f.None)
			}
		case f.Self:
			self++
			alert, _ := loadFixture(t, slug)
			n := 0
			for _, ev := range alert {
				if isRefused(ev) {
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s: refused: self, but no alert event of its fixture is a refused request", r.ID)
			}
		default:
			covered++
			x := byID[f.By]
			if x == nil {
				t.Errorf("%s: refused: by %s, which is not in the pack", r.ID, f.By)
				continue
			}
			counterparts[x] = true
			if x.Refused == nil || !x.Refused.Self {
				t.Errorf("%s: refused: by %s, which does not say refused: {self: true}", r.ID, x.ID)
			}
			if x.Severity >= r.Severity {
				t.Errorf("%s (%s): its refused counterpart %s is %s, want lower", r.ID, r.Severity, x.ID, x.Severity)
			}
			if r.rate != nil {
				continue
			}
			alert, _ := loadFixture(t, slug)
			for i, ev := range alert {
				forms := refusedForms(ev)
				raised := false
				for _, form := range forms {
					if fires(t, r, form.ev) {
						t.Errorf("%s alert event %d refused (%s): %s still alerts", r.ID, i, form.name, r.ID)
					}
					raised = raised || fires(t, x, form.ev)
				}
				if !raised {
					names := make([]string, len(forms))
					for j, form := range forms {
						names[j] = form.name
					}
					t.Errorf("%s alert event %d (%s %s): %s raises nothing on it refused (%s)", r.ID, i, ev.Verb, ev.RequestURI, x.ID, strings.Join(names, ", "))
				}
			}
		}
	}
	// A counterpart alerts on refusals only: each of its alert events is refused, and the
	// same request admitted does not raise it.
	for x := range counterparts {
		alert, _ := loadFixture(t, strings.TrimPrefix(x.ID, "audit/"))
		for i, ev := range alert {
			if !isRefused(ev) {
				t.Errorf("counterpart %s: alert event %d has code %d, not a refusal", x.ID, i, code(ev))
				continue
			}
			if ok := admitted(ev); fires(t, x, ok) {
				t.Errorf("counterpart %s: alert event %d admitted (code %d) still raises it", x.ID, i, code(ok))
			}
		}
	}
	t.Logf("%d rules: %d with a refused counterpart, %d alerting on refusals, %d saying why not", len(s.Rules), covered, self, none)
}

func isRefused(ev *audit.Event) bool { return code(ev) == 403 || code(ev) == 422 }

func code(ev *audit.Event) int32 {
	if ev.ResponseStatus == nil {
		return 0
	}
	return ev.ResponseStatus.Code
}

// fires evaluates one rule (never a rate rule) over one event.
func fires(t *testing.T, r *Rule, ev *audit.Event) bool {
	t.Helper()
	e := NewEngine(&Set{Rules: []*Rule{r}}, 0)
	n := 0
	e.Eval(ev, func(audit.Alert) { n++ })
	checkRuntime(t, e)
	return n > 0
}

type form struct {
	name string
	ev   *audit.Event
}

// refusedForms are the events the API server writes when it refuses the request of ev:
// refused by authorization (403; the body was never read, so no request object), by
// admission (403, with the request object), by validation (422, with it), and, for an
// impersonated request, the impersonation itself refused (recorded under the requester's
// name, without the impersonated user, one form per user or group it asked for: the first
// one refused is named in the message). None starts a response: the stage is
// ResponseComplete.
func refusedForms(ev *audit.Event) []form {
	refuse := func(code int32, reason, msg string, body bool) *audit.Event {
		c := *ev
		c.Stage = auditv1.StageResponseComplete
		c.ResponseStatus = &metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: metav1.StatusReason(reason), Message: msg}
		c.ResponseObject = nil
		if !body {
			c.RequestObject = nil
		}
		return &c
	}
	what := ""
	if r := ev.ObjectRef; r != nil {
		what = fmt.Sprintf("%s %q", r.Resource, r.Name)
	}
	authz := refuse(403, "Forbidden", what+" is forbidden: User cannot "+ev.Verb, false)
	authz.Annotations = map[string]string{"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}
	forms := []form{
		{"authorization 403", authz},
		{"admission 403", refuse(403, "Forbidden", what+" is forbidden: denied by admission", true)},
		{"validation 422", refuse(422, "Invalid", what+" is invalid", true)},
	}
	if imp := ev.ImpersonatedUser; imp != nil {
		asked := [][2]string{{"users", imp.Username}}
		for _, g := range imp.Groups {
			asked = append(asked, [2]string{"groups", g})
		}
		for _, a := range asked {
			msg := fmt.Sprintf(`%s %q is forbidden: User %q cannot impersonate resource %q in API group "" at the cluster scope`, a[0], a[1], ev.User.Username, a[0])
			c := refuse(403, "Forbidden", msg, false)
			c.ImpersonatedUser = nil
			forms = append(forms, form{"impersonation of " + a[0] + " " + a[1] + " 403", c})
		}
	}
	return forms
}

// admitted is the refused event ev with the request admitted.
func admitted(ev *audit.Event) *audit.Event {
	c := *ev
	code := int32(200)
	if ev.Verb == "create" {
		code = 201
	}
	c.ResponseStatus = &metav1.Status{Code: code}
	c.Annotations = map[string]string{"authorization.k8s.io/decision": "allow"}
	return &c
}

// TestCSRSubject decodes spec.request as the audit event holds it, and errors on anything
// else without a panic.
func TestCSRSubject(t *testing.T) {
	alert, _ := loadFixture(t, "csr-system-masters")
	req := func(ev *audit.Event) string {
		m := decodeObject(ev.RequestObject.Raw)
		return m["spec"].(map[string]any)["request"].(string)
	}
	cn, orgs, err := csrSubject(req(alert[1]))
	if err != nil || cn != "mallory" || strings.Join(orgs, ",") != "developers,system:masters" {
		t.Errorf("csrSubject = %q, %q, %v", cn, orgs, err)
	}
	good := req(alert[0])
	pemText := strings.Replace(mustB64(t, good), "CERTIFICATE REQUEST", "CERTIFICATE", -1)
	for name, in := range map[string]string{
		"empty":           "",
		"not base64":      "LS0tLS1CRUdJTi...",
		"no PEM":          b64("hello"),
		"other PEM type":  b64(pemText),
		"truncated DER":   b64(strings.Replace(mustB64(t, good), "MIHi", "MIIE", 1)),
		"over the limit":  strings.Repeat("A", maxCSRRequest+4),
		"PEM of garbage":  b64("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
		"base64 of bytes": b64("\x00\xff\x10"),
	} {
		if cn, orgs, err := csrSubject(in); err == nil {
			t.Errorf("%s: csrSubject = %q, %q, want an error", name, cn, orgs)
		}
	}
	// In a condition, junk makes the rule fail at run time (counted, never an alert).
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var rule *Rule
	for _, r := range s.Rules {
		if r.ID == "audit/csr-system-masters" {
			rule = r
		}
	}
	ev := &audit.Event{Verb: "create", Stage: "ResponseComplete", User: authnv1.UserInfo{Username: "eve"},
		ObjectRef:      &auditv1.ObjectReference{Resource: "certificatesigningrequests", Name: "x", APIGroup: "certificates.k8s.io"},
		ResponseStatus: &metav1.Status{Code: 201},
		RequestObject:  &runtime.Unknown{Raw: []byte(`{"kind":"CertificateSigningRequest","spec":{"signerName":"kubernetes.io/kube-apiserver-client","request":"LS0tLS1CRUdJTi..."}}`)},
	}
	e := NewEngine(&Set{Rules: []*Rule{rule}}, 0)
	e.Eval(ev, func(a audit.Alert) { t.Errorf("alert on a junk request: %s", a.Message) })
	if got := e.RuntimeErrors()["audit/csr-system-masters"]; got != 1 {
		t.Errorf("%d run-time errors on a junk request, want 1", got)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func mustB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCodeTableAgreesWithCondition: skipping a rule by its table of response codes never
// changes an answer. Every rule runs over every fixture event under a range of codes, with
// the engine (which consults the table) and with the condition alone.
func TestCodeTableAgreesWithCondition(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tables := 0
	for _, r := range s.Rules {
		if r.prog.codes != nil {
			tables++
		}
	}
	// every rule of the pack but a few reads the answer: succeeded, refused, forbidden
	if tables < len(s.Rules)-8 {
		t.Errorf("%d of %d rules have a table of codes", tables, len(s.Rules))
	}
	var evs []*audit.Event
	for _, r := range s.Rules {
		a, q := loadFixture(t, strings.TrimPrefix(r.ID, "audit/"))
		evs = append(append(evs, a...), q...)
	}
	codes := []int32{-1, 0, 101, 200, 201, 399, 400, 401, 403, 404, 409, 422, 429, 500, 599, 600, 1000}
	for _, r := range s.Rules {
		if r.rate != nil {
			continue
		}
		e := NewEngine(&Set{Rules: []*Rule{r}}, 0)
		for _, ev := range evs {
			if !r.guard(ev) {
				continue
			}
			for _, c := range codes {
				x := *ev
				x.ResponseStatus = &metav1.Status{Code: c}
				if c == -1 {
					x.ResponseStatus = nil
				}
				engine := false
				e.Eval(&x, func(audit.Alert) { engine = true })
				out, _, err := r.prog.prg.Eval(newVars(&x))
				alone := err == nil && out == types.True
				if engine != alone {
					t.Fatalf("%s on %s %s with code %d: engine %v, condition %v", r.ID, x.Verb, x.RequestURI, c, engine, alone)
				}
			}
		}
	}
}
