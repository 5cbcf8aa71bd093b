package node

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// flagTestTypes is a small flag table in the shape of the generated component data:
// pflag's type names, and defaults as pflag prints them (a list flag's default in
// brackets).
var flagTestTypes = map[string]FlagType{
	"profiling":                {Type: "bool", Default: "true"},
	"anonymous-auth":           {Type: "bool", Default: "true"},
	"client-ca-file":           {Type: "string"},
	"bind-address":             {Type: "ip", Default: "0.0.0.0"},
	"audit-log-maxage":         {Type: "int", Default: "0"},
	"authorization-mode":       {Type: "stringSlice", Default: "[]"},
	"enable-admission-plugins": {Type: "stringSlice", Default: "[]"},
	"tls-cipher-suites":        {Type: "stringSlice", Default: "[]"},
	"feature-gates":            {Type: "mapStringBool"},
	"v":                        {Type: "Level", Default: "0"},
	"listen-client-urls":       {Type: "string", Default: "http://localhost:2379"},
	"cert-file":                {Type: "string"},
	"client-cert-auth":         {Type: "bool", Default: "false"},
}

func flagTestSpec(name string) (FlagType, bool) {
	t, ok := flagTestTypes[name]
	return t, ok
}

// flagCases are command lines and what the component reads from them; they seed
// FuzzParseFlags too.
var flagCases = []struct {
	name       string
	args       []string
	singleDash bool
	// want are the flags given and their values as Lookup returns them; every other
	// flag of the table must be unset.
	want map[string]string
	// unknown and errors are what Flags reports besides.
	unknown []string
	errors  []string
}{
	{name: "name=value", args: []string{"--client-ca-file=/pki/ca.crt"},
		want: map[string]string{"client-ca-file": "/pki/ca.crt"}},
	{name: "name then value", args: []string{"--client-ca-file", "/pki/ca.crt"},
		want: map[string]string{"client-ca-file": "/pki/ca.crt"}},
	{name: "value with an equals sign", args: []string{"--feature-gates=A=true"},
		want: map[string]string{"feature-gates": "A=true"}},
	{name: "empty value", args: []string{"--client-ca-file="},
		want: map[string]string{"client-ca-file": ""}},
	{name: "bare boolean is true", args: []string{"--profiling"},
		want: map[string]string{"profiling": "true"}},
	{name: "bare boolean before another flag", args: []string{"--profiling", "--client-ca-file=/ca"},
		want: map[string]string{"profiling": "true", "client-ca-file": "/ca"}},
	// pflag gives a bare boolean its NoOptDefVal and leaves the next word as a
	// positional argument: "--profiling false" is profiling=true.
	{name: "boolean followed by a value-looking word", args: []string{"--profiling", "false"},
		want: map[string]string{"profiling": "true"}},
	{name: "boolean with a value", args: []string{"--profiling=false"},
		want: map[string]string{"profiling": "false"}},
	// A string flag takes the next word whatever it looks like, as pflag does.
	{name: "string flag takes a dash word", args: []string{"--client-ca-file", "--profiling"},
		want: map[string]string{"client-ca-file": "--profiling"}},
	{name: "list flag repeated accumulates", args: []string{"--authorization-mode=Node", "--authorization-mode=RBAC,Webhook"},
		want: map[string]string{"authorization-mode": "Node,RBAC,Webhook"}},
	{name: "map flag repeated accumulates", args: []string{"--feature-gates=A=true", "--feature-gates", "B=false"},
		want: map[string]string{"feature-gates": "A=true,B=false"}},
	{name: "scalar repeated: last wins", args: []string{"--client-ca-file=/a", "--client-ca-file=/b"},
		want: map[string]string{"client-ca-file": "/b"}},
	{name: "boolean repeated: last wins", args: []string{"--profiling=false", "--profiling"},
		want: map[string]string{"profiling": "true"}},
	{name: "underscores normalized", args: []string{"--client_ca_file=/a", "--audit_log_maxage", "30"},
		want: map[string]string{"client-ca-file": "/a", "audit-log-maxage": "30"}},
	{name: "double dash stops", args: []string{"--profiling=false", "--", "--client-ca-file=/a"},
		want: map[string]string{"profiling": "false"}},
	{name: "positional words skipped", args: []string{"serve", "--profiling=false", "extra"},
		want: map[string]string{"profiling": "false"}},
	{name: "missing value", args: []string{"--profiling=false", "--client-ca-file"},
		want:   map[string]string{"profiling": "false"},
		errors: []string{"flag --client-ca-file needs a value"}},
	{name: "-v=2", args: []string{"-v=2"}, want: map[string]string{"v": "2"}},
	{name: "-v 3", args: []string{"-v", "3"}, want: map[string]string{"v": "3"}},
	{name: "--v=4", args: []string{"--v=4"}, want: map[string]string{"v": "4"}},
	// pflag reads -client-ca-file as the shorthands c, l, i...: the component refuses
	// it, and Moat does not take it for --client-ca-file.
	{name: "single dash is not a long flag for pflag", args: []string{"-client-ca-file=/a"},
		want: map[string]string{}},
	{name: "single dash for Go's flag package", args: []string{"-cert-file=/a", "-client-cert-auth"}, singleDash: true,
		want: map[string]string{"cert-file": "/a", "client-cert-auth": "true"}},
	{name: "lone dash is positional", args: []string{"-", "--profiling=false"},
		want: map[string]string{"profiling": "false"}},
	{name: "unknown flag with a value", args: []string{"--moat-unknown=x"},
		want: map[string]string{"moat-unknown": "x"}, unknown: []string{"moat-unknown"}},
	{name: "unknown flag then its value", args: []string{"--moat-unknown", "x"},
		want: map[string]string{"moat-unknown": "x"}, unknown: []string{"moat-unknown"}},
	{name: "unknown flag before a flag reads as a boolean", args: []string{"--moat-unknown", "--profiling=false"},
		want: map[string]string{"moat-unknown": "true", "profiling": "false"}, unknown: []string{"moat-unknown"}},
	{name: "unknown flag last reads as a boolean", args: []string{"--moat-unknown"},
		want: map[string]string{"moat-unknown": "true"}, unknown: []string{"moat-unknown"}},
	{name: "empty name skipped", args: []string{"--=x", "--profiling=false"},
		want: map[string]string{"profiling": "false"}},
}

func TestParseFlags(t *testing.T) {
	for _, tc := range flagCases {
		t.Run(tc.name, func(t *testing.T) {
			f := parseFlags(flagTestSpec, tc.args, nil, tc.singleDash)
			for name, want := range tc.want {
				got, ok := f.Lookup(name)
				if !ok || got != want {
					t.Errorf("Lookup(%q) = %q, %t; want %q, true", name, got, ok, want)
				}
			}
			for _, name := range slices.Sorted(maps.Keys(flagTestTypes)) {
				if _, given := tc.want[name]; !given && f.Set(name) {
					v, _ := f.Lookup(name)
					t.Errorf("%s is set to %q; want it unset", name, v)
				}
			}
			if want := slices.Sorted(maps.Keys(tc.want)); !slices.Equal(f.Names(), want) {
				t.Errorf("Names() = %q, want %q", f.Names(), want)
			}
			if !slices.Equal(f.Unknown, tc.unknown) {
				t.Errorf("Unknown = %q, want %q", f.Unknown, tc.unknown)
			}
			if !slices.Equal(f.Errors, tc.errors) {
				t.Errorf("Errors = %q, want %q", f.Errors, tc.errors)
			}
		})
	}
}

// TestFlagsLines checks that each flag remembers the manifest line it was set on, the
// last one for a repeated flag.
func TestFlagsLines(t *testing.T) {
	args := []string{"--profiling=false", "--client-ca-file", "/ca", "--authorization-mode=Node", "--authorization-mode=RBAC"}
	lines := []int{10, 11, 12, 13, 14}
	f := parseFlags(flagTestSpec, args, lines, false)
	for name, want := range map[string]int{
		"profiling":          10,
		"client-ca-file":     11, // the flag's own line, not its value's: a manifest may write them apart
		"authorization-mode": 14,
		"anonymous-auth":     0, // not given
	} {
		if got := f.Line(name); got != want {
			t.Errorf("Line(%q) = %d, want %d", name, got, want)
		}
	}
	if got := parseFlags(flagTestSpec, args, lines[:1], false).Line("client-ca-file"); got != 0 {
		t.Errorf("with fewer lines than arguments, Line = %d, want 0", got)
	}
}

func TestFlagsValues(t *testing.T) {
	f := parseFlags(flagTestSpec, []string{
		"--anonymous-auth=false", "--enable-admission-plugins=NodeRestriction, PodSecurity,,",
		"--feature-gates=A=true,B=false", "--feature-gates= A = false ",
	}, nil, false)
	t.Run("Value of a given flag", func(t *testing.T) {
		if got := f.Value("anonymous-auth"); got != "false" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("Value of an unset flag is the default", func(t *testing.T) {
		for name, want := range map[string]string{"profiling": "true", "bind-address": "0.0.0.0", "client-ca-file": "", "moat-unknown": ""} {
			if got := f.Value(name); got != want {
				t.Errorf("Value(%q) = %q, want %q", name, got, want)
			}
		}
	})
	t.Run("Bool", func(t *testing.T) {
		for name, want := range map[string]bool{"anonymous-auth": false, "profiling": true, "client-cert-auth": false, "client-ca-file": false} {
			got, err := f.Bool(name)
			if err != nil || got != want {
				t.Errorf("Bool(%q) = %t, %v; want %t", name, got, err, want)
			}
		}
		g := parseFlags(flagTestSpec, []string{"--profiling=sometimes"}, nil, false)
		if _, err := g.Bool("profiling"); err == nil || !strings.Contains(err.Error(), `--profiling="sometimes" is not a boolean`) {
			t.Errorf("Bool of a non-boolean: err = %v", err)
		}
	})
	t.Run("List drops blanks and spaces", func(t *testing.T) {
		if got, want := f.List("enable-admission-plugins"), []string{"NodeRestriction", "PodSecurity"}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("Map: later keys win", func(t *testing.T) {
		got := f.Map("feature-gates")
		if want := map[string]string{"A": "false", "B": "false"}; !maps.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("nil Flags", func(t *testing.T) {
		var n *Flags
		if _, ok := n.Lookup("profiling"); ok || n.Set("profiling") || n.Value("profiling") != "" || n.Line("profiling") != 0 {
			t.Error("nil Flags should read as nothing given")
		}
	})
}

// TestFlagsListDefaults checks list flags that are not given: pflag prints a list
// flag's default in brackets ("[]", "[AlwaysAllow]"), and the component data keeps
// that text, so List must read it as the list it stands for.
func TestFlagsListDefaults(t *testing.T) {
	spec := func(name string) (FlagType, bool) {
		switch name {
		case "authorization-mode":
			return FlagType{Type: "stringSlice", Default: "[]"}, true
		case "enable-admission-plugins":
			return FlagType{Type: "stringSlice", Default: "[NamespaceLifecycle,ServiceAccount]"}, true
		case "tls-cipher-suites":
			return FlagType{Type: "stringArray", Default: "[TLS_AES_128_GCM_SHA256]"}, true
		}
		return FlagType{}, false
	}
	f := parseFlags(spec, nil, nil, false)
	for name, want := range map[string][]string{
		"authorization-mode":       nil,
		"enable-admission-plugins": {"NamespaceLifecycle", "ServiceAccount"},
		"tls-cipher-suites":        {"TLS_AES_128_GCM_SHA256"},
	} {
		if got := f.List(name); !slices.Equal(got, want) {
			t.Errorf("List(%q) of the default = %q, want %q", name, got, want)
		}
	}
}

func TestSplitWords(t *testing.T) {
	for _, tc := range splitCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitWords(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// splitCases are command lines as `ps -eo args` prints them; they seed FuzzSplitWords.
var splitCases = []struct {
	name, in string
	want     []string
	err      string
}{
	{name: "plain", in: "kube-apiserver --a=b --c d", want: []string{"kube-apiserver", "--a=b", "--c", "d"}},
	{name: "runs of spaces and tabs", in: "  etcd \t --name=x\t\t--data-dir=/d  ", want: []string{"etcd", "--name=x", "--data-dir=/d"}},
	{name: "double quotes keep spaces", in: `kubelet "--node-labels=a=b c" --x`, want: []string{"kubelet", "--node-labels=a=b c", "--x"}},
	{name: "single quotes keep spaces", in: `kubelet '--a=b c'`, want: []string{"kubelet", "--a=b c"}},
	{name: "quotes inside a word", in: `kubelet --a="b c"d e`, want: []string{"kubelet", "--a=b cd", "e"}},
	{name: "other quote inside quotes", in: `x "it's" 'say "hi"'`, want: []string{"x", "it's", `say "hi"`}},
	{name: "empty quotes are an empty word", in: `x '' ""`, want: []string{"x", "", ""}},
	{name: "backslash is not an escape", in: `x C:\dir\f a\ b`, want: []string{"x", `C:\dir\f`, `a\`, "b"}},
	{name: "empty line", in: "", want: nil},
	// Linux paths are bytes: one that is not UTF-8 must name the same file.
	{name: "bytes that are not UTF-8 are kept", in: "kube-apiserver --client-ca-file=/etc/k\xe9/ca.crt \xa0",
		want: []string{"kube-apiserver", "--client-ca-file=/etc/k\xe9/ca.crt", "\xa0"}},
	{name: "unterminated double quote", in: `kubelet "--a=b`, err: "unterminated quote"},
	{name: "unterminated single quote", in: `kubelet --a='b`, err: "unterminated quote"},
}

// TestFlagsAuthorizationModeDefault checks the API server without --authorization-mode or
// --authorization-config: its flag default is empty ("[]"), and it then runs
// AlwaysAllow (BuiltInAuthorizationOptions.Complete), which the checks must see.
func TestFlagsAuthorizationModeDefault(t *testing.T) {
	spec := func(name string) (FlagType, bool) {
		if name == "authorization-mode" {
			return FlagType{Type: "stringSlice", Default: "[]"}, true
		}
		return FlagType{Type: "string"}, true
	}
	h := &Host{Name: "cp-1", Files: map[string]*File{}}
	c := beyondComponent(h, APIServer)
	c.Flags = parseFlags(spec, []string{"--client-ca-file=/ca"}, nil, false)
	fs := beyondRun(t, h, "apiserver/authorization-always-allow", "apiserver/authorization-node", "apiserver/authorization-rbac")
	var got []string
	for _, f := range fs {
		got = append(got, f.RuleID)
	}
	slices.Sort(got)
	want := []string{"apiserver/authorization-always-allow", "apiserver/authorization-node", "apiserver/authorization-rbac"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q:\n%s", got, want, describeFindings(fs))
	}
}
