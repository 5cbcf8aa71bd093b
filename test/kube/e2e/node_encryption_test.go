package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// TestNodeEncryptionAtRest starts the API server with each provider order of
// testdata/node/encryption (and once without --encryption-provider-config),
// creates a Secret through the API, reads what the API server stored straight from
// etcd, and runs `moat node` on the live API server: its findings must change with
// what etcd holds. identity first stores the Secret in plaintext; aescbc and
// secretbox first store ciphertext under their prefix, aescbc being reported as
// the weaker.
func TestNodeEncryptionAtRest(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		name    string
		fixture string // under testdata/node/encryption; "" for no configuration
		// stored is the prefix of the value in etcd: the API server's protobuf
		// envelope for plaintext, or the provider's prefix and key name.
		stored    string
		plaintext bool
		// findings are "rule severity" of apiserver/encryption-* rules.
		findings []string
		exit     int // with --fail-on high
	}{
		{"no EncryptionConfiguration", "", "k8s\x00", true, []string{"apiserver/encryption-provider-config high"}, 1},
		{"identity first", "identity-first.yaml", "k8s\x00", true, []string{"apiserver/encryption-providers high"}, 1},
		{"aescbc first", "aescbc-first.yaml", "k8s:enc:aescbc:v1:key1:", false, []string{"apiserver/encryption-providers medium"}, 0},
		{"secretbox first", "secretbox-first.yaml", "k8s:enc:secretbox:v1:key1:", false, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []kubetest.Option{kubetest.WithNamedBinaries()}
			config := ""
			if tc.fixture != "" {
				config = copyFixture(t, "encryption/"+tc.fixture, filepath.Join(t.TempDir(), "encryption.yaml"), 0o600, rootOwned)
				opts = append(opts, kubetest.WithAPIServerFlags("--encryption-provider-config="+config))
			}
			c := kubetest.Start(t, opts...)

			secret := randomText(t)
			stored := storeSecret(t, c, "db-credentials", secret)
			if !bytes.HasPrefix(stored, []byte(tc.stored)) {
				t.Errorf("etcd holds %q..., want it to start with %q", clip(stored, 40), tc.stored)
			}
			if got := bytes.Contains(stored, []byte(secret)); got != tc.plaintext {
				t.Errorf("the Secret's value appears in etcd in plaintext: %v, want %v", got, tc.plaintext)
			}

			rep, _ := moatNodeJSON(t, tc.exit, 1, "node", "--root", "/", "--proc", "/proc",
				"--pid", strconv.Itoa(c.Pids()["kube-apiserver"]), "--rule", "apiserver/encryption-*",
				"-o", "json", "--fail-on", "high")
			var got []string
			for _, f := range rep.Findings {
				got = append(got, f.RuleID+" "+f.Severity)
				if f.RuleID == "apiserver/encryption-providers" && (f.Source == nil || f.Source.File != config) {
					t.Errorf("%s: source %+v, want the configuration %s", f.RuleID, f.Source, config)
				}
				for _, key := range fixtureKeys(t, config) {
					if strings.Contains(f.Message, key) {
						t.Errorf("%s: the message shows the key %s: %s", f.RuleID, key, f.Message)
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.findings) {
				t.Errorf("moat node findings %q, want %q", got, tc.findings)
				for _, f := range rep.Findings {
					t.Logf("  %s: %s", f.RuleID, f.Message)
				}
			}
		})
	}
}

// storeSecret creates a Secret in the default namespace through the API and
// returns what etcd holds for it.
func storeSecret(t *testing.T, c *kubetest.Cluster, name, value string) []byte {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(c.RESTConfig())
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Data:       map[string][]byte{"password": []byte(value)},
	}
	if _, err := cs.CoreV1().Secrets(metav1.NamespaceDefault).Create(t.Context(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	stored, found, err := c.EtcdGet(t.Context(), "/registry/secrets/"+metav1.NamespaceDefault+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("etcd has no key for Secret %s", name)
	}
	return stored
}

// randomText is a value that appears nowhere else: found in etcd, it is the
// Secret's.
func randomText(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "moat-e2e-" + hex.EncodeToString(b)
}

// fixtureKeys are the keys (secret: values) of an EncryptionConfiguration file.
func fixtureKeys(t *testing.T, path string) []string {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for line := range strings.Lines(string(data)) {
		if k, ok := strings.CutPrefix(strings.TrimSpace(line), "secret:"); ok {
			keys = append(keys, strings.TrimSpace(k))
		}
	}
	return keys
}

func clip(b []byte, n int) []byte { return b[:min(len(b), n)] }
