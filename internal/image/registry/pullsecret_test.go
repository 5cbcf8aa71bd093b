package registry

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// basicAuth puts a password in front of a registry, as a private registry does.
func basicAuth(user, pass string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="moat-test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// dockerConfigSecret is a kubernetes.io/dockerconfigjson Secret for the registries
// given, host to "user:password".
func dockerConfigSecret(t *testing.T, name string, logins map[string]string) *corev1.Secret {
	t.Helper()
	auths := map[string]map[string]string{}
	for host, login := range logins {
		auths[host] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(login))}
	}
	data, err := json.Marshal(map[string]any{"auths": auths})
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: data},
	}
}

func TestResolveWithPullSecret(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // the machine's Docker logins stay out of it
	reg := startRegistry(t, basicAuth("robot", "s3cret"))
	img := testImage(t, "linux/amd64", "debian")
	reg.push(t, "private/app:1", img)
	other := startRegistry(t, nil)

	tests := []struct {
		name    string
		secrets []*corev1.Secret
		wantErr []string
	}{
		{name: "the workload's secret", secrets: []*corev1.Secret{dockerConfigSecret(t, "pull", map[string]string{reg.host: "robot:s3cret"})}},
		{name: "the secret for a path of the registry", secrets: []*corev1.Secret{dockerConfigSecret(t, "pull", map[string]string{"http://" + reg.host + "/private": "robot:s3cret"})}},
		{name: "no secret", wantErr: []string{"registry " + reg.host + " refused access (HTTP 401)", "authentication required", "imagePullSecrets"}},
		{name: "a secret for another registry", secrets: []*corev1.Secret{dockerConfigSecret(t, "pull", map[string]string{other.host: "robot:s3cret"})},
			wantErr: []string{"refused access (HTTP 401)"}},
		{name: "a wrong password", secrets: []*corev1.Secret{dockerConfigSecret(t, "pull", map[string]string{reg.host: "robot:guess"})},
			wantErr: []string{"refused access (HTTP 401)", "credentials were rejected"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc, err := PullSecretKeychain(tt.secrets)
			if err != nil {
				t.Fatal(err)
			}
			res, err := resolve(t, New(Options{Keychain: kc}), reg.host+"/private/app:1")
			if len(tt.wantErr) > 0 {
				wantErr(t, err, append(tt.wantErr, reg.host+"/private/app:1")...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Digest != digestOf(t, img) {
				t.Errorf("digest %s, want %s", res.Digest, digestOf(t, img))
			}
			if got, err := osRelease(res.Image); err != nil || got != "ID=debian\n" {
				t.Errorf("layers through the credentials: %q, %v", got, err)
			}
		})
	}
}

// The keychain picks, for a repository, the most specific entry of all the Secrets.
func TestPullSecretKeychainMatching(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	first := dockerConfigSecret(t, "first", map[string]string{
		"https://index.docker.io/v1/":   "hub:1",
		"registry.example:5000":         "port:1",
		"*.corp.example":                "glob:1",
		"ghcr.io":                       "ghcr:1",
		"ghcr.io/team":                  "team:1",
		"https://ghcr.io/team/private/": "private:1",
	})
	second := dockerConfigSecret(t, "second", map[string]string{
		"ghcr.io":            "ghcr:2", // a tie with the first Secret's: the first wins
		"quay.io/v2/":        "quay:2",
		"exact.corp.example": "exact:2",
	})
	legacy := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "legacy"},
		Type:       corev1.SecretTypeDockercfg,
		Data:       map[string][]byte{corev1.DockerConfigKey: []byte(`{"legacy.example":{"username":"old","password":"2"}}`)},
	}
	kc, err := PullSecretKeychain([]*corev1.Secret{first, second, legacy})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		image string
		want  string // "user:password", "" for anonymous
	}{
		{"nginx:1.27", "hub:1"},
		{"docker.io/team/app:1", "hub:1"},
		{"registry.example:5000/app:1", "port:1"},
		{"registry.example/app:1", ""}, // another port
		{"registry.example:5001/app:1", ""},
		{"build.corp.example/app:1", "glob:1"},
		{"exact.corp.example/app:1", "exact:2"}, // a host without a glob beats a glob
		{"a.b.corp.example/app:1", ""},          // a glob matches one label
		{"ghcr.io/other/app:1", "ghcr:1"},
		{"ghcr.io/team/app:1", "team:1"},
		{"ghcr.io/team/private/app:1", "private:1"},
		{"ghcr.io/teamx/app:1", "ghcr:1"}, // a path prefix ends at a '/'
		{"quay.io/o/r:1", "quay:2"},
		{"legacy.example/app:1", "old:2"},
		{"elsewhere.example/app:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			ref, err := name.ParseReference(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			a, err := kc.Resolve(ref.Context())
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := a.Authorization()
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if cfg.Username != "" || cfg.Password != "" {
				got = cfg.Username + ":" + cfg.Password
			}
			if got != tt.want {
				t.Errorf("credentials for %s: %q, want %q", tt.image, got, tt.want)
			}
		})
	}
}

// A Secret that cannot be read is named in the error; the others still work.
func TestPullSecretKeychainBadSecrets(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	secret := func(name string, key string, data string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Data: map[string][]byte{key: []byte(data)}}
	}
	tests := []struct {
		secret  *corev1.Secret
		wantErr string
	}{
		{secret("not-json", corev1.DockerConfigJsonKey, "{"), "secret shop/not-json: .dockerconfigjson: not a Docker config"},
		{secret("no-auths", corev1.DockerConfigJsonKey, `{"credsStore":"desktop"}`), `secret shop/no-auths: .dockerconfigjson: no "auths" object`},
		{secret("bad-base64", corev1.DockerConfigJsonKey, `{"auths":{"ghcr.io":{"auth":"%%%"}}}`), `secret shop/bad-base64: .dockerconfigjson: auths["ghcr.io"]: auth: not base64`},
		{secret("no-colon", corev1.DockerConfigJsonKey, `{"auths":{"ghcr.io":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("robot"))+`"}}}`), `auths["ghcr.io"]: auth: not username:password`},
		{secret("empty-entry", corev1.DockerConfigJsonKey, `{"auths":{"ghcr.io":{}}}`), `auths["ghcr.io"]: no credentials`},
		{secret("entry-not-object", corev1.DockerConfigJsonKey, `{"auths":{"ghcr.io":"robot"}}`), `auths["ghcr.io"]: json: cannot unmarshal`},
		{secret("bad-glob", corev1.DockerConfigJsonKey, `{"auths":{"[.example":{"username":"a","password":"b"}}}`), `auths["[.example"]: bad glob`},
		{secret("no-host", corev1.DockerConfigKey, `{"https:///path":{"username":"a","password":"b"}}`), `secret shop/no-host: .dockercfg: ["https:///path"]: no registry host`},
		{secret("opaque", "password", "x"), "secret shop/opaque: type \"\" has neither .dockerconfigjson nor .dockercfg data"},
	}
	good := dockerConfigSecret(t, "good", map[string]string{"ghcr.io": "robot:ok"})
	for _, tt := range tests {
		t.Run(tt.secret.Name, func(t *testing.T) {
			kc, err := PullSecretKeychain([]*corev1.Secret{tt.secret, good})
			wantErr(t, err, tt.wantErr)
			if strings.Contains(err.Error(), "shop/good") {
				t.Errorf("the good Secret is blamed: %v", err)
			}
			a, rerr := kc.Resolve(mustRef(t, "ghcr.io/o/r:1").Context())
			if rerr != nil {
				t.Fatal(rerr)
			}
			if cfg, _ := a.Authorization(); cfg.Username != "robot" {
				t.Errorf("the good Secret is lost: %+v", cfg)
			}
		})
	}
}

func TestDockerAuthTokens(t *testing.T) {
	creds, err := parseDockerConfigJSON([]byte(`{"auths":{"r.example":{"identitytoken":"id-tok"},"s.example":{"registrytoken":"reg-tok"},"u.example":{"username":"u","password":"p:with:colons"},"a.example":{"auth":"` +
		base64.StdEncoding.EncodeToString([]byte("robot:p:w")) + `","username":"ignored"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]authn.AuthConfig{
		"a.example": {Username: "robot", Password: "p:w"},
		"r.example": {IdentityToken: "id-tok"},
		"s.example": {RegistryToken: "reg-tok"},
		"u.example": {Username: "u", Password: "p:with:colons"},
	}
	if len(creds) != len(want) {
		t.Fatalf("%d credentials, want %d", len(creds), len(want))
	}
	for _, c := range creds {
		if c.auth != want[c.key.host] {
			t.Errorf("%s: %+v, want %+v", c.key.host, c.auth, want[c.key.host])
		}
	}
}

func FuzzDockerConfigJSON(f *testing.F) {
	for _, s := range []string{
		`{"auths":{"ghcr.io":{"auth":"cm9ib3Q6cGFzcw=="}}}`,
		`{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p"}}}`,
		`{"auths":{"*.example:5000/team":{"identitytoken":"t"}}}`,
		`{"auths":{"[":{"auth":"x"}}}`, `{"auths":null}`, `{}`, `[]`, `{"auths":{"":{}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		creds, err := parseDockerConfigJSON(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, c := range creds {
			if c.key.host == "" || c.auth == (authn.AuthConfig{}) {
				t.Fatalf("credential %+v from %q has no host or no login", c, data)
			}
			// Matching never panics, whatever the key holds.
			c.key.matches("ghcr.io", "o/r")
			c.key.matches(c.key.host+":"+c.key.port, c.key.path)
		}
		kc := &secretKeychain{entries: creds}
		if _, err := kc.Resolve(name.MustParseReference("ghcr.io/o/r").Context()); err != nil {
			t.Fatal(err)
		}
		// The legacy format reads the same entries at the top level.
		if legacy, err := parseDockerConfig(data); err == nil && len(legacy) > 0 && len(creds) > 0 && legacy[0].key == creds[0].key {
			t.Fatalf("%q: an \"auths\" key read as a registry", data)
		}
	})
}
