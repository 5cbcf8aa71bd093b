package report

import (
	"encoding/json"
	"io"
	"text/tabwriter"
	"time"

	"github.com/moat-dev/moat/internal/audit"
)

// AlertWriter writes audit alerts one at a time, as the detection rules raise them.
// Close writes what is still held (it does not close the underlying writer); call it once
// the last alert is written, also when there were none.
type AlertWriter interface {
	Write(a audit.Alert) error
	Close() error
}

// AlertFormats are the output formats of a stream of alerts.
type AlertFormats struct {
	formatSet[func(io.Writer, Options) AlertWriter]
}

// New returns a new writer of alerts to w in the format.
func (f *AlertFormats) New(format string, w io.Writer, opt Options) (AlertWriter, error) {
	mk, err := f.lookup(format)
	if err != nil {
		return nil, err
	}
	return mk(w, opt), nil
}

// Alerts are the formats of `moat audit scan`: json (one JSON object per line, written as
// each alert comes, the default) and table (aligned columns, written by Close).
var Alerts = &AlertFormats{newFormatSet(
	namedFormat[func(io.Writer, Options) AlertWriter]{"json", newAlertJSONLines},
	namedFormat[func(io.Writer, Options) AlertWriter]{"table", newAlertTable},
)}

type alertJSONLines struct{ enc *json.Encoder }

func newAlertJSONLines(w io.Writer, _ Options) AlertWriter {
	return alertJSONLines{json.NewEncoder(w)}
}

// Write writes the alert as one line, in one write.
func (a alertJSONLines) Write(al audit.Alert) error { return a.enc.Encode(al) }
func (a alertJSONLines) Close() error               { return nil }

type alertTable struct {
	tw *tabwriter.Writer
}

func newAlertTable(w io.Writer, _ Options) AlertWriter {
	t := &alertTable{newTabWriter(w)}
	writeRow(t.tw, "TIME", "SEVERITY", "RULE", "USER", "MESSAGE")
	return t
}

func (t *alertTable) Write(a audit.Alert) error {
	return writeRow(t.tw, a.Time.UTC().Format(time.RFC3339), a.Severity.String(), a.Rule, a.User, a.Message)
}

func (t *alertTable) Close() error { return t.tw.Flush() }
