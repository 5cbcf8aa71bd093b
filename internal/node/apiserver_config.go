package node

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"
)

// errNotExamined is the error of a check that needs a file of a component read
// through the API: the check is left out, not failed.
var errNotExamined = errors.New("file not examined")

// failure is the message of a check that could not read what it needs: "" (no
// finding) when the files were not examined at all.
func failure(err error) string {
	if errors.Is(err, errNotExamined) {
		return ""
	}
	return err.Error()
}

// configFile decodes a structured configuration file a flag names into out, with the
// kind it must declare. ok is false when the flag is not given.
func configFile(c *Component, flag, kind string, out any) (path string, ok bool, err error) {
	path, ok = c.Flags.Lookup(flag)
	if !ok || path == "" {
		return "", false, nil
	}
	if !c.Host.FilesExamined() {
		return path, true, errNotExamined
	}
	f := c.Host.File(path)
	switch {
	case f == nil || (!f.Exists && f.Err == ""):
		return path, true, fmt.Errorf("--%s %s: not found", flag, path)
	case f.Err != "":
		return path, true, fmt.Errorf("--%s %s: %s", flag, path, f.Err)
	}
	if err := yaml.Unmarshal(f.Content, out); err != nil {
		return path, true, fmt.Errorf("--%s %s: %v", flag, path, err)
	}
	var meta struct{ Kind string }
	_ = yaml.Unmarshal(f.Content, &meta)
	if meta.Kind != kind {
		return path, true, fmt.Errorf("--%s %s: kind %q, want %s", flag, path, meta.Kind, kind)
	}
	return path, true, nil
}

// authorizationModes are the API server's authorizers in order, from
// --authorization-config when given (the API server refuses both), else
// --authorization-mode with its default; from says which, for messages.
func authorizationModes(c *Component) (modes []string, from, flag string, err error) {
	var cfg apiserverv1.AuthorizationConfiguration
	path, ok, err := configFile(c, "authorization-config", "AuthorizationConfiguration", &cfg)
	if ok {
		if err != nil {
			return nil, path, "authorization-config", err
		}
		for _, a := range cfg.Authorizers {
			modes = append(modes, a.Type)
		}
		return modes, "the authorizers of " + path, "authorization-config", nil
	}
	modes = c.Flags.List("authorization-mode")
	if len(modes) == 0 {
		// The API server's own default when neither flag names an authorizer.
		return []string{"AlwaysAllow"}, "--authorization-mode is not set (AlwaysAllow when --authorization-config is not given either)", "authorization-mode", nil
	}
	return modes, describe(c, "authorization-mode"), "authorization-mode", nil
}

// anonymousAuth says whether the API server authenticates anonymous requests: the
// anonymous section of --authentication-config when it has one, else --anonymous-auth.
func anonymousAuth(c *Component) (enabled bool, from, flag string, err error) {
	var cfg apiserverv1.AuthenticationConfiguration
	path, ok, err := configFile(c, "authentication-config", "AuthenticationConfiguration", &cfg)
	if ok && err != nil {
		return false, path, "authentication-config", err
	}
	if ok && cfg.Anonymous != nil {
		from := fmt.Sprintf("anonymous.enabled is %t in %s", cfg.Anonymous.Enabled, path)
		if cfg.Anonymous.Enabled && len(cfg.Anonymous.Conditions) > 0 {
			var paths []string
			for _, cond := range cfg.Anonymous.Conditions {
				paths = append(paths, cond.Path)
			}
			from += " (only for " + strings.Join(paths, ", ") + ")"
		}
		return cfg.Anonymous.Enabled && len(cfg.Anonymous.Conditions) == 0, from, "authentication-config", nil
	}
	v, err := c.Flags.Bool("anonymous-auth")
	return v, describe(c, "anonymous-auth"), "anonymous-auth", err
}

// admissionPlugins are the admission plugins the API server runs: --admission-control
// (deprecated) as given, else the release's defaults with --enable-admission-plugins
// added and --disable-admission-plugins removed.
func admissionPlugins(c *Component) []string {
	if v, ok := c.Flags.Lookup("admission-control"); ok {
		return splitList(v)
	}
	return c.Host.Release.AdmissionPluginsEnabled(c.Flags.List("enable-admission-plugins"), c.Flags.List("disable-admission-plugins"))
}

// wantPlugin fails unless an admission plugin runs (or, with on false, unless it does not).
func wantPlugin(name string, on bool) func(c *Component) (string, string) {
	return func(c *Component) (string, string) {
		running := slices.Contains(admissionPlugins(c), name)
		flag := "enable-admission-plugins"
		if c.Flags.Set("admission-control") {
			flag = "admission-control"
		} else if slices.Contains(c.Flags.List("disable-admission-plugins"), name) {
			flag = "disable-admission-plugins"
		}
		switch {
		case on && !running:
			why := "it is not among --enable-admission-plugins and not on by default"
			if flag == "disable-admission-plugins" {
				why = "--disable-admission-plugins names it"
			} else if flag == "admission-control" {
				why = "--admission-control does not name it"
			}
			return fmt.Sprintf("admission plugin %s does not run: %s", name, why), flag
		case !on && running:
			return fmt.Sprintf("admission plugin %s runs (%s)", name, describe(c, flag)), flag
		}
		return "", ""
	}
}

// strongCiphers are the TLS 1.2 suites CIS accepts: ECDHE key exchange with AEAD. TLS
// 1.3 suites are not configurable in Go and are all strong.
var strongCiphers = map[string]bool{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256":       true,
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256":         true,
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384":       true,
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384":         true,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": true,
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256":   true,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305":        true,
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305":          true,
	"TLS_AES_128_GCM_SHA256":                        true,
	"TLS_AES_256_GCM_SHA384":                        true,
	"TLS_CHACHA20_POLY1305_SHA256":                  true,
}

// cipherProblem says what is wrong with a --tls-cipher-suites value: not set (Go's
// defaults still accept CBC-mode suites for TLS 1.2), or naming a suite that is not
// ECDHE with AEAD; "" when nothing is.
func cipherProblem(flag, v string, set bool) string {
	if !set || v == "" {
		return fmt.Sprintf("--%s is not set: TLS 1.2 clients may negotiate Go's default suites, CBC-mode ones included", flag)
	}
	var weak []string
	for _, s := range splitList(v) {
		if !strongCiphers[s] {
			weak = append(weak, s)
		}
	}
	if len(weak) > 0 {
		return fmt.Sprintf("--%s allows suites without forward secrecy or AEAD: %s", flag, strings.Join(weak, ", "))
	}
	return ""
}
