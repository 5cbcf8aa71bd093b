package detect

import (
	"fmt"
	"io"
	"sort"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/finding"
)

// Log is one audit log to hunt through: a name for messages and how to open it.
type Log struct {
	Name string
	Open func() (io.ReadCloser, error)
}

// HuntResult counts what a hunt read and found.
type HuntResult struct {
	Events, Alerts int
	// Unreadable counts logs that could not be opened or read to the end and events
	// that did not decode; each was reported to the problem callback.
	Unreadable int
	// Worst is the highest severity of an alert; meaningful when Alerts > 0.
	Worst finding.Severity
}

// Hunt runs the engine over every event of the logs, in order, calling emit for each
// alert and problem for each log or event that could not be read (the rest is still
// read), and finally for each rule that failed to evaluate on some events.
func (e *Engine) Hunt(logs []Log, r audit.Reader, emit func(audit.Alert), problem func(error)) HuntResult {
	var res HuntResult
	count := func(a audit.Alert) {
		if res.Alerts == 0 || a.Severity > res.Worst {
			res.Worst = a.Severity
		}
		res.Alerts++
		emit(a)
	}
	for _, l := range logs {
		in, err := l.Open()
		if err != nil {
			res.Unreadable++
			problem(err)
			continue
		}
		err = r.Decode(in, l.Name, func(ev *audit.Event) error {
			res.Events++
			e.Eval(ev, count)
			return nil
		}, func(p audit.Problem) {
			res.Unreadable++
			problem(p)
		})
		in.Close()
		if err != nil {
			res.Unreadable++
			problem(err)
		}
	}
	failed := e.RuntimeErrors()
	ids := make([]string, 0, len(failed))
	for id := range failed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		problem(fmt.Errorf("rule %s failed to evaluate on %d events", id, failed[id]))
	}
	return res
}
