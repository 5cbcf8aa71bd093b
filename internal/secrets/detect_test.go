package secrets

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every credential below is made up: it has the right format and no value anywhere.
const (
	fakeAWSKeyID     = "AKIAIOSFODNN7EXAMPLE"
	fakeAWSSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	fakeGitHub       = "ghp_FAKE0fake1FAKE2fake3FAKE4fake5FAKE6f"
	fakeGitHubPAT    = "github_pat_11FAKEFAKE0fakefakefake1_FAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake00"
	fakeGitLab       = "glpat-FAKEfakeFAKEfake0000"
	fakeSlack        = "xoxb-000000000000-0000000000000-FAKEfakeFAKEfakeFAKEfake"
	fakeSlackHook    = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
	fakeStripe       = "sk_live_FAKEfakeFAKEfake00000000"
	fakeGoogle       = "AIzaSyFAKE-fake_FAKE0000000000000000000"
	fakeJWT          = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmYWtlLXVzZXIiLCJpc3MiOiJleGFtcGxlLmludmFsaWQifQ.RkFLRS1TSUdOQVRVUkUtTk9ULVJFQUw"
	fakeRandomToken  = "Xk9mP2vQ7rT4wL8nB3cF6hJ1"
	fakeRSAKey       = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAfakefakefakefakefakefakefake\n-----END RSA PRIVATE KEY-----\n"
	fakeOpenSSHKey   = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAfakefake\n-----END OPENSSH PRIVATE KEY-----"
	fakePKCS8Key     = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCfake\n-----END PRIVATE KEY-----"
	fakeECKey        = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFAKEfake\n-----END EC PRIVATE KEY-----"
	fakeCertificate  = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEFAKEfake\n-----END CERTIFICATE-----"
	imageDigest      = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	base64OfProse    = "aGVsbG8gd29ybGQgdGhpcyBpcyBjb25maWc="                     // "hello world this is config"
	base64OfGitHub   = "Z2hwX0ZBS0UwZmFrZTFGQUtFMmZha2UzRkFLRTRmYWtlNUZBS0U2Zg==" // fakeGitHub
	commitID         = "9fceb02d0ae598e95dc970b74767f19372d61af8"
	uuidValue        = "550e8400-e29b-41d4-a716-446655440000"
	imageRef         = "registry.example.com/shop/cart:v1.4.2"
	podName          = "cart-7d9f8c6b5-x2k4p"
	camelIdentifier  = "ThisIsMyVeryLongConfigurationValue2024"
	javaClass        = "io.k8s.api.core.v1.PodSpec"
	stripeTestKey    = "sk_test_FAKEfakeFAKEfake00000000"
	pgURL            = "postgres://orders:FakePassw0rd@db.shop.svc:5432/orders"
	pgURLWithEnvRef  = "postgres://orders:$(DB_PASSWORD)@db.shop.svc:5432/orders"
	pgURLNoPassword  = "postgres://orders@db.shop.svc:5432/orders"
	adoConnString    = "Server=db;Database=orders;User Id=app;Password=Fake-Pa55word;"
	basicAuthHeader  = "Authorization: Basic ZmFrZTpmYWtlcGFzcw=="
	bearerLiteral    = "Bearer FAKEfakeFAKEfake0123"
	jvmOptions       = "-Xmx512m -XX:+UseG1GC -Dfile.encoding=UTF-8"
	awsSecretInINI   = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
	jwtNotJSONHeader = "eyJub3QganNvbg.eyJhbGciOiJIUzI1NiJ9.sig"
)

// detectCases feed TestDetect and seed FuzzDetect.
var detectCases = []struct {
	name     string // test name
	key      string // the name the value is held under
	value    string
	want     Kind // "" for no credential
	wantText string
}{
	{"AWS access key ID", "", fakeAWSKeyID, AWSAccessKeyID, fakeAWSKeyID},
	{"AWS temporary access key ID", "", "ASIAIOSFODNN7EXAMPLE", AWSAccessKeyID, "ASIAIOSFODNN7EXAMPLE"},
	{"AWS access key ID inside a longer word is not one", "", "XAKIAIOSFODNN7EXAMPLEX", "", ""},
	{"AWS secret key under an AWS name", "AWS_SECRET_ACCESS_KEY", fakeAWSSecret, AWSSecretKey, fakeAWSSecret},
	{"AWS secret key in a credentials file", "", awsSecretInINI, AWSAccessKeyID, fakeAWSKeyID},
	{"RSA private key", "", fakeRSAKey, PrivateKey, strings.TrimSuffix(fakeRSAKey, "\n")},
	{"OpenSSH private key", "", fakeOpenSSHKey, PrivateKey, fakeOpenSSHKey},
	{"PKCS#8 private key", "", fakePKCS8Key, PrivateKey, fakePKCS8Key},
	{"EC private key", "", fakeECKey, PrivateKey, fakeECKey},
	{"certificate is public", "", fakeCertificate, "", ""},
	{"GitHub personal access token", "", fakeGitHub, GitHubToken, fakeGitHub},
	{"GitHub fine-grained token", "", fakeGitHubPAT, GitHubToken, fakeGitHubPAT},
	{"GitHub token too short", "", "ghp_short", "", ""},
	{"GitLab token", "", fakeGitLab, GitLabToken, fakeGitLab},
	{"Slack bot token", "", fakeSlack, SlackToken, fakeSlack},
	{"Slack webhook", "", fakeSlackHook, SlackWebhook, fakeSlackHook},
	{"Stripe live key", "", fakeStripe, StripeKey, fakeStripe},
	{"Stripe test key is not live", "", stripeTestKey, "", ""},
	{"Google API key", "", fakeGoogle, GoogleAPIKey, fakeGoogle},
	{"JWT", "", fakeJWT, JWT, fakeJWT},
	{"JWT after Bearer", "", "Bearer " + fakeJWT, JWT, fakeJWT},
	{"three base64 parts without a JSON header", "", jwtNotJSONHeader, "", ""},
	{"password in a postgres URL", "DATABASE_URL", pgURL, URLPassword, "FakePassw0rd"},
	{"URL password from an env reference", "DATABASE_URL", pgURLWithEnvRef, "", ""},
	{"URL without a password", "DATABASE_URL", pgURLNoPassword, "", ""},
	{"URL with a placeholder password", "", "https://admin:changeme@grafana.example.com", "", ""},
	{"ADO.NET connection string", "", adoConnString, ConnPassword, "Fake-Pa55word"},
	{"Basic Authorization header", "", basicAuthHeader, AuthHeader, "ZmFrZTpmYWtlcGFzcw=="},
	{"random token", "", fakeRandomToken, HighEntropy, fakeRandomToken},
	{"base64 of a token", "", base64OfGitHub, HighEntropy, base64OfGitHub},
	{"base64 of prose", "", base64OfProse, "", ""},
	{"UUID", "", uuidValue, "", ""},
	{"image digest", "", imageDigest, "", ""},
	{"image reference with digest", "", "nginx@" + imageDigest, "", ""},
	{"commit ID", "GIT_COMMIT", commitID, "", ""},
	{"image reference", "IMAGE", imageRef, "", ""},
	{"pod name", "POD_NAME", podName, "", ""},
	{"camelCase identifier", "", camelIdentifier, "", ""},
	{"Java class name", "", javaClass, "", ""},
	{"JVM options", "JAVA_OPTS", jvmOptions, "", ""},
	{"empty", "", "", "", ""},
	{"placeholder", "", "changeme", "", ""},
	{"version", "", "v1.29.3-eks-1234abcd5678", "", ""},
}

func TestDetect(t *testing.T) {
	for _, tc := range detectCases {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := Detect(tc.key, tc.value)
			if tc.want == "" {
				if ok {
					t.Fatalf("Detect(%q, %q) = %s %q, want nothing", tc.key, tc.value, m.Kind, m.Value)
				}
				return
			}
			if !ok {
				t.Fatalf("Detect(%q, %q) found nothing, want %s", tc.key, tc.value, tc.want)
			}
			if m.Kind != tc.want || m.Value != tc.wantText {
				t.Errorf("Detect(%q, %q) = %s %q, want %s %q", tc.key, tc.value, m.Kind, m.Value, tc.want, tc.wantText)
			}
		})
	}
}

func TestScanFindsEveryCredentialInAText(t *testing.T) {
	text := "# app.env\nGITHUB_TOKEN=" + fakeGitHub + "\nDATABASE_URL=" + pgURL + "\n" + fakeRSAKey
	ms := Scan(text)
	var got []Kind
	for _, m := range ms {
		got = append(got, m.Kind)
		if !strings.Contains(text, m.Value) || text[m.Offset:m.Offset+len(m.Value)] != m.Value {
			t.Errorf("%s: value %q is not at offset %d", m.Kind, m.Value, m.Offset)
		}
	}
	want := []Kind{GitHubToken, URLPassword, PrivateKey}
	if len(got) != len(want) {
		t.Fatalf("Scan found %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Scan found %v, want %v", got, want)
		}
	}
}

func TestMatchDescribe(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{fakeGitHub, "a GitHub personal access token"},
		{fakeRSAKey, "an RSA private key"},
		{fakePKCS8Key, "a PKCS#8 private key"},
		{fakeOpenSSHKey, "an OPENSSH private key"},
		{fakeAWSKeyID, "an AWS access key ID"},
		{pgURL, "a password in a postgres URL"},
		{basicAuthHeader, "an HTTP Authorization credential"},
	} {
		m, ok := Detect("", tc.value)
		if !ok {
			t.Fatalf("Detect(%q) found nothing", tc.value)
		}
		if got := m.Describe(); got != tc.want {
			t.Errorf("Describe() = %q, want %q", got, tc.want)
		}
	}
}

func TestCheckByName(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		want             bool
	}{
		{"literal database password", "DB_PASSWORD", "hunter2-fake", true},
		{"literal basic auth pair", "BASIC_AUTH", "admin:FakePass123", true},
		{"literal bearer header", "AUTHORIZATION", bearerLiteral, true},
		{"short numeric PIN is still a password", "ADMIN_PASSWORD", "246813", true},
		{"quoted literal", "API_KEY", `"fake-api-key-123"`, true},
		{"password from a kubernetes env reference", "DB_PASSWORD", "$(POSTGRES_PASSWORD)", false},
		{"password from a shell expansion", "DB_PASSWORD", "${POSTGRES_PASSWORD}", false},
		{"helm template", "DB_PASSWORD", "{{ .Values.db.password }}", false},
		{"vault reference", "DB_PASSWORD", "vault:secret/data/shop/db#password", false},
		{"AWS Secrets Manager ARN", "DB_PASSWORD", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-db", false},
		{"placeholder changeme", "DB_PASSWORD", "changeme", false},
		{"placeholder redacted", "API_TOKEN", "<redacted>", false},
		{"placeholder xxx", "API_TOKEN", "xxx", false},
		{"masked", "API_TOKEN", "********", false},
		{"your token here", "API_TOKEN", "your-token-here", false},
		{"empty", "DB_PASSWORD", "", false},
		{"boolean", "MYSQL_ALLOW_EMPTY_PASSWORD", "yes", false},
		{"file path", "GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/google/key.json", false},
		{"token lifetime", "TOKEN_TTL", "3600s", false},
		{"password file", "PASSWORD_FILE", "/run/secrets/db", false},
		{"secret name", "SECRET_NAME", "db-credentials", false},
		{"key path", "TLS_KEY_PATH", "/etc/tls/tls.key", false},
		{"auth URL", "AUTH_URL", "https://auth.example.com", false},
		{"auth mode", "AUTH_MODE", "oauth", false},
		{"prose", "PASSWORD_HELP", "Enter your password", false},
		{"not a credential name", "LOG_LEVEL", "debug-verbose", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := Check(tc.key, tc.value)
			if ok != tc.want {
				t.Fatalf("Check(%q, %q) = %v (%s), want %v", tc.key, tc.value, ok, m.Kind, tc.want)
			}
		})
	}
}

func TestIsCredentialName(t *testing.T) {
	yes := []string{"DB_PASSWORD", "dbPassword", "POSTGRES_PASSWORD", "MYSQL_ROOT_PASSWORD",
		"PASSWORD", "PASSWD", "API_KEY", "apiKey", "APIKEY", "X-API-KEY", "XApiKey", "PRIVATE_KEY",
		"AWS_SECRET_ACCESS_KEY", "ACCESS_KEY", "GITHUB_TOKEN", "SLACK_BOT_TOKEN", "CLIENT_SECRET",
		"client-secret", "OAUTH_CLIENT_SECRET", "CREDENTIALS", "BASIC_AUTH", "REDIS_PASS",
		"MYSQL_PWD", "SECRET_KEY_BASE", "JWT_SECRET", "spring.datasource.password", "PASSWORD2",
		"AZURE_STORAGE_ACCOUNT_KEY", "example.com/db-password", "passphrase", "ENCRYPTION_KEY",
		"SIGNING_KEY", "SECRET", "TOKEN", "REFRESH_TOKEN", "AUTHORIZATION", "HMAC_KEY"}
	no := []string{"TOKEN_TTL", "PASSWORD_FILE", "SECRET_NAME", "TLS_KEY_PATH", "PWD", "PASS",
		"AUTH", "AUTH_MODE", "AUTH_URL", "TOKEN_ENDPOINT", "PASSWORD_MIN_LENGTH",
		"SECRET_MOUNT_PATH", "secretName", "AWS_ACCESS_KEY_ID", "CACHE_KEY", "KEY", "AUTHOR",
		"PASSWORD_POLICY", "TOKEN_EXPIRY_SECONDS", "GOOGLE_APPLICATION_CREDENTIALS_FILE",
		"PUBLIC_KEY", "SSH_PUBLIC_KEY", "KEYCLOAK_URL", "TOKEN_REFRESH_INTERVAL", "SECRETS_DIR",
		"POSTGRES_HOST_AUTH_METHOD", "SERVICE_ACCOUNT_NAME", "LOG_LEVEL", "", "PASSWORD_SECRET_NAME",
		"SECRET_KEY_REF", "API_KEY_HEADER", "TOKEN_AUDIENCE", "passwordFile", "tokenPath"}
	for _, n := range yes {
		if !IsCredentialName(n) {
			t.Errorf("IsCredentialName(%q) = false, want true", n)
		}
	}
	for _, n := range no {
		if IsCredentialName(n) {
			t.Errorf("IsCredentialName(%q) = true, want false", n)
		}
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string]string{
		"DB_PASSWORD":                "db password",
		"dbPassword":                 "db password",
		"APIKey":                     "api key",
		"APIKEY":                     "apikey",
		"spring.datasource.password": "spring datasource password",
		"example.com/db-password":    "db password",
		"PASSWORD2":                  "password",
		"X-Api-Key":                  "x api key",
	} {
		if got := strings.Join(words(in), " "); got != want {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRedactShowsNothing: the hint of a secret gives away neither its first characters
// nor its length (it used to be `"AKIA…" (20 chars)`, `"Supe…" (23 chars)`).
func TestRedactShowsNothing(t *testing.T) {
	for _, in := range []string{fakeAWSKeyID, "SuperSecretPassw0rd-fake", "hunter2-fake", "abc", "", "pässwörd-fake"} {
		got := Redact(in)
		if got != "(redacted)" {
			t.Errorf("Redact(%q) = %s, want (redacted)", in, got)
		}
		if r := []rune(in); len(r) > 0 && strings.Contains(got, string(r[0])) && !strings.Contains("(redacted)", string(r[0])) {
			t.Errorf("Redact(%q) = %s shows its first character", in, got)
		}
		if strings.Contains(got, strconv.Itoa(utf8.RuneCountInString(in))) {
			t.Errorf("Redact(%q) = %s shows its length", in, got)
		}
	}
}

func TestEntropy(t *testing.T) {
	if got := entropy("aaaa"); got != 0 {
		t.Errorf("entropy(aaaa) = %v, want 0", got)
	}
	if got := entropy("abcd"); got != 2 {
		t.Errorf("entropy(abcd) = %v, want 2", got)
	}
}

// FuzzDetect feeds untrusted text to the detector: it must not panic, every match must
// be a part of its input, and the hint must not give the value away.
func FuzzDetect(f *testing.F) {
	for _, tc := range detectCases {
		f.Add(tc.key, tc.value)
	}
	f.Add("DB_PASSWORD", "hunter2-fake")
	f.Add("", "postgres://a:b@c:d@e/f")
	f.Add("", "-----BEGIN RSA PRIVATE KEY-----")
	f.Add("", "-----BEGIN PRIVATE KEY-----\n-----END ")
	f.Fuzz(func(t *testing.T, key, value string) {
		for _, m := range Scan(value) {
			if m.Offset < 0 || m.Offset+len(m.Value) > len(value) || value[m.Offset:m.Offset+len(m.Value)] != m.Value {
				t.Fatalf("Scan: %s %q is not at offset %d of its input", m.Kind, m.Value, m.Offset)
			}
		}
		m, ok := Check(key, value)
		if !ok {
			return
		}
		if m.Value == "" {
			t.Fatalf("Check: empty %s", m.Kind)
		}
		if !strings.Contains(value, m.Value) {
			t.Fatalf("Check: %s %q is not part of its input %q", m.Kind, m.Value, value)
		}
		hint := m.Hint()
		if n := utf8.RuneCountInString(m.Value); n >= 8 && strings.Contains(hint, m.Value) {
			t.Fatalf("hint %s shows the value %q", hint, m.Value)
		}
	})
}

// BenchmarkScan1MiB scans a ConfigMap-sized text (the API server's limit is 1 MiB)
// with a credential every few lines.
func BenchmarkScan1MiB(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		sb.WriteString("server.port=8080\nspring.datasource.url=jdbc:postgresql://db:5432/orders\n")
		sb.WriteString("github.token=" + fakeGitHub + "\nspring.datasource.password=Fake-Pa55-word\n")
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fileCredentials(text)
	}
}
