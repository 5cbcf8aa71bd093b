package admission

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// requestFor wraps an object the way the API server does for a create.
func requestFor(t testing.TB, o *inventory.Object, user string, groups ...string) *admissionv1.AdmissionRequest {
	t.Helper()
	raw, err := json.Marshal(o.Obj)
	if err != nil {
		t.Fatal(err)
	}
	return &admissionv1.AdmissionRequest{
		UID:       types.UID("uid-" + o.Name()),
		Kind:      metav1.GroupVersionKind{Group: o.GVK.Group, Version: o.GVK.Version, Kind: o.GVK.Kind},
		Name:      o.Meta.GetName(),
		Namespace: o.EffectiveNamespace(),
		Operation: admissionv1.Create,
		UserInfo:  authenticationv1.UserInfo{Username: user, Groups: groups},
		Object:    runtime.RawExtension{Raw: raw},
	}
}

type key struct {
	res  finding.Resource
	file string
}

// inventoryOnly are rules that judge relations between objects: admission sees one
// object, so they are scan's alone.
func inventoryOnly(id string) bool {
	r := rule.Get(id)
	return id == "config/expired-exception" || (r != nil && r.Object == nil && r.Inventory != nil)
}

// TestSameVerdictAsScan reviews every object of the examples as a create request and
// requires the same findings, with the same words, as moat scan reports for it; the
// request is denied exactly when scan's default --fail-on high would fail on it.
func TestSameVerdictAsScan(t *testing.T) {
	for _, dir := range []string{"shop", "shop-hardened"} {
		t.Run(dir, func(t *testing.T) {
			inv := inventory.Load([]string{filepath.Join("..", "..", "examples", dir)}, inventory.Options{})
			if len(inv.Errors) > 0 {
				t.Fatalf("examples do not load: %v", inv.Errors)
			}
			// alice may use moat.dev/ignore, so that the objects' annotations count at
			// admission as they do in a scan (by default they do not: see ignore_test.go).
			cfg, err := exceptions.Parse([]byte("admission:\n  ignoreAnnotations:\n    users: [alice]\n"), ".moat.yaml")
			if err != nil {
				t.Fatal(err)
			}
			rep := scan.NewEvaluator(scan.Options{PSSVersion: "latest", Now: fixedNow, Config: cfg}).Evaluate(context.Background(), inv)
			want := map[key][]finding.Finding{}
			skipped := 0
			for _, f := range rep.Findings {
				if inventoryOnly(f.RuleID) {
					skipped++
					continue
				}
				k := key{f.Resource, f.Source.File}
				want[k] = append(want[k], f)
			}
			rev, err := NewReviewer(rule.All(), cfg, "latest", fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			denied, compared, contextual := 0, 0, 0
			for _, o := range inv.Objects {
				d := rev.Decide(requestFor(t, o, "alice", "developers"))
				if d.Exempt != "" {
					t.Errorf("%s: exempt (%s)", o.Source, d.Exempt)
					continue
				}
				exp := want[key{o.Ref(), o.Source.File}]
				if got, w := describeAll(d.Findings), describeScan(exp); got != w {
					// A few object checks read other objects of the scan (the
					// ServiceAccount a pod runs as): their words may differ, since
					// admission sees one object. Then the rule, severity and path must
					// still agree, and the words must be what scan says of the object
					// scanned alone.
					alone := scan.NewEvaluator(scan.Options{PSSVersion: "latest", Now: fixedNow, Config: cfg}).Evaluate(context.Background(), inventory.NewInventory([]*inventory.Object{o}))
					var aloneFs []finding.Finding
					for _, f := range alone.Findings {
						if !inventoryOnly(f.RuleID) {
							aloneFs = append(aloneFs, f)
						}
					}
					if got != describeScan(aloneFs) || withoutMessages(d.Findings) != withoutMessagesScan(exp) {
						t.Errorf("%s %s: webhook findings differ from scan\nwebhook:\n%s\nscan:\n%s", o.Source, o.Ref(), got, w)
					} else {
						contextual++
					}
				}
				// Denied exactly when scan's default --fail-on high fails on the
				// object, but for the rules that admission audits by default.
				failsScan := false
				for _, f := range exp {
					enforced := rev.Settings().ModeOf(&f) == Enforce
					if (f.Severity >= finding.High) != enforced && f.RuleID != "secret/committed-secret-data" {
						t.Errorf("%s: severity %s but mode %s", f.RuleID, f.Severity, rev.Settings().ModeOf(&f))
					}
					failsScan = failsScan || enforced
				}
				if d.Response.Allowed == failsScan {
					t.Errorf("%s %s: allowed=%v but scan --fail-on high fails=%v", o.Source, o.Ref(), d.Response.Allowed, failsScan)
				}
				if !d.Response.Allowed {
					denied++
					for _, f := range exp {
						if rev.Settings().ModeOf(&f) == Enforce && !strings.Contains(d.Response.Result.Message, Describe(f)) {
							t.Errorf("%s: deny message lacks %q", o.Ref(), Describe(f))
						}
					}
				}
				compared++
			}
			if compared == 0 {
				t.Fatal("no objects compared")
			}
			if dir == "shop" && denied == 0 {
				t.Error("the insecure example had no object denied")
			}
			if dir == "shop-hardened" && denied > 0 {
				t.Errorf("the hardened example had %d objects denied", denied)
			}
			t.Logf("%s: %d objects reviewed, %d denied, %d with words that depend on other objects; %d findings of inventory rules left to scan", dir, compared, denied, contextual, skipped)
		})
	}
}

func describeAll(js []Judged) string {
	var b strings.Builder
	for _, j := range js {
		fmt.Fprintf(&b, "%s %s %s %s\n", j.Severity, j.RuleID, j.Path, j.Message)
	}
	return b.String()
}

func describeScan(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s %s %s\n", f.Severity, f.RuleID, f.Path, f.Message)
	}
	return b.String()
}

func withoutMessages(js []Judged) string {
	var b strings.Builder
	for _, j := range js {
		fmt.Fprintf(&b, "%s %s %s\n", j.Severity, j.RuleID, j.Path)
	}
	return b.String()
}

func withoutMessagesScan(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s %s\n", f.Severity, f.RuleID, f.Path)
	}
	return b.String()
}

// describeFmt and denyMessageFmt are Describe and DenyMessage as they were written
// with fmt, before they were sized up front; the new ones must give the same text.
func describeFmt(f finding.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", f.RuleID, f.Message)
	if f.Path != "" {
		fmt.Fprintf(&b, " (%s)", f.Path)
	}
	if f.Remediation != "" {
		b.WriteString(". Fix: " + f.Remediation)
	}
	return b.String()
}

func denyMessageFmt(denied []Judged) string {
	var b strings.Builder
	fmt.Fprintf(&b, "moat: denied by %d finding", len(denied))
	if len(denied) != 1 {
		b.WriteString("s")
	}
	for _, j := range denied {
		b.WriteString("\n- " + describeFmt(*j.Finding))
	}
	return b.String()
}

func TestDescribeAndDenyMessageAsWithFmt(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	word := func() string {
		words := []string{"", "", "a", "pod/privileged-container", "spec.containers[0]", "ünïcode ✓", "%d %s %%", "line\nbreak", strings.Repeat("x", 300)}
		return words[rng.IntN(len(words))]
	}
	for range 2000 {
		denied := make([]Judged, rng.IntN(5))
		for i := range denied {
			denied[i].Finding = &finding.Finding{RuleID: word(), Message: word(), Path: word(), Remediation: word()}
			if got, want := Describe(*denied[i].Finding), describeFmt(*denied[i].Finding); got != want {
				t.Fatalf("Describe(%+v) = %q, want %q", denied[i].Finding, got, want)
			}
		}
		if got, want := DenyMessage(denied), denyMessageFmt(denied); got != want {
			t.Fatalf("DenyMessage = %q, want %q", got, want)
		}
		var enforced []Judged
		for i := range denied {
			denied[i].Mode = Mode(rng.IntN(3))
			if denied[i].Mode == Enforce {
				enforced = append(enforced, denied[i])
			}
		}
		if got, want := denyMessage(denied, len(enforced), true), denyMessageFmt(enforced); got != want {
			t.Fatalf("denyMessage of the enforced = %q, want %q", got, want)
		}
	}
}

func TestWarningText(t *testing.T) {
	fix := "Set securityContext.readOnlyRootFilesystem: true on the container and mount an emptyDir volume where the program needs to write."
	long := strings.Repeat("ü", 200) // 400 bytes
	for _, c := range []struct {
		name string
		f    finding.Finding
		want string
	}{
		{"a warning that fits keeps its fix",
			finding.Finding{RuleID: "image/latest-tag", Message: `container "web" uses nginx:latest`, Path: "spec.containers[0].image", Remediation: "Pin a version."},
			`[image/latest-tag] container "web" uses nginx:latest (spec.containers[0].image). Fix: Pin a version.`},
		{"a warning that does not fit loses its fix",
			finding.Finding{RuleID: "pod/readonly-root-filesystem-missing", Message: `container "agent" does not set securityContext.readOnlyRootFilesystem: true`,
				Path: "spec.containers[0].securityContext.readOnlyRootFilesystem", Remediation: fix},
			`[pod/readonly-root-filesystem-missing] container "agent" does not set securityContext.readOnlyRootFilesystem: true (spec.containers[0].securityContext.readOnlyRootFilesystem)`},
		{"a warning too long without its fix loses its path too",
			finding.Finding{RuleID: "pod/unrestricted-capabilities", Message: `unrestricted capabilities (container "agent" must set securityContext.capabilities.drop=["ALL"]; container "agent" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)`,
				Path: "spec.containers[0].securityContext.capabilities", Remediation: fix},
			`[pod/unrestricted-capabilities] unrestricted capabilities (container "agent" must set securityContext.capabilities.drop=["ALL"]; container "agent" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)`},
		{"a message too long even alone is cut on a character",
			finding.Finding{RuleID: "pod/x", Message: long, Remediation: fix},
			"[pod/x] " + strings.Repeat("ü", 122) + "…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := WarningText(&c.f)
			if got != c.want {
				t.Errorf("WarningText = %q, want %q", got, c.want)
			}
			if len(got) > MaxWarningLen || !utf8.ValidString(got) {
				t.Errorf("%d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
			}
			// The reviewer words its warnings so.
			js := []Judged{{Finding: &c.f, Mode: Warn}, {Finding: &finding.Finding{RuleID: "a"}, Mode: Audit}, {Finding: &c.f, Mode: Warn}}
			if ws := warnings(js, 2); len(ws) != 2 || ws[0] != c.want || ws[1] != c.want {
				t.Errorf("warnings = %q", ws)
			}
		})
	}
}
