package node

import (
	"fmt"
	"strconv"
	"strings"
)

// FlagType is what a component declares about one flag: its type as pflag names it
// ("bool", "string", "int32", "duration", "stringSlice", "mapStringBool", ...) and its
// default as the component prints it.
type FlagType struct {
	Type    string
	Default string
}

// flagSpec looks up a flag of one component; known is false for a flag the component
// does not declare.
type flagSpec func(name string) (t FlagType, known bool)

// Flags are a command line read the way the component's flag package reads it: pflag
// for the Kubernetes components (--name=value, --name value, a bare --name for a
// boolean, names normalized from underscores to dashes, list and map flags gathered
// over repetitions, the last value of any other flag winning) and Go's flag package
// for etcd (which also accepts a single dash).
type Flags struct {
	spec   flagSpec
	values map[string][]string
	lines  map[string]int
	// Unknown are flags the component does not declare (the component would refuse to
	// start with them, or the data is for another release).
	Unknown []string
	// Errors are arguments that could not be read (a flag missing its value).
	Errors []string
}

// accumulates says whether repeating a flag of type t adds to its value instead of
// replacing it.
func accumulates(t string) bool {
	switch t {
	case "stringSlice", "strings", "stringArray", "mapStringBool", "mapStringString",
		"colonSeparatedMultimapStringString", "ipSlice", "namedCertKey", "int32Slice", "intSlice":
		return true
	}
	return false
}

// parseFlags reads args (without the program name). lines, when not nil, holds the
// manifest line of each argument. singleDash accepts -name as --name (Go's flag package).
func parseFlags(spec flagSpec, args []string, lines []int, singleDash bool) *Flags {
	f := &Flags{spec: spec, values: map[string][]string{}, lines: map[string]int{}}
	lineOf := func(i int) int {
		if i < len(lines) {
			return lines[i]
		}
		return 0
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		var body string
		switch {
		case strings.HasPrefix(a, "--"):
			body = a[2:]
		case strings.HasPrefix(a, "-") && len(a) > 1 && (singleDash || isShorthand(a[1:])):
			body = a[1:]
		default:
			continue // a positional argument: no component here takes one that matters
		}
		flagLine := lineOf(i) // the flag's own line, also when its value is the next argument
		name, value, hasValue := strings.Cut(body, "=")
		name = normalizeFlag(name)
		if name == "" {
			continue
		}
		t, known := spec(name)
		if !known {
			f.Unknown = append(f.Unknown, name)
		}
		if !hasValue {
			switch {
			case t.Type == "bool" || (!known && (i+1 >= len(args) || strings.HasPrefix(args[i+1], "-"))):
				value = "true"
			case i+1 < len(args):
				i++
				value = args[i]
			default:
				f.Errors = append(f.Errors, fmt.Sprintf("flag --%s needs a value", name))
				continue
			}
		}
		f.set(name, value, flagLine, accumulates(t.Type))
	}
	return f
}

// isShorthand says whether -x... is pflag's shorthand form the components declare (-v).
func isShorthand(s string) bool { return s == "v" || strings.HasPrefix(s, "v=") }

func normalizeFlag(name string) string {
	if name == "v" {
		return name
	}
	return strings.ReplaceAll(name, "_", "-")
}

func (f *Flags) set(name, value string, line int, accumulate bool) {
	if accumulate {
		f.values[name] = append(f.values[name], value)
	} else {
		f.values[name] = []string{value}
	}
	if line > 0 {
		f.lines[name] = line
	}
}

// Lookup returns a flag's value as given (repetitions of a list flag joined with
// commas) and whether it was given at all.
func (f *Flags) Lookup(name string) (string, bool) {
	if f == nil {
		return "", false
	}
	v, ok := f.values[name]
	if !ok {
		return "", false
	}
	return strings.Join(v, ","), true
}

// Set says whether a flag was given.
func (f *Flags) Set(name string) bool {
	_, ok := f.Lookup(name)
	return ok
}

// Value is the flag's effective value: as given, else the component's default.
func (f *Flags) Value(name string) string {
	if v, ok := f.Lookup(name); ok {
		return v
	}
	if f == nil || f.spec == nil {
		return ""
	}
	t, _ := f.spec(name)
	if accumulates(t.Type) {
		// pflag prints list defaults as [a,b] and map defaults as [a=b].
		return strings.TrimSuffix(strings.TrimPrefix(t.Default, "["), "]")
	}
	return t.Default
}

// Bool is a boolean flag's effective value; err says why a given value is not a boolean.
func (f *Flags) Bool(name string) (bool, error) {
	v := f.Value(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("--%s=%q is not a boolean", name, v)
	}
	return b, nil
}

// List is a list flag's effective value split at commas, without empty items.
func (f *Flags) List(name string) []string {
	return splitList(f.Value(name))
}

// Line is the manifest line a flag was last set on, 0 when unknown.
func (f *Flags) Line(name string) int {
	if f == nil {
		return 0
	}
	return f.lines[name]
}

// Names lists the flags given, sorted.
func (f *Flags) Names() []string { return sortedKeys(f.values) }

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Map is a map flag's effective value (--feature-gates=A=true,B=false); later keys win.
func (f *Flags) Map(name string) map[string]string {
	out := map[string]string{}
	for _, kv := range f.List(name) {
		k, v, _ := strings.Cut(kv, "=")
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}
