package admission

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/jsonenc"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

// MaxFindings bounds the findings of one reviewed object. Real objects have dozens; a
// pod of 60,000 containers had 600,000, and judging them took a gigabyte. Past it the
// object is refused as not judged (fail closed), and moat scan lists every finding.
const MaxFindings = 10000

// Reviewer decides admission requests. It is safe for concurrent use once built.
type Reviewer struct {
	eval     *scan.Evaluator
	settings *Settings
	cfg      *exceptions.Config
	now      func() time.Time
	// signatures checks the images of workloads against the signing policy; nil: none.
	signatures SignatureChecker
}

// ContainerImage is the image of one container of the object under review.
type ContainerImage struct {
	// Image is the reference as the pod spec writes it.
	Image string
	// Path is the field path of the image ("spec.template.spec.containers[0].image").
	Path string
}

// SignatureChecker checks the images of a workload under review against the config
// file's signing policy (images.signatures). It reaches registries, so it gets a
// deadline of its own within the review's.
type SignatureChecker interface {
	CheckSignatures(ctx context.Context, object finding.Resource, images []ContainerImage) SignatureReport
}

// SignatureReport is what a SignatureChecker found.
type SignatureReport struct {
	// Findings (image/signature-missing) are about the object; admission judges them as
	// any finding: exceptions, then the rule's mode.
	Findings []finding.Finding
	// Warnings name images whose signatures could not be checked and that were admitted
	// all the same (failure policy Allow).
	Warnings []string
	// Err says which images could not be checked when the failure policy is Deny: the
	// request is refused.
	Err error
}

// NewReviewer builds a Reviewer over the object checks of rules, through the same
// evaluation as moat scan. cfg may be nil; pssVersion is "latest" or "v1.N"; now is the
// clock that exception expiry dates are compared with.
func NewReviewer(rules []*rule.Rule, cfg *exceptions.Config, pssVersion string, now func() time.Time) (*Reviewer, error) {
	s, err := ParseSettings(cfg)
	if err != nil {
		return nil, err
	}
	return &Reviewer{
		eval:     scan.NewEvaluator(scan.Options{Rules: rules, Config: cfg, PSSVersion: pssVersion, Now: now, ObjectLimit: MaxFindings}),
		settings: s,
		cfg:      cfg,
		now:      now,
	}, nil
}

// SetSignatureChecker makes the reviewer check the images of pods and pod controllers
// with c. Call it before the reviewer is used.
func (r *Reviewer) SetSignatureChecker(c SignatureChecker) { r.signatures = c }

// Settings are the reviewer's admission settings.
func (r *Reviewer) Settings() *Settings { return r.settings }

// Evaluate gives the findings of one object exactly as moat scan would report them for
// it (object checks, then exceptions and, when inline is set, its ignore annotations),
// suppressed ones marked.
func (r *Reviewer) Evaluate(ctx context.Context, o *inventory.Object, inline bool) ([]finding.Finding, []error) {
	return r.eval.EvaluateObject(ctx, o, inline)
}

// Decision is the verdict on one request and the findings it rests on.
type Decision struct {
	Response *admissionv1.AdmissionResponse
	// Findings are the unsuppressed findings, each with its mode.
	Findings []Judged
	// Exempt says why the request was not evaluated; empty when it was.
	Exempt string
	// Ignore is what became of the object's moat.dev/ignore annotation: IgnoreHonoured,
	// IgnoreRefused, or "" when it carries none.
	Ignore string
}

// What became of an object's own moat.dev/ignore annotation at admission.
const (
	IgnoreHonoured = "honoured"
	IgnoreRefused  = "refused"
)

// Judged is a finding and what admission does with it. It points into the findings
// the decision rests on: a Finding is over 200 bytes, and copying each was most of
// what judging a review allocated.
type Judged struct {
	*finding.Finding
	Mode Mode
}

// Decide judges one admission request with no deadline of its own; see DecideContext.
func (r *Reviewer) Decide(req *admissionv1.AdmissionRequest) Decision {
	return r.DecideContext(context.Background(), req)
}

// DecideContext judges one admission request. It never panics on bad input: an object
// that does not decode is refused with code 400 (the API server has validated the
// object already, so that is a bug worth hearing about, not a silent admit). When ctx
// ends before every rule ran, or a rule fails, the request is refused with code 500:
// an unjudged object is not admitted.
//
// The object's own moat.dev/ignore annotation is honoured only where the settings allow
// it for the requester; either way the response says so in a warning and an audit
// annotation.
func (r *Reviewer) DecideContext(ctx context.Context, req *admissionv1.AdmissionRequest) Decision {
	if req == nil {
		return Decision{Response: Errored("", http.StatusBadRequest, fmt.Errorf("AdmissionReview has no request"))}
	}
	switch req.Operation {
	case admissionv1.Create, admissionv1.Update:
	default:
		return Decision{Response: Allowed(req.UID)}
	}
	if req.SubResource != "" && req.SubResource != "ephemeralcontainers" {
		return Decision{Response: Allowed(req.UID)}
	}
	if why, ok := r.settings.Exempt(req.Namespace, req.UserInfo.Username, req.UserInfo.Groups); ok {
		resp := Allowed(req.UID)
		resp.AuditAnnotations = map[string]string{"exempt": why}
		return Decision{Response: resp, Exempt: why}
	}
	if len(req.Object.Raw) == 0 {
		return Decision{Response: Errored(req.UID, http.StatusBadRequest, fmt.Errorf("request for %s has no object", req.Resource.Resource))}
	}
	o, err := inventory.DecodeJSON(req.Object.Raw, nil)
	if err != nil {
		return Decision{Response: Errored(req.UID, http.StatusBadRequest, fmt.Errorf("decode the object under review: %w", err))}
	}
	if o.Meta.GetNamespace() == "" && req.Namespace != "" && !inventory.IsClusterScoped(o.GVK.GroupKind()) {
		o.Meta.SetNamespace(req.Namespace)
	}
	if o.Meta.GetName() == "" && req.Name != "" {
		o.Meta.SetName(req.Name)
	}
	var ignoreNote, ignore string
	inline := false
	if exceptions.HasIgnoreAnnotation(o) {
		why, ok := r.settings.IgnoreAllowed(req.Namespace, req.UserInfo.Username, req.UserInfo.Groups)
		inline = ok
		if ok {
			ignore = IgnoreHonoured
			ignoreNote = fmt.Sprintf("moat: the object's %s annotation is honoured (%s)", exceptions.IgnoreAnnotation, why)
		} else {
			ignore = IgnoreRefused
			ignoreNote = fmt.Sprintf("moat: the object's %s annotation is not honoured at admission: an object may not exempt itself unless the admission settings allow it (ignoreAnnotations)", exceptions.IgnoreAnnotation)
		}
	}
	fs, errs := r.Evaluate(ctx, o, inline)
	if len(errs) > 0 {
		d := Decision{Response: Errored(req.UID, http.StatusInternalServerError, fmt.Errorf("the object could not be judged: %w", errors.Join(errs...))), Ignore: ignore}
		return d
	}
	var sigWarnings []string
	if r.signatures != nil {
		sfs, warns, err := r.checkSignatures(ctx, req, o, inline)
		if err != nil {
			return Decision{Response: Errored(req.UID, http.StatusInternalServerError, fmt.Errorf("the object could not be judged: %w", err)), Ignore: ignore}
		}
		fs, sigWarnings = append(fs, sfs...), warns
	}
	d := r.judge(req.UID, fs)
	d.Response.Warnings = append(d.Response.Warnings, sigWarnings...)
	if ignore != "" {
		d.Ignore = ignore
		d.Response.Warnings = append([]string{ignoreNote}, d.Response.Warnings...)
		if d.Response.AuditAnnotations == nil {
			d.Response.AuditAnnotations = map[string]string{}
		}
		d.Response.AuditAnnotations["ignore-annotation"] = ignore
		if ignore == IgnoreHonoured {
			var ids []string
			for _, f := range fs {
				if f.Suppressed != nil && f.Suppressed.Kind == "annotation" {
					ids = append(ids, f.RuleID)
				}
			}
			d.Response.AuditAnnotations["ignored-rules"] = strings.Join(ids, ",")
		}
	}
	return d
}

// checkSignatures checks the images of a workload under review: on UPDATE only those
// the old object did not run, so that a label change is not refused while a registry
// is down. The findings pass through the config's exceptions (and the object's ignore
// annotation when inline).
func (r *Reviewer) checkSignatures(ctx context.Context, req *admissionv1.AdmissionRequest, o *inventory.Object, inline bool) ([]finding.Finding, []string, error) {
	images := containerImages(o)
	if req.Operation == admissionv1.Update && len(images) > 0 && len(req.OldObject.Raw) > 0 {
		if old, err := inventory.DecodeJSON(req.OldObject.Raw, nil); err == nil && len(scan.PrepareTemplates([]*inventory.Object{old}, r.cfg)) == 0 {
			had := map[string]bool{}
			for _, c := range containerImages(old) {
				had[c.Image] = true
			}
			images = slices.DeleteFunc(images, func(c ContainerImage) bool { return had[c.Image] })
		}
	}
	if len(images) == 0 {
		return nil, nil, nil
	}
	rep := r.signatures.CheckSignatures(ctx, o.Ref(), images)
	if rep.Err != nil {
		return nil, nil, rep.Err
	}
	var inv *inventory.Inventory
	if inline {
		inv = inventory.NewInventory([]*inventory.Object{o})
	}
	// Suppress appends findings about the annotation itself, which Evaluate made already.
	fs := r.cfg.Suppress(rep.Findings, inv, r.now(), inline)[:len(rep.Findings)]
	return fs, rep.Warnings, nil
}

// containerImages are the images of a workload's containers; none for other objects.
func containerImages(o *inventory.Object) []ContainerImage {
	pod, ok := podspec.Of(o)
	if !ok {
		return nil
	}
	var out []ContainerImage
	for _, c := range pod.Containers() {
		if img := strings.TrimSpace(c.Image); img != "" {
			out = append(out, ContainerImage{Image: img, Path: c.Path + ".image"})
		}
	}
	return out
}

// judge turns findings into a response.
func (r *Reviewer) judge(uid types.UID, fs []finding.Finding) Decision {
	d := Decision{}
	// One pass judges the findings into d.Findings, sized once, and counts them by mode;
	// the response is built from d.Findings.
	var nDenied, nWarned, nAudited int
	for i := range fs {
		if fs[i].Suppressed != nil {
			continue
		}
		j := Judged{Finding: &fs[i], Mode: r.settings.ModeOf(&fs[i])}
		if d.Findings == nil {
			d.Findings = make([]Judged, 0, len(fs)-i)
		}
		d.Findings = append(d.Findings, j)
		switch j.Mode {
		case Enforce:
			nDenied++
		case Warn:
			nWarned++
		default:
			nAudited++
		}
	}
	if nDenied > 0 {
		d.Response = Denied(uid, denyMessage(d.Findings, nDenied, true))
	} else {
		d.Response = Allowed(uid)
	}
	if nWarned > 0 {
		d.Response.Warnings = warnings(d.Findings, nWarned)
	}
	if nAudited > 0 {
		d.Response.AuditAnnotations = map[string]string{"findings": auditedJSON(d.Findings)}
	}
	return d
}

// MaxWarningLen is the longest warning of a finding, in bytes. The API server passes
// a request's warnings on whole while they add up to at most 4096 characters; past
// that it cuts every warning, the webhooks' and its own plugins' alike, to 256
// characters, and drops those that come after the 4096th (k8s.io/apiserver,
// endpoints/filters/warning.go). A finding's warning that fits reads the same either
// way.
const MaxWarningLen = 256

// WarningText is a finding as a warning: Describe(f) when that fits MaxWarningLen,
// else without its fix (the rule and what is wrong, which names the field, still say
// what to change), then also without its field path, and cut to MaxWarningLen as a
// last resort.
func WarningText(f *finding.Finding) string {
	var b strings.Builder
	writeWarning(&b, f)
	return b.String()
}

// writeWarning writes WarningText(f) to b.
func writeWarning(b *strings.Builder, f *finding.Finding) {
	if describeLen(f) <= MaxWarningLen {
		describeTo(b, f)
		return
	}
	short := finding.Finding{RuleID: f.RuleID, Message: f.Message, Path: f.Path}
	if describeLen(&short) > MaxWarningLen {
		short.Path = ""
	}
	if describeLen(&short) <= MaxWarningLen {
		describeTo(b, &short)
		return
	}
	var full strings.Builder
	describeTo(&full, &short)
	b.WriteString(Clip(full.String(), MaxWarningLen))
}

// warnings are the warnings of the n findings of js whose mode is Warn, one each, as
// WarningText words them: slices of one string, built in one allocation.
func warnings(js []Judged, n int) []string {
	size := 0
	for i := range js {
		if js[i].Mode == Warn {
			size += min(describeLen(js[i].Finding), MaxWarningLen)
		}
	}
	var b strings.Builder
	b.Grow(size)
	ends := make([]int, 0, n)
	for i := range js {
		if js[i].Mode == Warn {
			writeWarning(&b, js[i].Finding)
			ends = append(ends, b.Len())
		}
	}
	all := b.String()
	ws := make([]string, n)
	start := 0
	for i, end := range ends {
		ws[i] = all[start:end]
		start = end
	}
	return ws
}

// Clip cuts s to at most n bytes on a rune boundary, marking the cut with "…".
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// auditedJSON is the audit annotation of the findings of js that are neither enforced
// nor warned: a JSON array of {rule, severity, message, path}, as encoding/json writes
// it.
func auditedJSON(js []Judged) string {
	size := len("[]")
	for i := range js {
		if j := &js[i]; j.Mode != Enforce && j.Mode != Warn {
			size += len(`{"rule":"","severity":"","message":"","path":""},`) + len(j.RuleID) + len("critical") + len(j.Message) + len(j.Path)
		}
	}
	b := make([]byte, 0, size+size/8) // room for a few escapes
	b = append(b, '[')
	for i := range js {
		j := &js[i]
		if j.Mode == Enforce || j.Mode == Warn {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, `{"rule":`...)
		b = jsonenc.AppendStringHTML(b, j.RuleID)
		b = append(b, `,"severity":`...)
		b = jsonenc.AppendStringHTML(b, j.Severity.String())
		b = append(b, `,"message":`...)
		b = jsonenc.AppendStringHTML(b, j.Message)
		if j.Path != "" {
			b = append(b, `,"path":`...)
			b = jsonenc.AppendStringHTML(b, j.Path)
		}
		b = append(b, '}')
	}
	return string(append(b, ']'))
}

// Describe is one finding in a line: the rule, what is wrong, where, and the fix.
func Describe(f finding.Finding) string {
	var b strings.Builder
	b.Grow(describeLen(&f))
	describeTo(&b, &f)
	return b.String()
}

// describeLen is the length of Describe(f).
func describeLen(f *finding.Finding) int {
	n := len("[] ") + len(f.RuleID) + len(f.Message)
	if f.Path != "" {
		n += len(" ()") + len(f.Path)
	}
	if f.Remediation != "" {
		n += len(". Fix: ") + len(f.Remediation)
	}
	return n
}

// describeTo writes Describe(f) to b.
func describeTo(b *strings.Builder, f *finding.Finding) {
	b.WriteByte('[')
	b.WriteString(f.RuleID)
	b.WriteString("] ")
	b.WriteString(f.Message)
	if f.Path != "" {
		b.WriteString(" (")
		b.WriteString(f.Path)
		b.WriteByte(')')
	}
	if f.Remediation != "" {
		b.WriteString(". Fix: ")
		b.WriteString(f.Remediation)
	}
}

// DenyMessage is the message of a denial: every enforced finding, one per line.
func DenyMessage(denied []Judged) string { return denyMessage(denied, len(denied), false) }

// denyMessage is DenyMessage of js, or with onlyEnforced of those of js whose mode is
// Enforce, of which there are n.
func denyMessage(js []Judged, n int, onlyEnforced bool) string {
	head := "moat: denied by " + strconv.Itoa(n) + " finding"
	if n != 1 {
		head += "s"
	}
	size := len(head)
	for i := range js {
		if !onlyEnforced || js[i].Mode == Enforce {
			size += len("\n- ") + describeLen(js[i].Finding)
		}
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(head)
	for i := range js {
		if !onlyEnforced || js[i].Mode == Enforce {
			b.WriteString("\n- ")
			describeTo(&b, js[i].Finding)
		}
	}
	return b.String()
}

// Allowed admits a request.
func Allowed(uid types.UID) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{UID: uid, Allowed: true}
}

// Denied refuses a request with a message for the user (code 403).
func Denied(uid types.UID, msg string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{UID: uid, Allowed: false, Result: &metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden, Message: msg,
	}}
}

// Errored refuses a request that could not be judged, with the code and the error.
func Errored(uid types.UID, code int32, err error) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{UID: uid, Allowed: false, Result: &metav1.Status{
		Status: metav1.StatusFailure, Code: code, Message: "moat: " + err.Error(),
	}}
}
