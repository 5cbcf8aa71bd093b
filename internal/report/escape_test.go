package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/audit/detect"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rbac/paths"
	"github.com/moat-dev/moat/internal/rule"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"shop/Deployment/cart", "shop/Deployment/cart"},
		{`C:\charts\shop é 日本 ✓ �`, `C:\charts\shop é 日本 ✓ �`},
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"a\x00b\x07c\bd\x7f", `a\x00b\ac\bd\x7f`},
		{"line\r\nnext\ttab\vvt\fff", `line\r\nnext\ttab\vvt\fff`},
		{"c1 \u0085 \u009b31m", `c1 \u0085 \u009b31m`},
		{"cart\u202egpj.yaml", `cart\u202egpj.yaml`},
		{"\u2066iso\u2069 \u200b\u200d\ufeff\u00ad", `\u2066iso\u2069 \u200b\u200d\ufeff\u00ad`},
		{"sep\u2028para\u2029", `sep\u2028para\u2029`},
		{"tag\U000E0041", `tag\U000e0041`},
		{"bad \xff\xfe utf8 \xe2\x82", `bad \xff\xfe utf8 \xe2\x82`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	clean := "kube-system/DaemonSet/node-agent: container \"agent\" — ümlaut"
	if n := testing.AllocsPerRun(100, func() { _ = Escape(clean) }); n != 0 {
		t.Errorf("Escape of clean text allocates %v times", n)
	}
}

// The evil strings of a crafted manifest or audit event: clear the screen and forge a
// summary, reverse the text after a name, hide characters, break the line.
const (
	evilName    = "x\x1b[2J\x1b[H0 objects scanned: no findings\x1b[8m"
	evilFile    = "charts/\u202elmay.live\u202c\r\x9b2K.yaml"
	evilMessage = "container \"a\u200b\x07\" \x1b]0;pwned\x07 sets \x7fprivileged\u2028\x00\xff\nsecond line\r0 objects scanned: no findings"
)

// rawControl finds a character Escape would have escaped, other than the line feeds
// that end lines.
func rawControl(out []byte) (rune, int, bool) {
	for i := 0; i < len(out); {
		r, n := utf8.DecodeRune(out[i:])
		if (r == utf8.RuneError && n == 1) || (unsafeRune(r) && r != '\n') {
			return r, i, true
		}
		i += n
	}
	return 0, 0, false
}

var forgedSummary = regexp.MustCompile(`(?m)^\d+ objects? scanned`)

// No renderer meant for a person lets a control or format character of its input through.
func TestNoRawControlCharacters(t *testing.T) {
	evilRes := finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: evilName, Name: evilName}
	f := finding.Finding{RuleID: "custom/" + evilName, Severity: finding.High, Title: evilName, Message: evilMessage,
		Resource: evilRes, Source: &finding.Source{File: evilFile, Line: 3, Origin: "helm:" + evilFile}}
	sup := f
	sup.Suppressed = &finding.Suppression{Kind: "annotation", Reason: evilMessage}
	rep := &Report{Summary: finding.Summarize(2, []finding.Finding{f, sup}, 1), Findings: []finding.Finding{f, sup},
		Errors: []string{evilFile + ":1: " + evilMessage}, Warnings: []string{evilMessage}}

	evilBinding := &authz.Binding{Kind: "RoleBinding", Namespace: evilName, Name: evilName,
		RoleRef: rbacv1.RoleRef{Kind: "Role", Name: evilMessage}}
	subjects := []authz.Subject{{Kind: "User", Name: evilName, Namespace: evilFile,
		Via: []authz.Via{{Binding: evilName, Role: evilMessage}, {Binding: evilFile, Role: evilName}}}}
	granted := []authz.GrantedRule{{PolicyRule: rbacv1.PolicyRule{Verbs: []string{evilName}, APIGroups: []string{"", evilFile},
		Resources: []string{evilName}, ResourceNames: []string{evilMessage}, NonResourceURLs: []string{evilFile}}, Binding: evilBinding}}
	who := paths.Node{Kind: "User", Name: evilName}
	goal := paths.Node{Kind: "Goal", Name: "cluster-admin"}
	ps := []paths.Path{{Subject: who, Goal: "cluster-admin" + evilName, Steps: []paths.Step{
		{From: who, To: goal, Primitive: "rbac/" + evilName, How: "bind " + evilMessage, Via: &authz.Via{Binding: evilFile}}}}}
	conns := []reach.Connection{
		{Src: reach.Endpoint{Namespace: evilName, Kind: "Deployment", Name: evilFile}, Dst: reach.Endpoint{IPBlock: evilName}, Ports: reach.AllPorts()},
		{Src: reach.Endpoint{Namespace: "shop", Kind: "Pod", Name: evilMessage}, Dst: reach.Endpoint{Namespace: evilName, Kind: "Pod", Name: "x"}, Ports: reach.Port(reach.TCP, 80)},
	}
	rules := []*rule.Rule{{Meta: rule.Meta{ID: "custom/" + evilName, Title: evilMessage, Severity: finding.Low,
		Frameworks: finding.Frameworks{CIS: evilFile}}}}
	detections := []*detect.Rule{{ID: evilName, Title: evilMessage, MITRE: []string{evilFile}, Severity: finding.High}}
	alerts := []audit.Alert{{Time: alertTime, Rule: "k8s/" + evilName, Severity: finding.Critical, User: evilName,
		Message: evilMessage, Object: &audit.ObjectRef{Name: evilName}}}

	tests := []struct {
		name   string
		render func(w io.Writer) error
	}{
		{"findings table", renderWith(Findings, "table", rep)},
		{"findings table with colour", func(w io.Writer) error {
			// Colour adds the table's own escape codes; strip those, and no other may remain.
			var b bytes.Buffer
			if err := must(Findings.New("table", Options{Color: true})).Render(&b, rep); err != nil {
				return err
			}
			_, err := io.WriteString(w, ansi.ReplaceAllString(b.String(), ""))
			return err
		}},
		{"who-can table", renderWith(WhoCan, "table", subjects)},
		{"can table", renderWith(Can, "table", granted)},
		{"paths table", renderWith(Paths, "table", ps)},
		{"paths dot", renderWith(Paths, "dot", ps)},
		{"connections table", renderWith(Connections, "table", connSeq(conns))},
		{"connections csv", renderWith(Connections, "csv", connSeq(conns))},
		{"connections dot", renderWith(Connections, "dot", connSeq(conns))},
		{"rules table", renderWith(Rules, "table", rules)},
		{"detection rules table", renderWith(DetectionRules, "table", detections)},
		{"alerts table", func(w io.Writer) error {
			aw := must(Alerts.New("table", w, Options{}))
			for _, a := range alerts {
				if err := aw.Write(a); err != nil {
					return err
				}
			}
			return aw.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(&b); err != nil {
				t.Fatal(err)
			}
			out := b.Bytes()
			if r, at, found := rawControl(out); found {
				t.Errorf("raw %U at byte %d:\n%q", r, at, out)
			}
			if n := len(forgedSummary.FindAll(out, -1)); n > 1 || (n == 1 && !strings.HasPrefix(tt.name, "findings")) {
				t.Errorf("a summary line was forged:\n%s", out)
			}
			if !bytes.Contains(out, []byte(`\x1b[2J`)) {
				t.Errorf("the escape sequence is not shown escaped:\n%s", out)
			}
		})
	}
}

// A message's own line breaks are kept, each further line indented under the first, so
// that the input cannot write a line of its own; other controls are escaped in place.
func TestTableMessageLines(t *testing.T) {
	f := result(privileged, deployment("shop", "cart"), "first\x1b[31m red\nsecond\r\x00", "", nil)
	out := string(render(t, newRenderer(t, Findings, "table", Options{}), &Report{
		Summary: finding.Summarize(1, []finding.Finding{f}, 0), Findings: []finding.Finding{f}}))
	for _, want := range []string{"\n            first\\x1b[31m red\n", "\n            second\\r\\x00\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func renderWith[T any](f *Formats[T], format string, v T) func(io.Writer) error {
	return func(w io.Writer) error { return must(f.New(format, Options{})).Render(w, v) }
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Machine formats escape by their encoders: no C0 control but the line feeds between
// lines (and, in XML character data, tab and carriage return) reaches the output; DEL, C1
// and format characters are valid JSON and XML and are kept, as data; the document still
// parses, and the policy report, whose YAML reader refuses DEL and C1, carries them.
func TestMachineFormatsEscapeControls(t *testing.T) {
	f := finding.Finding{RuleID: "custom/" + evilName, Severity: finding.High, Title: evilName, Message: evilMessage,
		Resource:    finding.Resource{APIVersion: "v1", Kind: "Pod", Namespace: evilName, Name: evilName},
		Remediation: evilMessage, Source: &finding.Source{File: evilFile, Line: 3}}
	rep := &Report{Summary: finding.Summarize(1, []finding.Finding{f}, 1), Findings: []finding.Finding{f},
		Errors: []string{evilFile + ": " + evilMessage}, Warnings: []string{evilMessage}}
	for _, format := range []string{"json", "sarif", "junit", "policyreport"} {
		t.Run(format, func(t *testing.T) {
			out := render(t, newRenderer(t, Findings, format, Options{}), rep)
			for i, c := range out {
				// XML keeps tab and carriage return as they are in character data.
				if c < 0x20 && c != '\n' && !(format == "junit" && (c == '\t' || c == '\r')) {
					t.Fatalf("raw %#x at byte %d:\n%q", c, i, out)
				}
			}
			switch format {
			case "junit":
				var doc junitSuites
				if err := xml.Unmarshal(out, &doc); err != nil {
					t.Fatal(err)
				}
			case "policyreport":
				reps := parsePolicyReports(t, out)
				if len(reps) == 0 || !strings.Contains(fmt.Sprint(reps), "\x7fprivileged") {
					t.Errorf("the message did not survive the YAML:\n%s", out)
				}
			default:
				if !json.Valid(out) {
					t.Errorf("not JSON:\n%s", out)
				}
			}
		})
	}
}
