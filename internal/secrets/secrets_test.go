package secrets

import (
	"math/rand"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestShellWords(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{`PGPASSWORD='a b' psql -h db`, []string{"PGPASSWORD=a b", "psql", "-h", "db"}},
		{`curl -H "Authorization: Bearer x"; sleep 1`, []string{"curl", "-H", "Authorization: Bearer x", "sleep", "1"}},
		{`echo a\ b && run`, []string{"echo", "a b", "run"}},
		{`say "it \"works\""`, []string{"say", `it "works"`}},
		{``, nil},
	} {
		if got := shellWords(tc.line); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("shellWords(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestArgCredentials(t *testing.T) {
	type hit struct {
		index int
		flag  string
		kind  Kind
	}
	for _, tc := range []struct {
		name  string
		items []string
		want  []hit
	}{
		{"flag with equals", []string{"--db-password=Fake-Pa55-word"}, []hit{{0, "--db-password", NamedCredential}}},
		{"flag and value as two items", []string{"--api-key", "Fake-Api-Key-123"}, []hit{{1, "--api-key", NamedCredential}}},
		{"flag and value in one shell line", []string{"app --token Fake-Token-123 --verbose"}, []hit{{0, "--token", NamedCredential}}},
		{"token by format in a value", []string{"--upstream-header=" + fakeGitHub}, []hit{{0, "", GitHubToken}}},
		{"format wins over the flag name", []string{"--github-token", fakeGitHub}, []hit{{1, "", GitHubToken}}},
		{"nested assignment", []string{"create", "secret", "--from-literal=password=Fake-Pa55-word"}, []hit{{2, "password", NamedCredential}}},
		{"helm set", []string{"--set", "auth.password=Fake-Pa55-word"}, []hit{{1, "auth.password", NamedCredential}}},
		{"curl user and password", []string{"curl", "-u", "elastic:Fake-Pa55-word", "https://es:9200"}, []hit{{2, "-u", NamedCredential}}},
		{"curl user without password", []string{"curl", "-u", "elastic", "https://es:9200"}, nil},
		{"environment reference", []string{"--password=$(DB_PASSWORD)"}, nil},
		{"shell variable", []string{"sh", "-c", `PGPASSWORD="$DB_PASSWORD" psql`}, nil},
		{"password file", []string{"--password-file", "/run/secrets/db"}, nil},
		{"flag followed by a flag", []string{"--password-stdin", "--username=ci"}, nil},
		{"boolean flag value", []string{"--token-auth", "true"}, nil},
		{"short flags are not guessed", []string{"-p", "8080"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []hit
			for _, h := range argCredentials(tc.items) {
				got = append(got, hit{h.index, h.flag, h.Kind})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("argCredentials(%q) = %v, want %v", tc.items, got, tc.want)
			}
		})
	}
}

func TestFileCredentials(t *testing.T) {
	type hit struct {
		key  string
		kind Kind
		line int
	}
	for _, tc := range []struct {
		name string
		text string
		want []hit
	}{
		{"properties", "a=1\nspring.datasource.password=Fake-Pa55-word\n", []hit{{"spring.datasource.password", NamedCredential, 2}}},
		{"properties with colon and comment", "# db\ndb.password: Fake-Pa55-word # rotated\n", []hit{{"db.password", NamedCredential, 2}}},
		{"dotenv export with quotes", "export API_TOKEN=\"Fake-Token-123\"\n", []hit{{"API_TOKEN", NamedCredential, 1}}},
		{"nested YAML", "smtp:\n  host: mail\n  password: 'Fake-Pa55-word'\n", []hit{{"password", NamedCredential, 3}}},
		{"YAML list item", "users:\n  - name: ci\n  - password: Fake-Pa55-word\n", []hit{{"password", NamedCredential, 3}}},
		{"INI", "[client]\nuser = app\npassword = Fake-Pa55-word\n", []hit{{"password", NamedCredential, 3}}},
		{"XML element", "<datasource>\n  <password>Fake-Pa55-word</password>\n</datasource>\n", []hit{{"password", NamedCredential, 2}}},
		{"XML attribute", `<datasource user="app" password="Fake-Pa55-word"/>`, []hit{{"", ConnPassword, 1}}},
		{"JSON document", `{"db": {"password": "Fake-Pa55-word", "passwordFile": "/etc/db"}}`, []hit{{"password", NamedCredential, 1}}},
		{"token by format beats its key", "GITHUB_TOKEN=" + fakeGitHub + "\n", []hit{{"", GitHubToken, 1}}},
		{"private key block", "key: |\n" + fakeRSAKey, []hit{{"", PrivateKey, 2}}},
		{"references and placeholders", "password=${DB_PASSWORD}\ntoken: changeme\nsecret_file=/etc/s\n", nil},
		{"block scalar header", "password: |\n  not read as a value\n", nil},
		{"checksums are not guessed in files", "checksum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nid: Xk9mP2vQ7rT4wL8nB3cF6hJ1\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []hit
			for _, h := range fileCredentials(tc.text) {
				got = append(got, hit{h.Key, h.Kind, h.Line})
				if !strings.Contains(tc.text, h.Value) {
					t.Errorf("value %q is not in the text", h.Value)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fileCredentials(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

// TestHighEntropyFindsRandomTokens measures the entropy test on random tokens of
// several lengths (a fixed seed keeps it stable).
func TestHighEntropyFindsRandomTokens(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	r := rand.New(rand.NewSource(1))
	for _, tc := range []struct {
		length int
		min    float64
	}{{20, 0.80}, {32, 0.90}, {40, 0.90}, {64, 0.95}, {128, 0.95}} {
		found := 0
		const n = 500
		for i := 0; i < n; i++ {
			b := make([]byte, tc.length)
			for j := range b {
				b[j] = alphabet[r.Intn(len(alphabet))]
			}
			if highEntropy(string(b)) {
				found++
			}
		}
		if rate := float64(found) / n; rate < tc.min {
			t.Errorf("length %d: %.0f%% of random tokens found, want at least %.0f%%", tc.length, 100*rate, 100*tc.min)
		}
	}
}

// fakeRE finds the made-up credentials of the fixtures, which all say "fake" (or are
// found by the detector itself).
var fakeRE = regexp.MustCompile(`[^\s"'=:,;<>{}()\[\]@/]*(?i:fake)[^\s"'=:,;<>{}()\[\]@/]*`)

// lengthRE finds a length in a message: `(23 chars)`.
var lengthRE = regexp.MustCompile(`\(\d+ chars?\)`)

// TestMessagesNeverPrintSecrets runs every rule of this package over every fixture and
// checks that no message shows any of a credential: not its first four characters (the
// redaction used to show them, `"Supe…" (23 chars)`), and not its length.
func TestMessagesNeverPrintSecrets(t *testing.T) {
	var rules []*rule.Rule
	for _, r := range rule.All() {
		if strings.HasPrefix(r.ID, "secret/") {
			rules = append(rules, r)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		inv := inventory.Load([]string{f}, inventory.Options{})
		var values []string
		for _, o := range inv.Objects {
			collectStrings(o.Obj, &values)
		}
		var secrets []string
		for _, v := range values {
			for _, m := range Scan(v) {
				secrets = append(secrets, m.Value)
			}
			if m, ok := Detect("", v); ok {
				secrets = append(secrets, m.Value)
			}
			secrets = append(secrets, fakeRE.FindAllString(v, -1)...)
		}
		for _, fd := range ruletest.Evaluate(t, inv, ruletest.Options, rules...) {
			if lengthRE.MatchString(fd.Message) || strings.Contains(fd.Message, "…") {
				t.Errorf("%s: %s message shows part or length of a secret: %s", f, fd.RuleID, fd.Message)
			}
			for _, s := range secrets {
				if len(s) >= 8 && strings.Contains(fd.Message, s[:4]) {
					t.Errorf("%s: %s message shows the first characters of the secret %q: %s", f, fd.RuleID, s, fd.Message)
				}
			}
		}
	}
}

// collectStrings gathers every string and byte-string field of an object.
func collectStrings(v any, out *[]string) {
	collect(reflect.ValueOf(v), out, 0)
}

func collect(v reflect.Value, out *[]string, depth int) {
	if depth > 40 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collect(v.Elem(), out, depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				collect(v.Field(i), out, depth+1)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			*out = append(*out, string(v.Bytes()))
			return
		}
		for i := 0; i < v.Len(); i++ {
			collect(v.Index(i), out, depth+1)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			collect(k, out, depth+1)
			collect(v.MapIndex(k), out, depth+1)
		}
	case reflect.String:
		*out = append(*out, v.String())
	}
}
