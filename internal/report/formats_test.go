package report

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// formatSets are every document's formats: names in help order, the default first.
var formatSets = []struct {
	doc   string
	names []string
	new   func(format string, opt Options) (any, error)
}{
	{"findings", []string{"table", "json", "sarif", "junit", "policyreport", "html"}, anyNew(Findings)},
	{"who-can", []string{"table", "json"}, anyNew(WhoCan)},
	{"can", []string{"table", "json"}, anyNew(Can)},
	{"paths", []string{"table", "json", "dot"}, anyNew(Paths)},
	{"connections", []string{"table", "json", "csv", "dot"}, anyNew(Connections)},
	{"attack paths", []string{"table", "json", "dot", "html"}, anyNew(AttackPaths)},
	{"rules", []string{"table", "json"}, anyNew(Rules)},
	{"detection rules", []string{"table", "json"}, anyNew(DetectionRules)},
	{"alerts", []string{"json", "table"}, func(format string, opt Options) (any, error) {
		return Alerts.New(format, io.Discard, opt)
	}},
}

type namedSet interface {
	Names() []string
	Choices() string
}

func anyNew[T any](f *Formats[T]) func(string, Options) (any, error) {
	return func(format string, opt Options) (any, error) { return f.New(format, opt) }
}

func TestFormatSets(t *testing.T) {
	sets := map[string]namedSet{
		"findings": Findings, "who-can": WhoCan, "can": Can, "paths": Paths, "connections": Connections, "attack paths": AttackPaths,
		"rules": Rules, "detection rules": DetectionRules, "alerts": Alerts,
	}
	for _, fs := range formatSets {
		t.Run(fs.doc, func(t *testing.T) {
			set := sets[fs.doc]
			if got := set.Names(); !slices.Equal(got, fs.names) {
				t.Errorf("Names() = %v, want %v", got, fs.names)
			}
			set.Names()[0] = "changed" // a copy: the set keeps its names
			if got := set.Names()[0]; got != fs.names[0] {
				t.Errorf("Names() gave the set's own slice: first name now %q", got)
			}
			for _, name := range fs.names {
				if r, err := fs.new(name, Options{}); err != nil || r == nil {
					t.Errorf("New(%q) = %v, %v", name, r, err)
				}
			}
		})
	}
}

// An unknown format gets one error type, naming what that document supports.
func TestUnknownFormat(t *testing.T) {
	want := map[string]string{
		"findings":        `unknown output format "xml" (want table, json, sarif, junit, policyreport or html)`,
		"who-can":         `unknown output format "xml" (want table or json)`,
		"can":             `unknown output format "xml" (want table or json)`,
		"paths":           `unknown output format "xml" (want table, json or dot)`,
		"connections":     `unknown output format "xml" (want table, json, csv or dot)`,
		"attack paths":    `unknown output format "xml" (want table, json, dot or html)`,
		"rules":           `unknown output format "xml" (want table or json)`,
		"detection rules": `unknown output format "xml" (want table or json)`,
		"alerts":          `unknown output format "xml" (want json or table)`,
	}
	for _, fs := range formatSets {
		t.Run(fs.doc, func(t *testing.T) {
			for _, bad := range []string{"xml", "", "TABLE", " json"} {
				r, err := fs.new(bad, Options{})
				var ufe *UnknownFormatError
				if !errors.As(err, &ufe) {
					t.Fatalf("New(%q) = %v, %v; want an *UnknownFormatError", bad, r, err)
				}
				if ufe.Format != bad || !slices.Equal(ufe.Supported, fs.names) {
					t.Errorf("New(%q): error %+v", bad, ufe)
				}
			}
			_, err := fs.new("xml", Options{})
			if err.Error() != want[fs.doc] {
				t.Errorf("error %q\nwant  %q", err, want[fs.doc])
			}
		})
	}
}

func TestOrList(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "nothing"}, {[]string{"json"}, "json"}, {[]string{"table", "json"}, "table or json"},
		{[]string{"table", "json", "dot"}, "table, json or dot"},
	} {
		if got := orList(tc.in); got != tc.want {
			t.Errorf("orList(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Every New returns a value of its own: the options of one never reach another.
func TestNewIndependent(t *testing.T) {
	color := newRenderer(t, Findings, "table", Options{Color: true})
	plain := newRenderer(t, Findings, "table", Options{})
	narrow := newRenderer(t, Findings, "table", Options{Width: 40})
	if color == plain || plain == narrow {
		t.Fatal("two New calls returned the same table")
	}
	if out := render(t, plain, fixture()); bytes.Contains(out, []byte("\x1b")) {
		t.Error("a table made without Color after one with Color has colour")
	}
	if out := render(t, color, fixture()); !bytes.Contains(out, []byte("\x1b[1;35mCRITICAL")) {
		t.Error("the table made with Color lost it")
	}
	if got, want := render(t, plain, fixture()), render(t, newRenderer(t, Findings, "table", Options{}), fixture()); !bytes.Equal(got, want) {
		t.Error("a plain table changed once other tables were made")
	}
	for _, l := range strings.Split(string(render(t, plain, fixture())), "\n") {
		if len([]rune(l)) > DefaultWidth {
			t.Errorf("line wider than the default width: %q", l)
		}
	}
	if bytes.Equal(render(t, narrow, fixture()), render(t, plain, fixture())) {
		t.Error("Width did not reach the table it was given to")
	}

	// Two alert writers: each writes to its own writer and holds its own rows.
	var a, b bytes.Buffer
	wa, _ := Alerts.New("table", &a, Options{})
	wb, _ := Alerts.New("table", &b, Options{})
	al := alertsFixture()
	if err := wa.Write(al[0]); err != nil {
		t.Fatal(err)
	}
	if err := wb.Write(al[1]); err != nil {
		t.Fatal(err)
	}
	wa.Close()
	wb.Close()
	if !strings.Contains(a.String(), al[0].Rule) || strings.Contains(a.String(), al[1].Rule) ||
		!strings.Contains(b.String(), al[1].Rule) || strings.Contains(b.String(), al[0].Rule) {
		t.Errorf("alert writers share rows:\n%s\n%s", a.String(), b.String())
	}
}
