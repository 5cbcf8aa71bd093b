package node

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// beyondNow is the clock of the tests of encryption, certificates and audit logging.
var beyondNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// beyondComponent adds a component of kind to h, its flags read from args (each
// --name=value, so that no flag table is needed).
func beyondComponent(h *Host, kind string, args ...string) *Component {
	c := &Component{Kind: kind, Args: args, Host: h, Origin: finding.Source{File: "/etc/kubernetes/manifests/" + kind + ".yaml"}}
	c.APIVersion, c.TypeMeta.Kind = Group+"/"+Version, ObjectKind(kind)
	c.Flags = parseFlags(func(string) (FlagType, bool) { return FlagType{Type: "string"}, true }, args, nil, false)
	h.Components = append(h.Components, c)
	return c
}

// beyondHost is a host of one node with the files given, each a regular file owned by
// root with mode 0600.
func beyondHost(files map[string][]byte) *Host {
	h := &Host{Name: "cp-1", Files: map[string]*File{}}
	for p, data := range files {
		h.Files[p] = &File{Path: p, Exists: true, Mode: 0o600, Content: data}
	}
	return h
}

// beyondRun runs the rules with these IDs over h with the real engine.
func beyondRun(t *testing.T, h *Host, ids ...string) []finding.Finding {
	t.Helper()
	var rules []*rule.Rule
	for _, id := range ids {
		r := rule.Get(id)
		if r == nil {
			t.Fatalf("rule %s is not registered", id)
		}
		rules = append(rules, r)
	}
	fs, errs := engine.Run(context.Background(), h.Inventory(), rules, rule.Options{Now: beyondNow})
	if len(errs) > 0 {
		t.Fatalf("engine: %v", errs)
	}
	return fs
}

// onlyFinding fails the test unless fs holds one finding when want is true and none
// when it is false; ok says whether there is one to look at.
func onlyFinding(t *testing.T, fs []finding.Finding, want bool) (f finding.Finding, ok bool) {
	t.Helper()
	switch {
	case !want && len(fs) != 0:
		t.Fatalf("want no finding, got %+v", fs)
	case want && len(fs) != 1:
		t.Fatalf("want one finding, got %+v", fs)
	case want:
		return fs[0], true
	}
	return finding.Finding{}, false
}

// loadRoot loads a machine whose files are beneath root and whose processes run the
// command lines given.
func loadRoot(t *testing.T, root string, cmdlines ...string) *Host {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cmdlines")
	if err := os.WriteFile(file, []byte(strings.Join(cmdlines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := Load(context.Background(), Options{Root: root, Cmdlines: file})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// markedLine is the line of the first "# <-" comment of a fixture: the line a finding
// or an error must point at.
func markedLine(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), "# <-") {
			return n
		}
	}
	return 0
}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// encryptionHost is an API server whose --encryption-provider-config is the fixture.
func encryptionHost(t *testing.T, fixture string) *Host {
	const path = "/etc/kubernetes/enc/encryption.yaml"
	h := beyondHost(map[string][]byte{path: readFixture(t, fixture)})
	beyondComponent(h, APIServer, "--encryption-provider-config="+path)
	return h
}

func TestEncryptionProviderOrder(t *testing.T) {
	high, medium, low := finding.High, finding.Medium, finding.Low
	tests := []struct {
		fixture string
		want    *finding.Severity // nil: passes
		path    string
		message string
	}{
		{"fail/identity-first.yaml", &high, "resources[0].providers[0]", "first provider for secrets is identity: Secrets are written to etcd in plaintext (the providers after it only decrypt"},
		{"fail/aescbc-first.yaml", &medium, "resources[0].providers[0]", "aescbc, open to padding-oracle attacks"},
		{"fail/aesgcm-first.yaml", &low, "resources[0].providers[0]", "aesgcm (2 key(s)): safe only if its key is rotated"},
		{"fail/kms-v1-first.yaml", &medium, "resources[0].providers[0]", `kms "vault" with apiVersion v1`},
		{"fail/kms-without-apiversion.yaml", &medium, "resources[0].providers[0]", `kms "cloud-kms" with apiVersion v1`},
		{"fail/no-entry-for-secrets.yaml", &high, "resources", "no entry of resources covers secrets"},
		{"fail/star-star-identity.yaml", &high, "resources[1].providers[0]", "identity"},
		{"fail/core-wildcard-aescbc.yaml", &medium, "resources[0].providers[0]", "aescbc"},
		{"fail/secrets-in-two-entries.yaml", &high, "resources[1].providers[0]", "identity"},
		{"pass/kms-v2-first.yaml", nil, "", ""},
		{"pass/secretbox-first.yaml", nil, "", ""},
		{"pass/secrets-before-wildcard.yaml", nil, "", ""},
		{"pass/star-star-secretbox.yaml", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			fixture := filepath.Join("testdata", "encryption", tt.fixture)
			fs := beyondRun(t, encryptionHost(t, fixture), "apiserver/encryption-provider-config", "apiserver/encryption-providers")
			f, ok := onlyFinding(t, fs, tt.want != nil)
			if !ok {
				return
			}
			if f.RuleID != "apiserver/encryption-providers" || f.Severity != *tt.want || f.Path != tt.path {
				t.Errorf("got %s %s at %q, want apiserver/encryption-providers %s at %q", f.RuleID, f.Severity, f.Path, *tt.want, tt.path)
			}
			if !strings.Contains(f.Message, tt.message) {
				t.Errorf("message %q does not say %q", f.Message, tt.message)
			}
			wantSrc := "/etc/kubernetes/enc/encryption.yaml:" + itoa(markedLine(t, fixture))
			if f.Source.String() != wantSrc {
				t.Errorf("source %s, want %s", f.Source, wantSrc)
			}
			if f.Resource.Kind != "KubeAPIServer" || f.Resource.Name != "cp-1" {
				t.Errorf("resource %s, want KubeAPIServer/cp-1", f.Resource)
			}
		})
	}
}

func TestEncryptionProviderConfig(t *testing.T) {
	const path = "/etc/kubernetes/enc/encryption.yaml"
	tests := []struct {
		name    string
		host    func(t *testing.T) *Host
		message string
		line    int // 0: the finding's source has no line
		info    bool
	}{
		{"flag not set", func(t *testing.T) *Host {
			h := beyondHost(nil)
			beyondComponent(h, APIServer, "--secure-port=6443")
			return h
		}, "--encryption-provider-config is not set: Secrets are written to etcd in plaintext", 0, false},
		{"file does not exist", func(t *testing.T) *Host {
			h := beyondHost(nil)
			h.Files[path] = &File{Path: path}
			beyondComponent(h, APIServer, "--encryption-provider-config="+path)
			return h
		}, "--encryption-provider-config=" + path + " does not exist", 0, false},
		{"file unreadable", func(t *testing.T) *Host {
			h := beyondHost(nil)
			h.Files[path] = &File{Path: path, Exists: true, Err: "permission denied"}
			beyondComponent(h, APIServer, "--encryption-provider-config="+path)
			return h
		}, "cannot be read: permission denied", 0, false},
		{"relative path not examined", func(t *testing.T) *Host {
			h := beyondHost(nil)
			beyondComponent(h, APIServer, "--encryption-provider-config=enc.yaml")
			return h
		}, "--encryption-provider-config=enc.yaml was not examined", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := beyondRun(t, tt.host(t), "apiserver/encryption-provider-config", "apiserver/encryption-providers", "apiserver/encryption-config-permissions")
			if len(fs) != 1 || fs[0].RuleID != "apiserver/encryption-provider-config" {
				t.Fatalf("want one finding of apiserver/encryption-provider-config, got %+v", fs)
			}
			if !strings.Contains(fs[0].Message, tt.message) {
				t.Errorf("message %q does not say %q", fs[0].Message, tt.message)
			}
			if (fs[0].Severity == finding.Info) != tt.info {
				t.Errorf("severity %s", fs[0].Severity)
			}
		})
	}
}

func TestEncryptionConfigInvalid(t *testing.T) {
	tests := []struct {
		fixture string
		message string
	}{
		{"syntax.yaml", "yaml: line"},
		{"unknown-field.yaml", `strict decoding error: unknown field "resources[0].providers[0].aescbc.kyes"`},
		{"short-key.yaml", "resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: secret is not of the expected length, got 10"},
		{"two-providers-in-one-item.yaml", "resources[0].providers[0]: Invalid value: more than one provider specified"},
		{"wrong-kind.yaml", "kind AdmissionConfiguration, want EncryptionConfiguration"},
		{"no-kind.yaml", "apiVersion or kind is missing (want apiVersion: apiserver.config.k8s.io/v1, kind: EncryptionConfiguration)"},
		{"empty.yaml", "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			fixture := filepath.Join("testdata", "encryption", "invalid", tt.fixture)
			fs := beyondRun(t, encryptionHost(t, fixture), "apiserver/encryption-provider-config", "apiserver/encryption-providers")
			if len(fs) != 1 || fs[0].RuleID != "apiserver/encryption-provider-config" || fs[0].Severity != finding.High {
				t.Fatalf("want one high finding of apiserver/encryption-provider-config, got %+v", fs)
			}
			f := fs[0]
			t.Logf("%s: %s", f.Source, f.Message)
			if !strings.HasPrefix(f.Message, "/etc/kubernetes/enc/encryption.yaml: ") || !strings.Contains(f.Message, tt.message) {
				t.Errorf("message %q does not name the file and say %q", f.Message, tt.message)
			}
			if want := markedLine(t, fixture); f.Source.Line != want {
				t.Errorf("line %d, want %d (%s)", f.Source.Line, want, f.Message)
			}
			for _, key := range parseYAMLDoc(readFixture(t, fixture)).scalarsUnder("secret") {
				if strings.Contains(f.Message, key) {
					t.Errorf("message holds the key %s: %s", key, f.Message)
				}
			}
		})
	}
}

// TestEncryptionConfigPermissions checks the mode and owner of real files, read with Load.
func TestEncryptionConfigPermissions(t *testing.T) {
	secretbox := readFixture(t, filepath.Join("testdata", "encryption", "pass", "secretbox-first.yaml"))
	tests := []struct {
		mode    os.FileMode
		uid     int
		message string // "": passes
	}{
		{0o600, 0, ""},
		{0o400, 0, ""},
		{0o000, 0, ""},
		{0o640, 0, "is mode 0640 (want 0600 or stricter)"},
		{0o644, 0, "is mode 0644 (want 0600 or stricter)"},
		{0o666, 0, "is mode 0666"},
		{0o700, 0, "is mode 0700"},
		{0o600, 1000, "is owned by 1000:1000 (want root)"},
		{0o644, 1000, "is mode 0644 (want 0600 or stricter) and owned by 1000:1000 (want root)"},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String()+"/"+itoa(tt.uid), func(t *testing.T) {
			root := t.TempDir()
			writeRootFile(t, root, "etc/kubernetes/enc/encryption.yaml", secretbox, tt.mode, tt.uid)
			h := loadRoot(t, root, "kube-apiserver --encryption-provider-config=/etc/kubernetes/enc/encryption.yaml")
			fs := beyondRun(t, h, "apiserver/encryption-config-permissions", "apiserver/encryption-providers", "apiserver/encryption-provider-config")
			f, ok := onlyFinding(t, fs, tt.message != "")
			if !ok {
				return
			}
			const prefix = "/etc/kubernetes/enc/encryption.yaml holds the keys that encrypt Secrets but "
			if f.RuleID != "apiserver/encryption-config-permissions" || !strings.HasPrefix(f.Message, prefix) || !strings.Contains(f.Message, tt.message) {
				t.Errorf("%s: %q, want apiserver/encryption-config-permissions: %q", f.RuleID, f.Message, prefix+tt.message)
			}
			if f.Source.String() != "/etc/kubernetes/enc/encryption.yaml" {
				t.Errorf("source %s", f.Source)
			}
		})
	}
}

// TestEncryptionEntryLookup checks the API server's order of lookup on configurations
// built in the test: a name beats "*.", which beats "*.*".
func TestEncryptionEntryLookup(t *testing.T) {
	tests := []struct {
		name      string
		resources [][]string
		want      int
	}{
		{"by name", [][]string{{"configmaps"}, {"secrets"}}, 1},
		{"core wildcard", [][]string{{"configmaps"}, {"*."}}, 1},
		{"any wildcard", [][]string{{"configmaps"}, {"*.*"}}, 1},
		{"name before wildcards", [][]string{{"*.*"}, {"*."}, {"secrets"}}, 2},
		{"core wildcard before any", [][]string{{"*.*"}, {"*."}}, 1},
		{"another group's wildcard", [][]string{{"*.apps"}, {"secrets.apps"}}, -1},
		{"none", [][]string{{"configmaps"}}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n")
			for _, rs := range tt.resources {
				b.WriteString("- resources: [" + strings.Join(quoteAll(rs), ", ") + "]\n  providers: [{identity: {}}]\n")
			}
			// The decoder only: validation refuses some of these orders (a wildcard
			// masking a later name), which the lookup must still get right.
			obj, _, err := encryptionDecoder.Decode([]byte(b.String()), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg := &encryptionConfig{Config: obj.(*apiserverv1.EncryptionConfiguration)}
			if got := cfg.secretsEntry(); got != tt.want {
				t.Errorf("entry %d, want %d", got, tt.want)
			}
		})
	}
}

func quoteAll(ss []string) []string {
	out := slices.Clone(ss)
	for i, s := range out {
		out[i] = `"` + s + `"`
	}
	return out
}

// FuzzEncryptionConfig feeds the reader arbitrary files: it must never panic, and a
// configuration it accepts must have a verdict.
func FuzzEncryptionConfig(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "encryption", "*", "*.yaml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, prob := readEncryptionConfig("/enc.yaml", data)
		if (cfg == nil) == (prob == nil) {
			t.Fatalf("want a configuration or a problem, got %v and %v", cfg, prob)
		}
		if prob != nil {
			if !strings.HasPrefix(prob.Message, "/enc.yaml") {
				t.Fatalf("message does not name the file: %q", prob.Message)
			}
			return
		}
		v := cfg.secretsVerdict()
		if v.severity != nil && (v.message == "" || v.path == "") {
			t.Fatalf("a failing verdict without a message or path: %+v", v)
		}
	})
}
