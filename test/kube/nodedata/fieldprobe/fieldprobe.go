// Package fieldprobe finds the configuration field each of a component's flags sets,
// by experiment: the flag alone is parsed with a value of its type that differs from
// its default, onto a fresh configuration, and the one field of the versioned
// configuration that then differs is the flag's. Nothing is matched by name, so a
// flag whose name and field disagree (--anonymous-auth,
// authentication.anonymous.enabled) is found all the same.
package fieldprobe

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
)

// Found is the field a flag sets, as a JSON path ("authentication.anonymous.enabled"),
// and the value of the flag that showed it.
type Found struct {
	Path  string
	Value string
}

// Fields derives the field of each flag of flags. apply parses the given arguments onto a fresh
// configuration and returns it in its versioned type, or an error if the arguments do
// not parse or the component rejects them. gate is a feature gate the component knows
// and accepts as set, "Name=value" (one locked to its default). Flags for which no
// value changes exactly one field are reported in unmapped as
// "component --flag: reason".
func Fields(component string, flags *pflag.FlagSet, apply func(args []string) (any, error), gate string, unmapped *[]string) (map[string]Found, error) {
	base, err := apply(nil)
	if err != nil {
		return nil, fmt.Errorf("with no flags: %w", err)
	}
	fields := map[string]Found{}
	flags.VisitAll(func(f *pflag.Flag) {
		name := string(cliflag.WordSepNormalizeFunc(nil, f.Name))
		var parsed, rejected []string // what the values that parsed did; why the others did not
		for _, value := range candidates(f, gate) {
			got, err := apply([]string{"--" + name + "=" + value})
			if err != nil {
				rejected = append(rejected, fmt.Sprintf("%s rejected: %s", value, firstLine(err)))
				continue
			}
			switch changed := Changed(base, got); len(changed) {
			case 1:
				fields[name] = Found{Path: changed[0], Value: value}
				return
			case 0:
				parsed = append(parsed, value+" sets no configuration field")
			default:
				parsed = append(parsed, fmt.Sprintf("%s sets %d fields (%s)", value, len(changed), strings.Join(changed, ", ")))
			}
		}
		why := append(parsed, rejected...)[0] // the candidate lists are never empty
		*unmapped = append(*unmapped, fmt.Sprintf("%s --%s: %s", component, name, why))
	})
	return fields, nil
}

// candidates are the values tried for a flag, most likely first: one of its type
// that differs from its default, then values of other shapes for flags whose type
// name says little (custom values that check their syntax).
func candidates(f *pflag.Flag, gate string) []string {
	var typed []string
	switch t := f.Value.Type(); {
	case t == "bool":
		if b, err := strconv.ParseBool(f.DefValue); err == nil {
			typed = []string{strconv.FormatBool(!b)}
		}
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint") || t == "Level":
		typed = []string{"12345", "7"}
	case strings.HasPrefix(t, "float"):
		typed = []string{"0.125", "0.375"}
	case t == "duration":
		typed = []string{"1h2m3s", "2h3m4s"}
	case t == "mapStringBool":
		// A gate that exists and is locked to its default: kube-proxy hands its
		// --feature-gates to the shared gate, which rejects unknown gates.
		typed = []string{"MoatSample=true"}
		if gate != "" {
			typed = append(typed, gate)
		}
	}
	generic := []string{"moat-sample", "moat-a,moat-b", "moat=sample", "moat<1Gi", "moat:sample",
		"10.11.12.13", "10.11.12.13:4321", "10.11.0.0/16", "moat=sample:NoSchedule", "0:memory=1Gi", "moat=3", "json", "12345"}
	out := typed
	for _, g := range generic {
		if g != f.DefValue && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

// Changed returns the JSON paths at which two values of one configuration type
// differ, in the order of the type's fields.
func Changed(a, b any) []string {
	return changedFields(reflect.ValueOf(a), reflect.ValueOf(b), "")
}

// changedFields returns the JSON paths ("authentication.anonymous.enabled") at which
// a and b, two values of one configuration type, differ. It descends into structs by
// their fields' json names and takes anything else as one field: a map, a list, or a
// value that marshals itself (metav1.Duration), which is what one flag sets.
func changedFields(a, b reflect.Value, prefix string) []string {
	t := a.Type()
	switch {
	case t.Kind() == reflect.Pointer && isConfigStruct(t.Elem()):
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return []string{prefix}
			}
			return nil
		}
		return changedFields(a.Elem(), b.Elem(), prefix)
	case t.Kind() == reflect.Interface && !a.IsNil() && !b.IsNil() && a.Elem().Type() == b.Elem().Type():
		return changedFields(a.Elem(), b.Elem(), prefix)
	case isConfigStruct(t):
		var out []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, inline := jsonName(f)
			if !f.IsExported() || name == "-" {
				continue
			}
			path := prefix
			if !inline {
				path = joinPath(prefix, name)
			}
			out = append(out, changedFields(a.Field(i), b.Field(i), path)...)
		}
		return out
	case sameValue(a, b):
		return nil
	default:
		return []string{prefix}
	}
}

// isConfigStruct reports whether t is a struct the JSON encoding walks field by field.
func isConfigStruct(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && !t.Implements(jsonMarshaler) && !reflect.PointerTo(t).Implements(jsonMarshaler)
}

// jsonName is a field's name in JSON, and whether encoding/json inlines it (an
// embedded struct without a name, such as TypeMeta with `json:",inline"`).
func jsonName(f reflect.StructField) (name string, inline bool) {
	name, _, _ = strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		if f.Anonymous {
			return "", true
		}
		return f.Name, false
	}
	return name, false
}

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// sameValue compares two leaves as their JSON would: an empty map or list is the same
// as none.
func sameValue(a, b reflect.Value) bool {
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return true
	}
	switch a.Kind() {
	case reflect.Map, reflect.Slice:
		return a.Len() == 0 && b.Len() == 0
	}
	return false
}
