package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

const evA = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/secrets/db","verb":"get","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"secrets","namespace":"shop","name":"db","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-23T10:00:00.000001Z","stageTimestamp":"2026-11-23T10:00:00.000100Z"}`

func ev(id string) string { return strings.Replace(evA, `"a1"`, `"`+id+`"`, 1) }

type got struct {
	ids      []string
	problems []Problem
}

func decode(t *testing.T, in string, r Reader) got {
	t.Helper()
	var g got
	err := r.Decode(strings.NewReader(in), "in", func(e *Event) error {
		g.ids = append(g.ids, string(e.AuditID))
		return nil
	}, func(p Problem) { g.problems = append(g.problems, p) })
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return g
}

func TestDecodeForms(t *testing.T) {
	pretty, _ := json.MarshalIndent(json.RawMessage(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`+ev("p1")+`,`+ev("p2")+`]}`), "", "  ")
	cases := []struct {
		name, in string
		ids      []string
		problems []string // "line:index"
	}{
		{"json lines", ev("1") + "\n" + ev("2") + "\n\n" + ev("3"), []string{"1", "2", "3"}, nil},
		{"event list", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + ev("1") + `,` + ev("2") + `]}`, []string{"1", "2"}, nil},
		{"array", "[\n" + ev("1") + ",\n" + ev("2") + "\n]\n", []string{"1", "2"}, nil},
		{"pretty event list", string(pretty) + "\n" + ev("3"), []string{"p1", "p2", "3"}, nil},
		{"bad line in the middle", ev("1") + "\n{\"verb\": oops}\n" + ev("2") + "\n", []string{"1", "2"}, []string{"2:-1"}},
		{"garbage line", ev("1") + "\nnot json at all\n" + ev("2"), []string{"1", "2"}, []string{"2:-1"}},
		{"truncated last line", ev("1") + "\n" + ev("2")[:40], []string{"1"}, []string{"2:-1"}},
		{"unfinished line before a new value", ev("1")[:50] + "\n" + ev("2"), []string{"2"}, []string{"1:-1"}},
		{"not an event", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}` + "\n" + ev("2"), []string{"2"}, []string{"1:-1"}},
		{"bad item of a list", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + ev("1") + `,{"verb":7},` + ev("3") + `]}`, []string{"1", "3"}, []string{"1:1"}},
		{"bad item of an array", `[` + ev("1") + `,{"stage":"x"},` + ev("3") + `]`, []string{"1", "3"}, []string{"0:1"}},
		{"empty", "  \n\n", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := decode(t, c.in, Reader{})
			if fmt.Sprint(g.ids) != fmt.Sprint(c.ids) {
				t.Errorf("events %v, want %v", g.ids, c.ids)
			}
			var ps []string
			for _, p := range g.problems {
				ps = append(ps, fmt.Sprintf("%d:%d", p.Line, p.Index))
			}
			if fmt.Sprint(ps) != fmt.Sprint(c.problems) {
				t.Errorf("problems %v (%v), want %v", ps, g.problems, c.problems)
			}
		})
	}
}

func TestDecodeSizeLimit(t *testing.T) {
	big := strings.Replace(ev("big"), `"alice"`, `"`+strings.Repeat("a", 5000)+`"`, 1)
	in := ev("1") + "\n" + big + "\n" + ev("2") + "\n"
	g := decode(t, in, Reader{MaxEventSize: 2000, MaxBatchSize: 4000})
	if fmt.Sprint(g.ids) != "[1 2]" || len(g.problems) != 1 || g.problems[0].Line != 2 {
		t.Errorf("ids %v problems %v", g.ids, g.problems)
	}
	list := `{"kind":"EventList","items":[` + ev("1") + `,` + strings.Replace(big, strings.Repeat("a", 5000), strings.Repeat("a", 2500), 1) + `]}`
	g = decode(t, list, Reader{MaxEventSize: 2000})
	if fmt.Sprint(g.ids) != "[1]" || len(g.problems) != 1 || g.problems[0].Index != 1 || !strings.Contains(g.problems[0].Error(), "larger than the limit") {
		t.Errorf("ids %v problems %v", g.ids, g.problems)
	}
}

func TestProblemError(t *testing.T) {
	p := Problem{Source: "audit.log", Line: 12, Index: 3, Err: fmt.Errorf("boom")}
	if got := p.Error(); got != "audit.log:12 item 3: boom" {
		t.Errorf("%q", got)
	}
}

func TestNewAlertUsesImpersonatedUser(t *testing.T) {
	var e Event
	in := strings.Replace(evA, `"sourceIPs"`, `"impersonatedUser":{"username":"mallory","groups":["g"]},"sourceIPs"`, 1)
	if err := json.Unmarshal([]byte(in), &e); err != nil {
		t.Fatal(err)
	}
	a := NewAlert(&e)
	if a.User != "mallory" || a.Impersonator != "alice" || a.Object.Name != "db" || a.Code != 200 || a.AuditID != "a1" || a.Time.IsZero() {
		t.Errorf("%+v", a)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(ev("1") + "\n" + ev("2"))
	f.Add(`{"kind":"EventList","items":[` + ev("1") + `]}`)
	f.Add(`[` + ev("1") + `,{}]`)
	f.Add("{\n\"kind\": \"EventList\",\n\"items\": [\n" + ev("1") + "\n]\n}\n")
	f.Add("not json\n{")
	f.Fuzz(func(t *testing.T, in string) {
		n, bad := 0, 0
		err := Reader{MaxEventSize: 4096, MaxBatchSize: 1 << 16}.Decode(strings.NewReader(in), "fuzz", func(e *Event) error {
			if e.Verb == "" || e.Stage == "" {
				t.Fatalf("event without verb or stage: %+v", e)
			}
			n++
			return nil
		}, func(p Problem) {
			if p.Err == nil {
				t.Fatal("problem without error")
			}
			bad++
		})
		_ = err // a broken array ends the stream with an error; nothing else may panic
		if n > len(in) {
			t.Fatalf("%d events from %d bytes", n, len(in))
		}
	})
}

// A value of many short lines is gathered in linear time: one parse when its brackets
// close, not one per line.
func TestDecodeManyLinesIsLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","stage":"ResponseComplete","annotations":{` + "\n")
	for i := range 200000 {
		fmt.Fprintf(&b, "%q: \"}\",\n", fmt.Sprint("k", i))
	}
	b.WriteString(`"last": "x"}}` + "\n" + ev("after"))
	start := time.Now()
	g := decode(t, b.String(), Reader{})
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %s", d)
	}
	if len(g.ids) != 2 || len(g.problems) != 0 {
		t.Errorf("ids %v problems %v", g.ids, g.problems)
	}
}
