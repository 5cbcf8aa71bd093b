package detect

import (
	"container/list"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/common/types"

	"github.com/moat-dev/moat/internal/audit"
)

// DefaultRateKeys bounds the state of rate rules: at most this many users are tracked per
// rule; the least recently seen is forgotten first.
const DefaultRateKeys = 10000

// Engine evaluates a rule set over events. It is safe for concurrent use; rate state is
// shared, guarded by a lock.
type Engine struct {
	set   *Set
	rates map[*Rule]*rateState
	// Errors counts conditions that failed at run time (treated as not matching).
	mu     sync.Mutex
	errors map[string]int

	// candidates caches, per stage, verb and resource, the rules whose guard passes:
	// the guard then costs one map lookup per event instead of one per rule.
	cmu        sync.RWMutex
	candidates map[guardKey][]*Rule
}

type guardKey struct{ stage, verb, resource, subresource string }

// maxCandidates bounds the guard cache (verbs and resources are few; names are not part
// of the key).
const maxCandidates = 4096

// NewEngine prepares an engine; rateKeys bounds the users tracked per rate rule
// (DefaultRateKeys if 0).
func NewEngine(s *Set, rateKeys int) *Engine {
	if rateKeys <= 0 {
		rateKeys = DefaultRateKeys
	}
	e := &Engine{set: s, rates: map[*Rule]*rateState{}, errors: map[string]int{}, candidates: map[guardKey][]*Rule{}}
	for _, r := range s.Rules {
		if r.rate != nil {
			e.rates[r] = newRateState(r.rate, rateKeys)
		}
	}
	return e
}

// Set returns the engine's rules.
func (e *Engine) Set() *Set { return e.set }

// RuntimeErrors returns, per rule, how many events made its condition fail at run time.
func (e *Engine) RuntimeErrors() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int, len(e.errors))
	for k, v := range e.errors {
		out[k] = v
	}
	return out
}

// guard is the cheap test before a rule's CEL runs: stage, verb and resource.
func (r *Rule) guard(ev *audit.Event) bool {
	if !r.stages[string(ev.Stage)] {
		return false
	}
	if r.verbs != nil && !r.verbs[ev.Verb] {
		return false
	}
	if r.resources != nil {
		if ev.ObjectRef == nil {
			return false
		}
		res, sub := ev.ObjectRef.Resource, ev.ObjectRef.Subresource
		key := res
		if sub != "" {
			key = res + "/" + sub
		}
		// "pods" is the pods resource itself, "pods/exec" one subresource, "pods/*" any
		// subresource of pods, "*" anything.
		if !r.resources["*"] && !r.resources[key] && (sub == "" || !r.resources[res+"/*"]) {
			return false
		}
	}
	return true
}

// rulesFor returns the rules whose guard passes for the event.
func (e *Engine) rulesFor(ev *audit.Event) []*Rule {
	k := guardKey{stage: string(ev.Stage), verb: ev.Verb}
	if ev.ObjectRef != nil {
		k.resource, k.subresource = ev.ObjectRef.Resource, ev.ObjectRef.Subresource
	}
	e.cmu.RLock()
	rs, ok := e.candidates[k]
	e.cmu.RUnlock()
	if ok {
		return rs
	}
	for _, r := range e.set.Rules {
		if r.guard(ev) {
			rs = append(rs, r)
		}
	}
	e.cmu.Lock()
	if len(e.candidates) < maxCandidates {
		e.candidates[k] = rs
	}
	e.cmu.Unlock()
	return rs
}

// Eval runs every rule over one event and calls emit for each alert.
func (e *Engine) Eval(ev *audit.Event, emit func(audit.Alert)) {
	var v *vars
	code := 0 // as the CEL variable reads an absent status
	if ev.ResponseStatus != nil {
		code = int(ev.ResponseStatus.Code)
	}
	for _, r := range e.rulesFor(ev) {
		if t := r.prog.codes; t != nil && code >= 0 && code < maxCode && !t[code] {
			continue // the conjuncts about the response code are false
		}
		if v == nil {
			v = newVars(ev)
		}
		out, _, err := r.prog.prg.Eval(v)
		if err != nil {
			e.mu.Lock()
			e.errors[r.ID]++
			e.mu.Unlock()
			continue
		}
		if out != types.True {
			continue
		}
		if st := e.rates[r]; st != nil {
			at := ev.StageTimestamp.Time
			if at.IsZero() {
				at = ev.RequestReceivedTimestamp.Time
			}
			if !st.hit(v.user, at) {
				continue
			}
		}
		emit(r.alert(ev, v))
	}
}

func (r *Rule) alert(ev *audit.Event, v *vars) audit.Alert {
	a := audit.NewAlert(ev)
	a.Rule, a.Title, a.Severity, a.MITRE = r.ID, r.Title, r.Severity, r.MITRE
	var b strings.Builder
	for _, p := range r.out {
		if p.field == "" {
			b.WriteString(p.text)
			continue
		}
		if f, ok := r.fields[p.field]; ok {
			if out, _, err := f.prg.Eval(v); err == nil {
				if s, ok := out.Value().(string); ok {
					b.WriteString(s)
				}
			}
			continue
		}
		b.WriteString(v.text(p.field))
	}
	a.Message = b.String()
	return a
}

// rateState counts, per user, the times a rate rule's condition held within its window.
// It keeps at most max users, forgetting the least recently seen first.
type rateState struct {
	mu   sync.Mutex
	rate Rate
	max  int
	keys map[string]*list.Element
	lru  *list.List // of *rateEntry, most recent first
}

type rateEntry struct {
	user  string
	times []time.Time // ring of the last rate.Count hits
	next  int
	n     int
}

func newRateState(r *Rate, max int) *rateState {
	return &rateState{rate: *r, max: max, keys: map[string]*list.Element{}, lru: list.New()}
}

// hit records one hit of user at t and reports whether the user now has Count hits
// within Window; when it does, the count starts again (one alert per burst).
func (s *rateState) hit(user string, t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.keys[user]
	if !ok {
		if s.lru.Len() >= s.max {
			old := s.lru.Back()
			delete(s.keys, old.Value.(*rateEntry).user)
			s.lru.Remove(old)
		}
		el = s.lru.PushFront(&rateEntry{user: user, times: make([]time.Time, s.rate.Count)})
		s.keys[user] = el
	} else {
		s.lru.MoveToFront(el)
	}
	e := el.Value.(*rateEntry)
	e.times[e.next] = t
	e.next = (e.next + 1) % len(e.times)
	if e.n < len(e.times) {
		e.n++
	}
	if e.n < len(e.times) {
		return false
	}
	oldest := e.times[e.next] // the ring is full: next is the oldest
	if t.Sub(oldest) > s.rate.Window {
		return false
	}
	e.n = 0
	return true
}

// Len is the number of users tracked.
func (s *rateState) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}
