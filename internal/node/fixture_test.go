package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

// fixtureNow is the clock of every fixture: certificates' lifetimes count from it.
var fixtureNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// nodeFixture is a machine described in YAML (testdata/<rule>/{fail,pass}/*.yaml):
// the components' command lines and the files beneath the root, with modes, owners,
// content, and certificates generated as described.
type nodeFixture struct {
	Layout   string        `json:"layout"`
	Cmdlines string        `json:"cmdlines"`
	Files    []fixtureFile `json:"files"`
	// Paths replace layout paths (the config file's node.paths), e.g. {"pki": "/pki"}.
	Paths map[string]string `json:"paths"`
}

type fixtureFile struct {
	Path    string `json:"path"`
	Dir     bool   `json:"dir"`
	Mode    string `json:"mode"`  // octal, default 0600 (0700 for a directory)
	Owner   string `json:"owner"` // uid:gid, default 0:0
	Content string `json:"content"`
	// Cert generates a self-signed certificate as the content.
	Cert *fixtureCert `json:"cert"`
}

type fixtureCert struct {
	CN string `json:"cn"`
	// Days is the lifetime left at fixtureNow (negative: expired that many days ago).
	Days int `json:"days"`
	// Key is "rsa1024", "rsa2048" (default), "ecdsa256", "ecdsa224".
	Key string `json:"key"`
	// CA makes it a CA certificate.
	CA bool `json:"ca"`
}

// loadFixture builds the fixture's machine in a temporary root and loads it.
func loadFixture(t *testing.T, path string) *Host {
	t.Helper()
	fx := readNodeFixture(t, path)
	root, cmdlines := buildFixture(t, path)
	var paths Layout
	raw, _ := yaml.Marshal(map[string]any{"paths": fx.Paths})
	sec, err := parseConfigYAML(raw)
	if err != nil {
		t.Fatalf("%s: paths: %v", path, err)
	}
	paths = sec.Paths
	layout := fx.Layout
	if layout == "" {
		layout = "kubeadm"
	}
	h, err := Load(context.Background(), Options{Root: root, Cmdlines: cmdlines, NodeName: "node-1", Layout: layout, Paths: paths})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return h
}

func readNodeFixture(tb testing.TB, path string) nodeFixture {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var fx nodeFixture
	if err := yaml.UnmarshalStrict(data, &fx); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return fx
}

// buildFixture writes the fixture's files beneath a temporary root, and its command
// lines to a file; it returns both paths.
func buildFixture(tb testing.TB, path string) (root, cmdlines string) {
	tb.Helper()
	fx := readNodeFixture(tb, path)
	root = tb.TempDir()
	writeFile(tb, root, "/etc/passwd", "root:x:0:0::/root:/bin/sh\netcd:x:998:998::/var/lib/etcd:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n", 0o644)
	writeFile(tb, root, "/etc/group", "root:x:0:\netcd:x:998:\nalice:x:1000:\n", 0o644)
	for _, f := range fx.Files {
		full := filepath.Join(root, f.Path)
		mode := os.FileMode(0o600)
		if f.Dir {
			mode = 0o700
		}
		if f.Mode != "" {
			m, err := strconv.ParseUint(f.Mode, 8, 32)
			if err != nil {
				tb.Fatalf("%s: %s: mode %q: %v", path, f.Path, f.Mode, err)
			}
			mode = os.FileMode(m)
		}
		if f.Dir {
			if err := os.MkdirAll(full, 0o755); err != nil {
				tb.Fatal(err)
			}
		} else {
			content := f.Content
			if f.Cert != nil {
				content = makeCert(tb, *f.Cert)
			}
			writeFile(tb, root, f.Path, content, mode)
		}
		if err := os.Chmod(full, mode); err != nil {
			tb.Fatal(err)
		}
		uid, gid := 0, 0
		if f.Owner != "" {
			u, g, _ := strings.Cut(f.Owner, ":")
			uid, _ = strconv.Atoi(u)
			gid, _ = strconv.Atoi(g)
		}
		if os.Geteuid() == 0 {
			if err := os.Lchown(full, uid, gid); err != nil {
				tb.Fatal(err)
			}
		} else if uid != os.Geteuid() {
			tb.Skip("ownership fixtures need root (files are owned by the user who writes them)")
		}
	}
	cmdlines = filepath.Join(tb.TempDir(), "cmdlines")
	if err := os.WriteFile(cmdlines, []byte(fx.Cmdlines), 0o600); err != nil {
		tb.Fatal(err)
	}
	return root, cmdlines
}

func writeFile(tb testing.TB, root, p, content string, mode os.FileMode) {
	tb.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), mode); err != nil {
		tb.Fatal(err)
	}
}

// makeCert generates a self-signed certificate in PEM.
func makeCert(tb testing.TB, c fixtureCert) string {
	tb.Helper()
	var pub, priv any
	switch c.Key {
	case "", "rsa2048", "rsa1024":
		bits := 2048
		if c.Key == "rsa1024" {
			bits = 1024
		}
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			tb.Fatal(err)
		}
		pub, priv = &k.PublicKey, k
	case "ecdsa256", "ecdsa224":
		curve := elliptic.P256()
		if c.Key == "ecdsa224" {
			curve = elliptic.P224()
		}
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		pub, priv = &k.PublicKey, k
	default:
		tb.Fatalf("cert key %q", c.Key)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: c.CN},
		NotBefore:             fixtureNow.AddDate(-1, 0, 0),
		NotAfter:              fixtureNow.AddDate(0, 0, c.Days),
		IsCA:                  c.CA,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// runRule evaluates one rule over a host through the engine.
func runRule(t *testing.T, h *Host, r *rule.Rule) []finding.Finding {
	t.Helper()
	fs, errs := engine.Run(context.Background(), h.Inventory(), []*rule.Rule{r}, rule.Options{Now: fixtureNow})
	if len(errs) > 0 {
		t.Fatalf("rule errors: %v", errs)
	}
	return fs
}

// TestNodeRuleFixtures runs every node rule over its fixtures: each fail fixture makes
// at least one finding of the rule, each pass fixture none.
func TestNodeRuleFixtures(t *testing.T) {
	for _, r := range Rules() {
		t.Run(r.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", ruletest.Dir(r.ID))
			for _, kind := range []string{"fail", "pass"} {
				files, _ := filepath.Glob(filepath.Join(dir, kind, "*.yaml"))
				if len(files) == 0 {
					t.Errorf("no %s fixture in %s", kind, dir)
				}
				for _, f := range files {
					t.Run(kind+"/"+filepath.Base(f), func(t *testing.T) {
						fs := runRule(t, loadFixture(t, f), r)
						switch {
						case kind == "fail" && len(fs) == 0:
							t.Errorf("%s: no finding", f)
						case kind == "pass" && len(fs) > 0:
							t.Errorf("%s: unexpected findings:\n%s", f, describeFindings(fs))
						}
						for _, x := range fs {
							if x.RuleID != r.ID || x.Message == "" {
								t.Errorf("%s: bad finding %+v", f, x)
							}
						}
					})
				}
			}
		})
	}
}

// TestEveryNodeRuleIsListed keeps nodeRuleIDs, the catalogue of node checks the docs
// table is made from, equal to the registered node rules.
func TestEveryNodeRuleIsListed(t *testing.T) {
	var got []string
	for _, r := range Rules() {
		got = append(got, r.ID)
	}
	slices.Sort(got)
	want := slices.Clone(nodeRuleIDs)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("registered node rules differ from nodeRuleIDs:\n got %q\nwant %q", got, want)
	}
}

func describeFindings(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		src := ""
		if f.Source != nil {
			src = fmt.Sprintf(" (%s:%d)", f.Source.File, f.Source.Line)
		}
		fmt.Fprintf(&b, "  %s %s: %s%s\n", f.RuleID, f.Resource, f.Message, src)
	}
	return b.String()
}
