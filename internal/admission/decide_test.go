package admission

import (
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/rule"
)

const privileged = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"agent","namespace":"ops"%s},
 "spec":{"selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"a"}},
 "spec":{"containers":[{"name":"agent","image":"busybox:1.36","securityContext":{"privileged":true}}]}}}}`

func request(op admissionv1.Operation, object, user string) *admissionv1.AdmissionRequest {
	dry := true
	return &admissionv1.AdmissionRequest{UID: "u1", Operation: op, Namespace: "ops", DryRun: &dry,
		UserInfo: authenticationv1.UserInfo{Username: user}, Object: runtime.RawExtension{Raw: []byte(object)}}
}

func reviewer(t *testing.T, yaml string) *Reviewer {
	t.Helper()
	cfg, err := exceptions.Parse([]byte(yaml), ".moat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReviewer(rule.All(), cfg, "latest", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDecide(t *testing.T) {
	r := reviewer(t, `
exceptions:
  - rules: [pod/privileged-container]
    namespaces: [ops]
    names: [node-agent]
    reason: the node agent needs it, TICKET-7
admission:
  exempt: {users: [breakglass]}
`)
	cases := []struct {
		name    string
		req     *admissionv1.AdmissionRequest
		allowed bool
		code    int32
		has     string
	}{
		{"a privileged Deployment is denied (dry run alike)", request(admissionv1.Create, strings.Replace(privileged, "%s", "", 1), "alice"), false, 403, "[pod/privileged-container]"},
		{"on update too", request(admissionv1.Update, strings.Replace(privileged, "%s", "", 1), "alice"), false, 403, "spec.template.spec.containers[0].securityContext.privileged"},
		{"a delete is not reviewed", request(admissionv1.Delete, "", "alice"), true, 0, ""},
		{"an exempt user", request(admissionv1.Create, strings.Replace(privileged, "%s", "", 1), "breakglass"), true, 0, ""},
		{"an exception of the config", request(admissionv1.Create, strings.Replace(strings.Replace(privileged, "%s", "", 1), `"agent","namespace"`, `"node-agent","namespace"`, 1), "alice"), true, 0, ""},
		{"an ignore annotation with a reason does not exempt the object at admission", request(admissionv1.Create, strings.Replace(privileged, "%s", `,"annotations":{"moat.dev/ignore":"pod/*","moat.dev/ignore-reason":"lab cluster"}`, 1), "alice"), false, 403, "[pod/privileged-container]"},
		{"an ignore annotation without a reason suppresses nothing", request(admissionv1.Create, strings.Replace(privileged, "%s", `,"annotations":{"moat.dev/ignore":"pod/*"}`, 1), "alice"), false, 403, "[pod/privileged-container]"},
		{"an object that does not decode", request(admissionv1.Create, `{"apiVersion":"v1","kind":"Pod","spec":{"containers":7}}`, "alice"), false, 400, "decode the object under review: Pod"},
		{"a create without object", request(admissionv1.Create, "", "alice"), false, 400, "no object"},
		{"a subresource other than ephemeral containers", func() *admissionv1.AdmissionRequest {
			q := request(admissionv1.Update, strings.Replace(privileged, "%s", "", 1), "alice")
			q.SubResource = "status"
			return q
		}(), true, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := r.Decide(c.req)
			resp := d.Response
			if resp.UID != c.req.UID {
				t.Errorf("uid %q", resp.UID)
			}
			if resp.Allowed != c.allowed {
				t.Fatalf("allowed %v, want %v: %+v", resp.Allowed, c.allowed, resp.Result)
			}
			if !c.allowed && (resp.Result == nil || resp.Result.Code != c.code || !strings.Contains(resp.Result.Message, c.has)) {
				t.Errorf("result %+v, want code %d with %q", resp.Result, c.code, c.has)
			}
		})
	}
	if d := r.Decide(nil); d.Response.Allowed || d.Response.Result.Code != 400 {
		t.Errorf("nil request: %+v", d.Response)
	}
}

func TestWarningsAndAuditAnnotations(t *testing.T) {
	r := reviewer(t, "admission:\n  rules:\n    image/latest-tag: warn\n    pod/liveness-probe-missing: audit\n")
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},"spec":{"containers":[{"name":"web","image":"nginx:latest"}]}}`
	d := r.Decide(request(admissionv1.Create, pod, "alice"))
	if !d.Response.Allowed {
		t.Fatalf("denied: %s", d.Response.Result.Message)
	}
	found := false
	for _, w := range d.Response.Warnings {
		found = found || strings.HasPrefix(w, "[image/latest-tag] ")
	}
	if !found {
		t.Errorf("no warning for image/latest-tag in %q", d.Response.Warnings)
	}
	var audited []map[string]string
	if err := json.Unmarshal([]byte(d.Response.AuditAnnotations["findings"]), &audited); err != nil {
		t.Fatalf("audit annotation: %v", err)
	}
	found = false
	for _, a := range audited {
		found = found || a["rule"] == "pod/liveness-probe-missing"
	}
	if !found {
		t.Errorf("pod/liveness-probe-missing not audited: %v", audited)
	}
}
