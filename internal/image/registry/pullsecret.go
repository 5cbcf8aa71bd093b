package registry

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
)

// maxDockerConfigBytes bounds the Docker config a Secret may hold (Secrets are at most
// 1 MiB in the API server anyway).
const maxDockerConfigBytes = 1 << 20

// PullSecretKeychain builds a keychain from the .dockerconfigjson and .dockercfg data of
// Secrets (the workloads' imagePullSecrets), tried before the default keychain (the
// Docker config, else anonymous). A registry is matched as the kubelet matches it: by
// host (with '*' globs per label, as in "*.example.com") and port, then by the longest
// repository path prefix the key names; the earlier Secret wins a tie.
//
// A Secret that cannot be read does not stop the others: the keychain holds every one
// that could be read, and the error (nil when all could) names the others.
func PullSecretKeychain(secrets []*corev1.Secret) (authn.Keychain, error) {
	kc := &secretKeychain{}
	var errs []error
	for _, s := range secrets {
		if s == nil {
			continue
		}
		entries, err := secretEntries(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("secret %s/%s: %w", s.Namespace, s.Name, err))
			continue
		}
		kc.entries = append(kc.entries, entries...)
	}
	return authn.NewMultiKeychain(kc, authn.DefaultKeychain), errors.Join(errs...)
}

// secretEntries reads a Secret's Docker config: .dockerconfigjson first, as the kubelet does.
func secretEntries(s *corev1.Secret) ([]credential, error) {
	if data, ok := s.Data[corev1.DockerConfigJsonKey]; ok {
		entries, err := parseDockerConfigJSON(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", corev1.DockerConfigJsonKey, err)
		}
		return entries, nil
	}
	if data, ok := s.Data[corev1.DockerConfigKey]; ok {
		entries, err := parseDockerConfig(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", corev1.DockerConfigKey, err)
		}
		return entries, nil
	}
	return nil, fmt.Errorf("type %q has neither %s nor %s data", s.Type, corev1.DockerConfigJsonKey, corev1.DockerConfigKey)
}

// credential is one registry key of a Docker config and what to log in with there.
type credential struct {
	key  registryKey
	auth authn.AuthConfig
}

// dockerAuth is one entry of a Docker config.
type dockerAuth struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// parseDockerConfigJSON reads a .dockerconfigjson document: {"auths": {KEY: ENTRY}}.
func parseDockerConfigJSON(data []byte) ([]credential, error) {
	var doc struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if err := decodeDockerConfig(data, &doc); err != nil {
		return nil, err
	}
	if doc.Auths == nil {
		return nil, errors.New(`no "auths" object`)
	}
	return credentials(doc.Auths, "auths")
}

// parseDockerConfig reads a legacy .dockercfg document: {KEY: ENTRY}.
func parseDockerConfig(data []byte) ([]credential, error) {
	var doc map[string]json.RawMessage
	if err := decodeDockerConfig(data, &doc); err != nil {
		return nil, err
	}
	return credentials(doc, "")
}

func decodeDockerConfig(data []byte, v any) error {
	if len(data) > maxDockerConfigBytes {
		return fmt.Errorf("%d bytes, over the limit of %s", len(data), formatBytes(maxDockerConfigBytes))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("not a Docker config: %w", err)
	}
	return nil
}

// credentials reads the entries of a Docker config in the order of their keys, so that
// the result does not depend on map order.
func credentials(raw map[string]json.RawMessage, field string) ([]credential, error) {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]credential, 0, len(keys))
	for _, k := range keys {
		where := fmt.Sprintf("%s[%q]", field, k)
		key, err := parseRegistryKey(k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		var e dockerAuth
		if err := json.Unmarshal(raw[k], &e); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		cfg, err := e.authConfig()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		out = append(out, credential{key: key, auth: cfg})
	}
	return out, nil
}

// authConfig is what to log in with: the "auth" field (base64 of user:password) when
// set, as Docker reads it, else the separate fields.
func (e dockerAuth) authConfig() (authn.AuthConfig, error) {
	cfg := authn.AuthConfig{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken, RegistryToken: e.RegistryToken}
	if e.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(e.Auth)
		if err != nil {
			return cfg, fmt.Errorf("auth: not base64: %w", err)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return cfg, errors.New("auth: not username:password once decoded")
		}
		cfg.Username, cfg.Password = user, pass
	}
	if cfg == (authn.AuthConfig{}) {
		return cfg, errors.New("no credentials (auth, username and password, or a token)")
	}
	return cfg, nil
}

// registryKey is a Docker config key: a registry host, optionally a glob, a port and a
// repository path prefix ("https://index.docker.io/v1/", "*.example.com:5000/team").
type registryKey struct {
	host string // without the port; may hold '*' globs
	port string
	path string // repository prefix, without slashes at its ends
}

func parseRegistryKey(k string) (registryKey, error) {
	s := strings.TrimSpace(k)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	hostport, p, _ := strings.Cut(s, "/")
	p = strings.Trim(p, "/")
	// Docker's own keys end in the API version: "https://index.docker.io/v1/".
	if p == "v1" || p == "v2" {
		p = ""
	}
	host, port := hostport, ""
	if i := strings.LastIndex(hostport, ":"); i >= 0 && !strings.Contains(hostport[i:], "]") {
		host, port = hostport[:i], hostport[i+1:]
	}
	host = strings.ToLower(host)
	if host == "" {
		return registryKey{}, errors.New("no registry host")
	}
	if _, err := path.Match(host, ""); err != nil {
		return registryKey{}, fmt.Errorf("bad glob in the registry host: %w", err)
	}
	switch host {
	case "docker.io", "registry-1.docker.io":
		host = "index.docker.io" // go-containerregistry's name for Docker Hub
	}
	return registryKey{host: host, port: port, path: p}, nil
}

// matches reports whether the key covers a registry ("host[:port]") and a repository
// ("team/app").
func (k registryKey) matches(registry, repo string) bool {
	host, port := registry, ""
	if i := strings.LastIndex(registry, ":"); i >= 0 && !strings.Contains(registry[i:], "]") {
		host, port = registry[:i], registry[i+1:]
	}
	if port != k.port || !hostMatches(k.host, strings.ToLower(host)) {
		return false
	}
	return k.path == "" || repo == k.path || strings.HasPrefix(repo, k.path+"/")
}

// hostMatches compares label by label, each key label a glob, as the kubelet does.
func hostMatches(pattern, host string) bool {
	pl, hl := strings.Split(pattern, "."), strings.Split(host, ".")
	if len(pl) != len(hl) {
		return false
	}
	for i := range pl {
		if ok, err := path.Match(pl[i], hl[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

// specificity orders matching keys: a longer path, then a host without globs.
func (k registryKey) specificity() int {
	s := len(k.path) * 2
	if !strings.Contains(k.host, "*") {
		s++
	}
	return s
}

// secretKeychain resolves a registry to the most specific credential that covers it.
type secretKeychain struct {
	entries []credential
}

func (kc *secretKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	registry := r.RegistryStr()
	repo := strings.TrimPrefix(strings.TrimPrefix(r.String(), registry), "/")
	best, bestScore := -1, -1
	for i, e := range kc.entries {
		if e.key.matches(registry, repo) && e.key.specificity() > bestScore {
			best, bestScore = i, e.key.specificity()
		}
	}
	if best < 0 {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(kc.entries[best].auth), nil
}
