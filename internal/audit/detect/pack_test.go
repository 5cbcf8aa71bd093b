package detect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/audit"
)

// fixture is testdata/events/SLUG.json of rule audit/SLUG: events that must raise the rule
// and events that must not. For a rate rule each list is one sequence of events.
type fixture struct {
	Alert []json.RawMessage `json:"alert"`
	Quiet []json.RawMessage `json:"quiet"`
}

func loadFixture(t *testing.T, slug string) (alert, quiet []*audit.Event) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", slug+".json"))
	if err != nil {
		t.Fatalf("rule audit/%s has no fixture: %v", slug, err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	dec := func(raws []json.RawMessage) []*audit.Event {
		var out []*audit.Event
		for i, raw := range raws {
			var n int
			err := audit.Reader{}.Decode(strings.NewReader(string(raw)), slug, func(ev *audit.Event) error {
				out = append(out, ev)
				n++
				return nil
			}, func(p audit.Problem) { t.Errorf("%s event %d: %v", slug, i, p) })
			if err != nil || n != 1 {
				t.Fatalf("%s event %d: %v (%d events)", slug, i, err, n)
			}
		}
		return out
	}
	return dec(f.Alert), dec(f.Quiet)
}

// TestPackRules checks every rule of the default pack against its real-shaped events.
func TestPackRules(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Rules {
		slug := strings.TrimPrefix(r.ID, "audit/")
		t.Run(slug, func(t *testing.T) {
			alert, quiet := loadFixture(t, slug)
			if len(alert) == 0 || len(quiet) == 0 {
				t.Fatalf("fixture needs at least one alert and one quiet event (%d, %d)", len(alert), len(quiet))
			}
			only := &Set{Rules: []*Rule{r}}
			if r.rate != nil {
				for name, evs := range map[string][]*audit.Event{"alert": alert, "quiet": quiet} {
					e := NewEngine(only, 0)
					var got []audit.Alert
					for _, ev := range evs {
						e.Eval(ev, func(a audit.Alert) { got = append(got, a) })
					}
					if want := name == "alert"; (len(got) > 0) != want {
						t.Errorf("%s sequence: %d alerts", name, len(got))
					}
					checkRuntime(t, e)
				}
				return
			}
			for i, ev := range alert {
				e := NewEngine(only, 0)
				var got []audit.Alert
				e.Eval(ev, func(a audit.Alert) { got = append(got, a) })
				if len(got) != 1 {
					t.Errorf("alert event %d (%s %s): %d alerts, want 1", i, ev.Verb, ev.RequestURI, len(got))
					continue
				}
				checkAlert(t, r, ev, got[0])
				checkRuntime(t, e)
			}
			for i, ev := range quiet {
				e := NewEngine(only, 0)
				e.Eval(ev, func(a audit.Alert) {
					t.Errorf("quiet event %d (%s %s): alert %q", i, ev.Verb, ev.RequestURI, a.Message)
				})
				checkRuntime(t, e)
			}
		})
	}
}

func checkAlert(t *testing.T, r *Rule, ev *audit.Event, a audit.Alert) {
	t.Helper()
	if a.Rule != r.ID || a.Severity != r.Severity || a.AuditID != string(ev.AuditID) || a.Verb != ev.Verb || a.Time.IsZero() ||
		len(a.MITRE) == 0 || a.User == "" || len(a.SourceIPs) == 0 {
		t.Errorf("alert misses fields: %+v", a)
	}
	if a.Message == "" || strings.Contains(a.Message, "{") {
		t.Errorf("message %q", a.Message)
	}
	t.Logf("%s: %s", r.ID, a.Message)
}

func checkRuntime(t *testing.T, e *Engine) {
	t.Helper()
	for id, n := range e.RuntimeErrors() {
		t.Errorf("rule %s failed at run time on %d events", id, n)
	}
}

// TestEveryFixtureHasARule keeps testdata/events in step with the pack.
func TestEveryFixtureHasARule(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range s.Rules {
		ids[r.ID] = true
	}
	files, _ := filepath.Glob("testdata/events/*.json")
	for _, f := range files {
		if id := "audit/" + strings.TrimSuffix(filepath.Base(f), ".json"); !ids[id] {
			t.Errorf("%s: no rule %s", f, id)
		}
	}
}
