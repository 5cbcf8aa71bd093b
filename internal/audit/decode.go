// Package audit reads Kubernetes API audit events (audit.k8s.io/v1) as the API server
// writes them: JSON lines from the log backend, one EventList per request from the webhook
// backend, or a JSON array. A bad event is counted and reported with its line or index; it
// never stops the stream.
package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	jsoniter "github.com/json-iterator/go"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Event is one audit event.
type Event = auditv1.Event

// DefaultMaxEventSize is the size limit of one event (the API server truncates events
// above 10 MiB in its truncate backend; most are below 10 KiB).
const DefaultMaxEventSize = 4 << 20

// DefaultMaxBatchSize bounds one top-level value holding several events (an EventList).
const DefaultMaxBatchSize = 64 << 20

// Problem is an event that could not be read: where it was and why.
type Problem struct {
	Source string // file name or "request"
	Line   int    // line where the value starts (1-based), 0 if unknown
	Index  int    // index within an EventList or array, -1 if the value stood alone
	Err    error
}

func (p Problem) Error() string {
	loc := p.Source
	if p.Line > 0 {
		loc += fmt.Sprintf(":%d", p.Line)
	}
	if p.Index >= 0 {
		loc += fmt.Sprintf(" item %d", p.Index)
	}
	return fmt.Sprintf("%s: %v", loc, p.Err)
}

// Reader reads events from a stream.
type Reader struct {
	// MaxEventSize is the largest event accepted, in bytes (DefaultMaxEventSize if 0).
	MaxEventSize int
	// MaxBatchSize is the largest EventList or array accepted (DefaultMaxBatchSize if 0).
	MaxBatchSize int
}

// Decode reads every event of r, calling fn for each good event and bad for each
// problem (bad may be nil). It returns the first error of r itself (not of an event) or
// the first error fn returns.
func (d Reader) Decode(r io.Reader, source string, fn func(*Event) error, bad func(Problem)) error {
	maxEvent, maxBatch := d.MaxEventSize, d.MaxBatchSize
	if maxEvent <= 0 {
		maxEvent = DefaultMaxEventSize
	}
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatchSize
	}
	if maxBatch < maxEvent {
		maxBatch = maxEvent
	}
	if bad == nil {
		bad = func(Problem) {}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := peekNonSpace(br)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	if first == '[' {
		return decodeArray(br, source, maxEvent, maxBatch, fn, bad)
	}
	return decodeLines(br, source, maxEvent, maxBatch, fn, bad)
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// decodeArray reads one JSON array of events.
func decodeArray(br *bufio.Reader, source string, maxEvent, maxBatch int, fn func(*Event) error, bad func(Problem)) error {
	dec := json.NewDecoder(io.LimitReader(br, int64(maxBatch)+1))
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// The array itself is broken: nothing further can be read reliably.
			bad(Problem{Source: source, Index: i, Err: err})
			return fmt.Errorf("%s: array item %d: %w", source, i, err)
		}
		if err := one(raw, source, 0, i, maxEvent, fn, bad); err != nil {
			return err
		}
	}
	return nil
}

// decodeLines reads JSON values one per line (the log backend, or one EventList per
// request from the webhook backend). A value spread over several lines (pretty-printed) is
// gathered until complete; a line starting with '{' at column 0 starts a new value, so a
// corrupt line costs only itself. Each value is an Event or an EventList.
func decodeLines(br *bufio.Reader, source string, maxEvent, maxBatch int, fn func(*Event) error, bad func(Problem)) error {
	var (
		buf       []byte // the value being gathered
		startLine int
		line      int
		skipping  bool // an oversized value is being skipped until its line ends
		lineStart = true
		depth     nesting
	)
	flushBad := func() {
		if len(buf) > 0 {
			bad(Problem{Source: source, Line: startLine, Index: -1, Err: syntaxError(bytes.TrimSpace(buf))})
			buf = buf[:0]
		}
	}
	for {
		chunk, err := br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return fmt.Errorf("%s: %w", source, err)
		}
		full := err == bufio.ErrBufferFull
		atStart := lineStart
		lineStart = !full
		if atStart {
			line++
		}
		if skipping {
			if !full {
				skipping = false
			}
			if err == io.EOF {
				return nil
			}
			continue
		}
		if atStart && len(chunk) > 0 && chunk[0] == '{' {
			flushBad() // an unfinished value before a new one was broken
		}
		if len(buf) == 0 {
			if len(bytes.TrimSpace(chunk)) == 0 && !full {
				if err == io.EOF {
					return nil
				}
				continue
			}
			startLine = line
		}
		if len(buf)+len(chunk) > maxBatch {
			bad(Problem{Source: source, Line: startLine, Index: -1, Err: fmt.Errorf("value larger than %d bytes", maxBatch)})
			buf, skipping = buf[:0], full
			if err == io.EOF {
				return nil
			}
			continue
		}
		if len(buf) == 0 {
			depth = nesting{}
		}
		buf = append(buf, chunk...)
		depth.scan(chunk)
		if full {
			continue
		}
		trimmed := bytes.TrimSpace(buf)
		switch {
		case len(trimmed) == 0:
			buf = buf[:0]
		case trimmed[0] != '{':
			bad(Problem{Source: source, Line: startLine, Index: -1, Err: errors.New("not a JSON object")})
			buf = buf[:0]
		case depth.closed():
			// Parsed once, when the brackets say the value is whole: gathering a
			// pretty-printed value stays linear in its size.
			switch perr := value(trimmed, source, startLine, maxEvent, fn, bad); {
			case perr == errIncomplete:
				bad(Problem{Source: source, Line: startLine, Index: -1, Err: syntaxError(trimmed)})
				buf = buf[:0]
			case perr != nil:
				return perr
			default:
				buf = buf[:0]
			}
		}
		if err == io.EOF {
			if len(buf) > 0 {
				bad(Problem{Source: source, Line: startLine, Index: -1, Err: io.ErrUnexpectedEOF})
			}
			return nil
		}
	}
}

// nesting follows the brackets of a JSON value as its bytes arrive, outside strings.
type nesting struct {
	depth           int
	started         bool
	inString, escap bool
}

func (n *nesting) scan(b []byte) {
	for _, c := range b {
		switch {
		case n.inString:
			switch {
			case n.escap:
				n.escap = false
			case c == '\\':
				n.escap = true
			case c == '"':
				n.inString = false
			}
		case c == '"':
			n.inString = true
		case c == '{' || c == '[':
			n.depth++
			n.started = true
		case c == '}' || c == ']':
			n.depth--
		}
	}
}

// closed reports whether the brackets opened so far are all closed (or over-closed: the
// value is broken and parsing it reports how).
func (n *nesting) closed() bool { return n.started && n.depth <= 0 }

// errIncomplete says a value is a valid beginning of JSON that needs more lines.
var errIncomplete = errors.New("incomplete JSON value")

// value handles one JSON object: an Event or an EventList. It reports a broken value
// through bad, and returns errIncomplete when the value is cut short (a pretty-printed
// value whose further lines are still to come), or the error fn returned.
func value(trimmed []byte, source string, line, maxEvent int, fn func(*Event) error, bad func(Problem)) error {
	// Fast path: json-iterator (standard-library compatible, about twice as fast) decodes
	// a good value; anything it refuses goes the careful way below, whose errors name the
	// item and the reason.
	if len(trimmed) <= maxEvent {
		if bytes.Contains(trimmed, []byte(`"items"`)) {
			var list struct {
				Kind  string  `json:"kind"`
				Items []Event `json:"items"`
			}
			if fastJSON.Unmarshal(trimmed, &list) == nil && list.Kind == "EventList" {
				return emitAll(list.Items, source, line, fn, bad)
			}
		} else {
			ev := new(Event)
			if fastJSON.Unmarshal(trimmed, ev) == nil {
				if err := check(ev); err != nil {
					bad(Problem{Source: source, Line: line, Index: -1, Err: err})
					return nil
				}
				return fn(ev)
			}
		}
	}
	if bytes.Contains(trimmed, []byte(`"items"`)) {
		var probe struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		err := json.Unmarshal(trimmed, &probe)
		if isSyntax(err) {
			return syntaxProblem(trimmed, source, line, bad)
		}
		if err == nil && probe.Kind == "EventList" {
			for i, raw := range probe.Items {
				if err := one(raw, source, line, i, maxEvent, fn, bad); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := json.Unmarshal(trimmed, new(json.RawMessage)); isSyntax(err) {
		return syntaxProblem(trimmed, source, line, bad)
	}
	return one(trimmed, source, line, -1, maxEvent, fn, bad)
}

// fastJSON is json-iterator in its standard-library-compatible mode.
var fastJSON = jsoniter.ConfigCompatibleWithStandardLibrary

func emitAll(items []Event, source string, line int, fn func(*Event) error, bad func(Problem)) error {
	for i := range items {
		ev := &items[i]
		if err := check(ev); err != nil {
			bad(Problem{Source: source, Line: line, Index: i, Err: err})
			continue
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// syntaxProblem reports a value that is not JSON, unless it is only cut short.
func syntaxProblem(b []byte, source string, line int, bad func(Problem)) error {
	if truncated(b) {
		return errIncomplete
	}
	bad(Problem{Source: source, Line: line, Index: -1, Err: syntaxError(b)})
	return nil
}

// truncated reports whether b is an incomplete JSON value (more input could complete it).
func truncated(b []byte) bool {
	var v any
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	return errors.As(err, &se) && se.Offset >= int64(len(b)) || errors.Is(err, io.ErrUnexpectedEOF)
}

func syntaxError(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return errors.New("invalid JSON")
}

// one decodes a single event.
func one(raw []byte, source string, line, index, maxEvent int, fn func(*Event) error, bad func(Problem)) error {
	if len(raw) > maxEvent {
		bad(Problem{Source: source, Line: line, Index: index, Err: fmt.Errorf("event of %d bytes is larger than the limit of %d", len(raw), maxEvent)})
		return nil
	}
	ev := new(Event)
	if err := json.Unmarshal(raw, ev); err != nil {
		bad(Problem{Source: source, Line: line, Index: index, Err: err})
		return nil
	}
	if err := check(ev); err != nil {
		bad(Problem{Source: source, Line: line, Index: index, Err: err})
		return nil
	}
	return fn(ev)
}

// check refuses values that decode but are not audit events.
func check(ev *Event) error {
	if ev.Kind != "" && ev.Kind != "Event" {
		return fmt.Errorf("kind %q is not an audit Event", ev.Kind)
	}
	if ev.APIVersion != "" && ev.APIVersion != "audit.k8s.io/v1" {
		return fmt.Errorf("apiVersion %q is not audit.k8s.io/v1", ev.APIVersion)
	}
	if ev.Verb == "" || ev.Stage == "" {
		return errors.New("not an audit event: verb or stage missing")
	}
	return nil
}
