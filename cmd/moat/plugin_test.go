package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestPluginMode(t *testing.T) {
	for _, tc := range []struct {
		argv0 string
		want  bool
	}{
		{"kubectl-moat", true},
		{"/home/me/.krew/bin/kubectl-moat", true},
		{"./kubectl-moat", true},
		{`C:\Users\me\.krew\bin\kubectl-moat.exe`, true},
		{"moat", false},
		{"/usr/local/bin/moat", false},
		{"kubectl-moat-dev", false},
		{"/opt/kubectl-moat/moat", false},
		{"kubectl", false},
		{"", false},
	} {
		if got := pluginMode(tc.argv0); got != tc.want {
			t.Errorf("pluginMode(%q) = %v, want %v", tc.argv0, got, tc.want)
		}
	}
}

// help prints the help of a command line, as the plugin or as moat.
func help(t *testing.T, plugin bool, args ...string) string {
	t.Helper()
	root := newRootCmd()
	if plugin {
		asPlugin(root)
	}
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--help"))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestPluginUsage checks that, run as kubectl-moat, every usage line and example says
// `kubectl moat`, and that run as moat nothing changes.
func TestPluginUsage(t *testing.T) {
	for _, tc := range []struct {
		name        string
		plugin      bool
		args        []string
		want, avoid []string
	}{
		{
			name: "the plugin's root", plugin: true,
			want:  []string{"Usage:\n  kubectl moat [command]", `Use "kubectl moat [command] --help"`},
			avoid: []string{"\n  moat [command]"},
		},
		{
			name: "the plugin's scan", plugin: true, args: []string{"scan"},
			want:  []string{"Usage:\n  kubectl moat scan [PATH... | --cluster] [flags]", "  kubectl moat scan examples/shop", "| kubectl moat scan -"},
			avoid: []string{"\n  moat scan", "| moat scan"},
		},
		{
			name: "the plugin's nested command", plugin: true, args: []string{"serve", "admission"},
			want:  []string{"Usage:\n  kubectl moat serve admission", "  kubectl moat serve admission --tls-cert"},
			avoid: []string{"\n  moat serve admission"},
		},
		{
			name: "moat itself", args: []string{"scan"},
			want:  []string{"Usage:\n  moat scan [PATH... | --cluster] [flags]", "  moat scan examples/shop", "| moat scan -"},
			avoid: []string{"kubectl moat"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := help(t, tc.plugin, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("help lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(out, a) {
					t.Errorf("help has %q:\n%s", a, out)
				}
			}
		})
	}
}

// TestPluginReportUsage: the report command, run as the plugin, says kubectl moat report,
// and its example already written for kubectl is not doubled.
func TestPluginReportUsage(t *testing.T) {
	root := newRootCmd()
	if c, _, err := root.Find([]string{"report"}); err != nil || c == root {
		root.AddCommand(newReportCmd()) // until root.go registers it
	}
	asPlugin(root)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"report", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, w := range []string{"Usage:\n  kubectl moat report [-n NAMESPACE | -A] [flags]", "  kubectl moat report -n shop\n", "  kubectl moat report -n shop --context prod"} {
		if !strings.Contains(s, w) {
			t.Errorf("help lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "kubectl kubectl") {
		t.Errorf("help doubles kubectl:\n%s", s)
	}
}
