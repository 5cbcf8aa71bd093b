// Package report renders everything Moat prints: a scan's findings (table, json, sarif,
// junit, policyreport) and the answers of the other commands — who-can, can, paths,
// connections, the rule lists and audit alerts.
//
// Each document has one format set (Findings, WhoCan, Can, Paths, Connections, Rules,
// DetectionRules, Alerts): New(format, Options) gives a fresh renderer for a format
// name, or an *UnknownFormatError that lists what that document supports. Terminal
// settings (colour, width) are the caller's decision, passed in Options; no renderer
// keeps state between calls and the package has no mutable globals.
//
// Renderers only render: every decision (what is a finding, what is suppressed, the
// order) was made before. Every renderer is deterministic: the same value gives the same
// bytes, so output can be diffed and kept as golden files. Every format meant for a
// person escapes the control and format characters of the text it shows (see Escape).
package report

import (
	"fmt"
	"github.com/moat-dev/moat/internal/report/htmlreport"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// Report is everything a findings renderer may show.
type Report struct {
	Summary finding.Summary
	// Findings are sorted; suppressed ones are included only when ShowSuppressed is set.
	Findings []finding.Finding
	// Errors are input problems, each naming its file and line.
	Errors []string
	// Warnings are lost coverage and similar notes.
	Warnings []string
	// Partial says that whole kinds could not be read: the findings are incomplete.
	Partial bool
	// Skipped are the inputs that were read and hold nothing to scan, each with why:
	// files of a directory walk that are not Kubernetes objects, a directory of
	// Kustomize Components no overlay uses.
	Skipped []Skipped
	// Rules are the rules that ran, for renderers that describe them (SARIF).
	Rules []*rule.Rule
	// ToolVersion is Moat's version.
	ToolVersion string
	// Graphs are drawn by the html format in tabs of their own (the attack paths, the
	// NetworkPolicy connectivity); other formats leave them out.
	Graphs []htmlreport.Graph
	// Namespaces are the scanned objects' namespaces, for the html format's compliance
	// view (namespaces without findings are listed too).
	Namespaces []string
	// ClusterReportName, when set, names the ClusterPolicyReport instead of
	// ClusterPolicyReportName: moat node names one per node, so that the reports of
	// several nodes do not overwrite each other.
	ClusterReportName string
	// Time is when the scan ran. Formats that carry a time (policyreport) use it, so that
	// rendering reads no clock; the zero value leaves the time out.
	Time time.Time
}

// Skipped is an input that was read and not scanned, and why.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Renderer writes one document of type T in one format.
type Renderer[T any] interface {
	Render(w io.Writer, v T) error
}

// RendererFunc adapts a function to Renderer.
type RendererFunc[T any] func(w io.Writer, v T) error

func (f RendererFunc[T]) Render(w io.Writer, v T) error { return f(w, v) }

// Options are the terminal settings the caller decided. Formats that are not for a
// person ignore them.
type Options struct {
	// Color turns on ANSI colours; set it only for a terminal without NO_COLOR.
	Color bool
	// Width is the column text wraps at; 0 means DefaultWidth.
	Width int
	// Verbose lists what the summary only counts (the skipped inputs).
	Verbose bool
}

// UnknownFormatError is the error of New for a format the document does not have.
type UnknownFormatError struct {
	Format string
	// Supported are the formats of that document, in the order help text gives them.
	Supported []string
}

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("unknown output format %q (want %s)", e.Format, orList(e.Supported))
}

// orList writes names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// formatSet maps format names to constructors, keeping the order they were given in.
// It is built once, by a package variable's initializer, and only read after.
type formatSet[C any] struct {
	names  []string
	byName map[string]C
}

type namedFormat[C any] struct {
	name string
	make C
}

func newFormatSet[C any](fs ...namedFormat[C]) formatSet[C] {
	s := formatSet[C]{byName: make(map[string]C, len(fs))}
	for _, f := range fs {
		if _, dup := s.byName[f.name]; dup {
			panic("report: format " + f.name + " given twice")
		}
		s.names = append(s.names, f.name)
		s.byName[f.name] = f.make
	}
	return s
}

func (s *formatSet[C]) lookup(format string) (C, error) {
	c, ok := s.byName[format]
	if !ok {
		return c, &UnknownFormatError{Format: format, Supported: s.Names()}
	}
	return c, nil
}

// Names lists the formats, the default (the one a command's --output starts at) first.
func (s *formatSet[C]) Names() []string { return slices.Clone(s.names) }

// Choices lists the formats for help text: "table, json or dot".
func (s *formatSet[C]) Choices() string { return orList(s.names) }

// Formats are the output formats of one document of type T.
type Formats[T any] struct {
	formatSet[func(Options) Renderer[T]]
}

// New returns a new renderer of the format; each call returns a value of its own.
func (f *Formats[T]) New(format string, opt Options) (Renderer[T], error) {
	mk, err := f.lookup(format)
	if err != nil {
		return nil, err
	}
	return mk(opt), nil
}

// format names a renderer constructor.
func format[T any](name string, mk func(Options) Renderer[T]) namedFormat[func(Options) Renderer[T]] {
	return namedFormat[func(Options) Renderer[T]]{name, mk}
}

// plain names a renderer that takes no options.
func plain[T any](name string, render func(io.Writer, T) error) namedFormat[func(Options) Renderer[T]] {
	return format(name, func(Options) Renderer[T] { return RendererFunc[T](render) })
}

func newFormats[T any](fs ...namedFormat[func(Options) Renderer[T]]) *Formats[T] {
	return &Formats[T]{newFormatSet(fs...)}
}
