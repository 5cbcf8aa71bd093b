package detect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/cputime"
)

// corpus is every fixture event (each aimed at some rule, about half of them raising it).
func corpus(b *testing.B) []*audit.Event {
	b.Helper()
	files, _ := filepath.Glob("testdata/events/*.json")
	var evs []*audit.Event
	for _, f := range files {
		t := &testing.T{}
		a, q := loadFixture(t, strings.TrimSuffix(filepath.Base(f), ".json"))
		evs = append(evs, a...)
		evs = append(evs, q...)
	}
	if len(evs) < 100 {
		b.Fatalf("corpus of %d events", len(evs))
	}
	return evs
}

// routine is the bulk of a real audit stream: controllers, kubelets and the scheduler
// reading and updating objects, logged at Metadata or Request level.
func routine(b *testing.B) []*audit.Event {
	b.Helper()
	raw, err := os.ReadFile("testdata/routine.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	var evs []*audit.Event
	err = audit.Reader{}.Decode(strings.NewReader(string(raw)), "routine", func(e *audit.Event) error {
		evs = append(evs, e)
		return nil
	}, func(p audit.Problem) { b.Fatal(p) })
	if err != nil {
		b.Fatal(err)
	}
	return evs
}

func benchEval(b *testing.B, evs []*audit.Event) {
	s, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	e := NewEngine(s, 0)
	alerts := 0
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cputime.Process()
	for i := 0; i < b.N; i++ {
		// a fresh copy of the event, as the receiver decodes each one anew: nothing cached
		// from an earlier evaluation may help
		ev := *evs[i%len(evs)]
		e.Eval(&ev, func(audit.Alert) { alerts++ })
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	// events per second of CPU time (user+system of the process), which a shared machine's
	// load does not skew as it does wall time
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
	b.ReportMetric(float64(alerts)/float64(b.N), "alerts/event")
}

// BenchmarkEvalFixtures evaluates the whole default pack over the rule fixtures: every
// event passes some rule's guard, so CEL runs for each.
func BenchmarkEvalFixtures(b *testing.B) { benchEval(b, corpus(b)) }

// BenchmarkEvalMixed evaluates the default pack over a stream of 90% routine events and
// 10% fixture events.
func BenchmarkEvalMixed(b *testing.B) {
	r, c := routine(b), corpus(b)
	var evs []*audit.Event
	for i := range 10 * len(c) {
		if i%10 == 9 {
			evs = append(evs, c[i/10])
		} else {
			evs = append(evs, r[i%len(r)])
		}
	}
	benchEval(b, evs)
}

// BenchmarkEvalAPIServerLog evaluates the default pack over the events a real
// kube-apiserver wrote with Moat's policy (mostly its RBAC bootstrap, at Request level).
func BenchmarkEvalAPIServerLog(b *testing.B) {
	f, err := os.Open("testdata/apiserver-v1.37.2-audit.log")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var evs []*audit.Event
	if err := (audit.Reader{}).Decode(f, "log", func(e *audit.Event) error { evs = append(evs, e); return nil }, nil); err != nil {
		b.Fatal(err)
	}
	benchEval(b, evs)
}
