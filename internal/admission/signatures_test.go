package admission

import (
	"context"
	"errors"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/finding"
)

// fakeChecker finds every image whose reference contains "unsigned" unsigned, and
// records what it was asked.
type fakeChecker struct {
	asked    [][]ContainerImage
	warnings []string
	err      error
}

func (c *fakeChecker) CheckSignatures(_ context.Context, object finding.Resource, images []ContainerImage) SignatureReport {
	c.asked = append(c.asked, images)
	rep := SignatureReport{Warnings: c.warnings, Err: c.err}
	for _, im := range images {
		if strings.Contains(im.Image, "unsigned") {
			rep.Findings = append(rep.Findings, finding.Finding{RuleID: "image/signature-missing", Severity: finding.High,
				Message: "no signature of " + im.Image, Resource: object, Path: im.Path})
		}
	}
	return rep
}

const signedPod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"ops"},
 "spec":{"containers":[{"name":"app","image":"%s"}]}}`

func TestSignatureChecker(t *testing.T) {
	const onlySignatures = `
admission:
  severities: {critical: audit, high: audit, medium: audit, low: audit, info: audit}
  rules: {image/signature-missing: enforce}
`
	pod := func(image string) string { return strings.Replace(signedPod, "%s", image, 1) }
	update := func(old, new string) *admissionv1.AdmissionRequest {
		req := request(admissionv1.Update, pod(new), "alice")
		req.OldObject = runtime.RawExtension{Raw: []byte(pod(old))}
		return req
	}
	cases := []struct {
		name    string
		config  string
		checker fakeChecker
		req     *admissionv1.AdmissionRequest
		allowed bool
		code    int32
		has     string // in the message, or in a warning when allowed
		asked   int    // images the checker was asked about
	}{
		{name: "signed", config: onlySignatures, req: request(admissionv1.Create, pod("r.example/app:signed"), "alice"), allowed: true, asked: 1},
		{name: "unsigned is denied", config: onlySignatures, req: request(admissionv1.Create, pod("r.example/app:unsigned"), "alice"),
			code: 403, has: "[image/signature-missing] no signature of r.example/app:unsigned (spec.containers[0].image)", asked: 1},
		{name: "an exception suppresses the finding", config: onlySignatures + `
exceptions:
  - rules: [image/signature-missing]
    namespaces: [ops]
    reason: legacy images, TICKET-9
`, req: request(admissionv1.Create, pod("r.example/app:unsigned"), "alice"), allowed: true, asked: 1},
		{name: "the rule's mode applies", config: `
admission:
  severities: {critical: audit, high: audit, medium: audit, low: audit, info: audit}
  rules: {image/signature-missing: warn}
`, req: request(admissionv1.Create, pod("r.example/app:unsigned"), "alice"), allowed: true, has: "[image/signature-missing]", asked: 1},
		{name: "a check that failed refuses the request", config: onlySignatures, checker: fakeChecker{err: errors.New("registry r.example: connection refused")},
			req: request(admissionv1.Create, pod("r.example/app:signed"), "alice"), code: 500, has: "connection refused", asked: 1},
		{name: "the checker's warnings are passed on", config: onlySignatures, checker: fakeChecker{warnings: []string{"moat: could not be checked; admitted"}},
			req: request(admissionv1.Create, pod("r.example/app:signed"), "alice"), allowed: true, has: "admitted", asked: 1},
		{name: "an update that keeps the images checks nothing", config: onlySignatures, checker: fakeChecker{err: errors.New("registry down")},
			req: update("r.example/app:unsigned", "r.example/app:unsigned"), allowed: true},
		{name: "an update that changes the image checks the new one", config: onlySignatures,
			req: update("r.example/app:signed", "r.example/app:unsigned"), code: 403, has: "signature-missing", asked: 1},
		{name: "not a workload", config: onlySignatures, req: request(admissionv1.Create, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ops"}}`, "alice"), allowed: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reviewer(t, c.config)
			checker := c.checker
			r.SetSignatureChecker(&checker)
			d := r.Decide(c.req)
			if d.Response.Allowed != c.allowed {
				t.Fatalf("allowed %v, want %v: %+v", d.Response.Allowed, c.allowed, d.Response.Result)
			}
			if !c.allowed && d.Response.Result.Code != c.code {
				t.Errorf("code %d, want %d: %s", d.Response.Result.Code, c.code, d.Response.Result.Message)
			}
			text := strings.Join(d.Response.Warnings, "\n")
			if d.Response.Result != nil {
				text += d.Response.Result.Message
			}
			if !strings.Contains(text, c.has) {
				t.Errorf("response %q, want it to say %q", text, c.has)
			}
			n := 0
			for _, a := range checker.asked {
				n += len(a)
			}
			if n != c.asked {
				t.Errorf("the checker was asked about %d images (%v), want %d", n, checker.asked, c.asked)
			}
		})
	}
}

func TestSignatureSettings(t *testing.T) {
	s, err := parse(t, `
admission:
  imageSignatures: {failurePolicy: Allow, timeout: 1500ms, cacheTTL: 5m}
`)
	if err != nil {
		t.Fatal(err)
	}
	if want := (SignatureSettings{AllowOnError: true, Timeout: 1500e6, CacheTTL: 300e9}); s.ImageSignatures != want {
		t.Errorf("settings %+v, want %+v", s.ImageSignatures, want)
	}
	if d := DefaultSettings().ImageSignatures; d.AllowOnError || d.Timeout != DefaultSignatureTimeout || d.CacheTTL != DefaultSignatureCacheTTL {
		t.Errorf("defaults %+v", d)
	}
	for _, c := range []struct{ yaml, want string }{
		{"admission:\n  imageSignatures: {failurePolicy: Ignore}\n", `.moat.yaml:2: admission.imageSignatures.failurePolicy: unknown failure policy "Ignore"`},
		{"admission:\n  imageSignatures:\n    timeout: soon\n", `.moat.yaml:3: admission.imageSignatures.timeout: "soon" is not a duration`},
		{"admission:\n  imageSignatures:\n    cacheTTL: -1m\n", `.moat.yaml:3: admission.imageSignatures.cacheTTL: -1m0s is out of range`},
		{"admission:\n  imageSignatures:\n    retries: 3\n", `.moat.yaml:3: admission.imageSignatures: unknown field "retries"`},
	} {
		_, err := parse(t, c.yaml)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.yaml, err, c.want)
		}
	}
}
