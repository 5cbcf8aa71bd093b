// Rule secret/credential-in-configmap: no ConfigMap should hold a credential. A data
// key is reported when its value is a credential by format or randomness, when the key
// is named like a credential and holds a literal (DB_PASSWORD: s3cr3t), or when the value
// is a configuration file (application.properties, .env, JSON, YAML, INI, XML) in which a
// credential-named key holds a literal or a credential appears by its format. binaryData
// is scanned when it is text; binary key stores (.jks, .p12, .pfx) are reported by name.
package secrets

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "secret/credential-in-configmap",
			Title:    "Credential in a ConfigMap",
			Severity: finding.High,
			Description: `A ConfigMap holds a credential: a data value that is a credential by its format (cloud and SaaS
tokens, private keys, JWTs, passwords in URLs), a random-looking token (medium), a literal
under a credential-named key, or a configuration file (application.properties, .env, JSON,
YAML, INI, XML) whose credential-named keys hold literals. ConfigMaps are not Secrets: they
are readable by every role that may read configuration, are not encrypted at rest by an
EncryptionConfiguration that covers secrets, and are logged and shown in full. NSA/CISA
Kubernetes Hardening Guide, Secrets; MITRE ATT&CK T1552.001 (Unsecured Credentials:
Credentials In Files); Kubescape C-0012. Messages show no part of the value, nor its
length.`,
			Remediation: "Move the credential into a Secret supplied by a secret manager (External Secrets, Sealed Secrets, CSI secrets store) and have the configuration read it from a mounted file or an environment variable; rotate the exposed credential.",
			Frameworks:  finding.Frameworks{NSA: nsaSecrets, MITRE: mitreCredentialsInFiles},
			Kinds:       []string{"ConfigMap"},
		},
		Object: checkCredentialInConfigMap,
		CEL:    &rule.CEL{Unexportable: entropyReason},
	})
}

// keyStoreExt are file types that are credential stores however they are named.
var keyStoreExt = map[string]string{
	".jks": "Java key store", ".keystore": "Java key store", ".p12": "PKCS#12 key store",
	".pfx": "PKCS#12 key store", ".kdbx": "KeePass database",
}

func checkCredentialInConfigMap(_ *rule.Context, o *inventory.Object) []rule.Result {
	cm, ok := o.Obj.(*corev1.ConfigMap)
	if !ok {
		return nil
	}
	var out []rule.Result
	for _, k := range sortedKeys(cm.Data) {
		out = append(out, configValue("data", k, cm.Data[k])...)
	}
	for _, k := range sortedKeys(cm.BinaryData) {
		b := cm.BinaryData[k]
		p := keyPath("binaryData", k)
		if store, ok := keyStoreExt[strings.ToLower(path.Ext(k))]; ok && len(b) > 0 {
			out = append(out, rule.Result{
				Message: fmt.Sprintf("ConfigMap binaryData key %q holds a %s (%d bytes); key stores belong in a Secret", k, store, len(b)),
				Path:    p,
			})
			continue
		}
		if utf8.Valid(b) {
			out = append(out, configValue("binaryData", k, string(b))...)
		}
	}
	return out
}

// configValue reports the credentials in one ConfigMap value: a single value judged
// with its key, or a file.
func configValue(field, key, value string) []rule.Result {
	if !strings.Contains(strings.TrimSpace(value), "\n") {
		// One value: its key names it, and randomness counts. A one-line JSON
		// document is a file.
		if t := strings.TrimSpace(value); !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") {
			if m, ok := Check(key, value); ok {
				return []rule.Result{{
					Message:  configKey(field, key) + " holds " + what(m) + "; store it in a Secret",
					Path:     keyPath(field, key),
					Severity: severityOf(m),
				}}
			}
			if !looksLikeFile(value) {
				return nil
			}
		}
	}
	hits := fileCredentials(value)
	if len(hits) == 0 {
		return nil
	}
	where, p := configKey(field, key), keyPath(field, key)
	var out []rule.Result
	for _, h := range hits {
		msg := fmt.Sprintf("%s holds %s on line %d of its value", where, what(h.Match), h.Line)
		if h.Key != "" {
			msg = fmt.Sprintf("%s sets %s to %s on line %d of its value", where, h.Key, what(h.Match), h.Line)
		}
		out = append(out, rule.Result{Message: msg + "; store it in a Secret", Path: p})
	}
	return out
}

// configKey names a key in messages: `ConfigMap key "password"`, `ConfigMap binaryData key "app.conf"`.
func configKey(field, key string) string {
	if field == "data" {
		return "ConfigMap key " + strconv.Quote(key)
	}
	return "ConfigMap " + field + " key " + strconv.Quote(key)
}

// looksLikeFile reports a one-line value that may still be a configuration file:
// "password=x" or "user: x".
func looksLikeFile(v string) bool { return strings.ContainsAny(v, "=:") && kvLineRE.MatchString(v) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
