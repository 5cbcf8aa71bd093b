package node

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/node/componentdata"
	"github.com/moat-dev/moat/internal/rule"
)

// The parsers of what Load reads from a machine, fuzzed: command lines (from /proc,
// a --cmdlines file or a manifest), etcd's config file and the kubelet's. None may
// panic, whatever the input; each keeps the invariants its callers rely on. The seeds
// are the unit tests' tables.

func FuzzParseFlags(f *testing.F) {
	for _, tc := range flagCases {
		f.Add(strings.Join(tc.args, "\x00"), tc.singleDash)
	}
	f.Fuzz(func(t *testing.T, joined string, singleDash bool) {
		args := strings.Split(joined, "\x00")
		lines := make([]int, len(args))
		for i := range lines {
			lines[i] = i + 1
		}
		for _, spec := range []flagSpec{flagTestSpec, etcdSpec} {
			fl := parseFlags(spec, args, lines, singleDash)
			names := fl.Names()
			if !slices.IsSorted(names) {
				t.Errorf("Names() not sorted: %q", names)
			}
			for _, name := range names {
				if name == "" || !fl.Set(name) {
					t.Errorf("Names() has %q, which is not set", name)
				}
				if l := fl.Line(name); l < 0 || l > len(args) {
					t.Errorf("Line(%q) = %d, outside the %d arguments", name, l, len(args))
				}
				_ = fl.Value(name)
				_ = fl.List(name)
				_ = fl.Map(name)
				_, _ = fl.Bool(name)
			}
		}
	})
}

func FuzzSplitWords(f *testing.F) {
	for _, tc := range splitCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitWords(s)
		quoted := strings.ContainsAny(s, `'"`)
		if err != nil {
			if !quoted {
				t.Errorf("%q: error %v without a quote", s, err)
			}
			return
		}
		if quoted {
			return
		}
		// Without quotes the words are the runs between spaces and tabs.
		want := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
		if !slices.Equal(words, want) {
			t.Errorf("%q: words %q, want %q", s, words, want)
		}
	})
}

func FuzzManifestCommand(f *testing.F) {
	for _, tc := range manifestCases {
		f.Add([]byte(tc.manifest))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		argv, lines, err := manifestCommand(data)
		if err != nil {
			return
		}
		if len(argv) == 0 || len(argv) != len(lines) {
			t.Fatalf("%d arguments with %d lines", len(argv), len(lines))
		}
		for _, l := range lines {
			if l < 1 {
				t.Fatalf("line %d of an argument", l)
			}
		}
	})
}

func FuzzEtcdConfigFile(f *testing.F) {
	f.Add([]byte(etcdTestConfig))
	for _, tc := range etcdCases {
		for _, content := range tc.files {
			f.Add([]byte(content))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(string) ([]byte, error) { return data, nil }
		fl, warnings := etcdSettings([]string{"--config-file=/etc/etcd/etcd.yaml", "--client-cert-auth=true"},
			nil, map[string]string{"ETCD_AUTO_TLS": "true"}, read)
		if len(warnings) > 0 {
			return // not an etcd config file: the flags are read instead
		}
		if v, _ := fl.Lookup("config-file"); v != "/etc/etcd/etcd.yaml" {
			t.Errorf("config-file = %q", v)
		}
		for _, name := range fl.Names() {
			_, _ = fl.Bool(name)
		}
	})
}

// FuzzKubeletFile feeds the kubelet's configuration readers: a --config file and a
// --config-dir drop-in laid over the release's defaults the way Load does it
// (buildKubelet, on a root of its own), then the kubelet checks over the result, and
// the same bytes as a /configz answer. Load's other work is left out so that each run
// is quick: the fuzzer minimizes every input that finds something new by running it
// hundreds of times.
func FuzzKubeletFile(f *testing.F) {
	f.Add([]byte(mirrorTestConfigz))
	for _, tc := range kubeletCases {
		for _, content := range tc.files {
			if content != "" {
				f.Add([]byte(content))
			}
		}
	}
	var kubeletRules []*rule.Rule
	for _, r := range Rules() {
		if slices.Contains(r.Kinds, ObjectKind(Kubelet)) {
			kubeletRules = append(kubeletRules, r)
		}
	}
	root := f.TempDir()
	rel := componentdata.Latest()
	args := []string{"--config=" + kubeletTestConfig, "--config-dir=" + kubeletTestDropIns, "--read-only-port=0"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := kubeletFromConfigz(data); err == nil {
			_, _ = k.Where("authentication.anonymous.enabled", nil)
		}
		writeFile(t, root, kubeletTestConfig, string(data), 0o600)
		writeFile(t, root, kubeletTestDropIns+"/10-x.conf", string(data), 0o600)
		l := &loader{root: root, host: &Host{Name: "node-1", Release: rel, Files: map[string]*File{}}}
		lay := Layouts["kubeadm"]
		l.host.Layout = &lay
		c := &Component{Kind: Kubelet, Args: args, Host: l.host, Flags: parseFlags(kubeSpec(rel, Kubelet), args, nil, false)}
		c.Origin.File = "/cmdlines"
		l.host.Components = []*Component{c}
		c.Kubelet = l.buildKubelet(c)
		for path := range kubeletTestFields {
			_, _ = c.Kubelet.Where(path, c)
		}
		if _, errs := engine.Run(context.Background(), l.host.Inventory(), kubeletRules, rule.Options{Now: fixtureNow}); len(errs) > 0 {
			t.Fatalf("kubelet checks: %v", errs)
		}
	})
}
