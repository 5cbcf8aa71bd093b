// Rule secret/credential-in-annotation: no annotation should hold a credential. Checked
// are the annotations of every object and of pod templates: a value that is a
// credential by its format, a literal under a credential-named annotation key
// (example.com/db-password), and credential-named members of JSON values. The
// kubectl.kubernetes.io/last-applied-configuration annotation of a Secret is reported
// when it holds data or stringData: kubectl apply copies the whole Secret, data
// included, into it. The last-applied annotation of other kinds repeats the object,
// whose own fields the other rules check, so it is not read twice.
//
// A hexadecimal digest of a hash's length (MD5, SHA-1, SHA-224, SHA-256, SHA-384,
// SHA-512) under a key that names a checksum (checksum/config, checksum/secrets,
// config-hash: Helm's pattern to roll pods when their configuration changes) is not a
// credential: it is not reported, whatever word follows "checksum/". Any other value
// under such a key is judged as under any key.
package secrets

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "secret/credential-in-annotation",
			Title:    "Credential in an annotation",
			Severity: finding.High,
			Description: `An annotation holds a credential: a token, key or password recognised by its format, a literal
under a credential-named annotation key, or, on a Secret, the
kubectl.kubernetes.io/last-applied-configuration annotation that client-side kubectl
apply fills with the whole Secret, data and stringData included. Annotations are
metadata: kubectl describe prints them where it hides a Secret's data, metadata-only
watches and lists return them, and tools and controllers copy them; on other kinds they
are stored and shown in clear like any field. NSA/CISA Kubernetes Hardening Guide,
Secrets; MITRE ATT&CK T1552.007 (Unsecured Credentials: Container API). Messages show
no part of the value, nor its length.`,
			Remediation: "Remove the credential from the annotation and rotate it; apply Secrets with server-side apply (kubectl apply --server-side) or kubectl create so that no last-applied-configuration copy is kept, and remove the existing annotation.",
			Frameworks:  finding.Frameworks{NSA: nsaSecrets, MITRE: mitreContainerAPI},
			Kinds:       []string{"*"},
		},
		Object: checkCredentialInAnnotation,
		CEL: &rule.CEL{Unexportable: "finds credentials inside annotation values parsed as JSON and key/value documents (kubectl's " +
			"last-applied-configuration included); the API server's CEL has no JSON or document parser"},
	})
}

func checkCredentialInAnnotation(_ *rule.Context, o *inventory.Object) []rule.Result {
	out := annotationCredentials(o, o.Meta.GetAnnotations(), "metadata.annotations", "")
	if pod, ok := podspec.Of(o); ok && pod.Path != "spec" {
		out = append(out, annotationCredentials(o, pod.Meta.Annotations, pod.MetaPath()+".annotations", "pod template ")...)
	}
	return out
}

func annotationCredentials(o *inventory.Object, anns map[string]string, prefix, whose string) []rule.Result {
	var out []rule.Result
	for _, k := range sortedKeys(anns) {
		v := anns[k]
		p := keyPath(prefix, k)
		if k == lastApplied {
			if whose == "" && o.Kind() == "Secret" && o.GVK.Group == "" {
				if keys := lastAppliedSecretKeys(v); len(keys) > 0 {
					out = append(out, rule.Result{
						Message: fmt.Sprintf("annotation %s copies the Secret's data (%s) into metadata; apply Secrets server-side and remove the annotation", k, quoteList(keys, 5)),
						Path:    p,
					})
				}
			}
			continue
		}
		for _, h := range annotationValue(k, v) {
			msg := fmt.Sprintf("%sannotation %s holds %s", whose, k, what(h.Match))
			if h.Key != "" && h.Key != k {
				msg = fmt.Sprintf("%sannotation %s sets %s to %s", whose, k, h.Key, what(h.Match))
			}
			out = append(out, rule.Result{Message: msg + "; keep credentials in Secrets", Path: p})
		}
	}
	return out
}

// annotationValue finds the credentials in one annotation: by format anywhere in it, as
// a literal under a credential-named key, or in a JSON or key/value document. Randomness
// alone is not used: annotations hold checksums, revisions and IDs.
func annotationValue(key, value string) []fileHit {
	t := strings.TrimSpace(value)
	if isChecksumKey(key) && isHexDigest(t) {
		return nil
	}
	if !strings.Contains(t, "\n") && !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") {
		if ms := Scan(value); len(ms) > 0 {
			return []fileHit{{Match: ms[0]}}
		}
		if m, ok := Named(key, value); ok {
			return []fileHit{{Match: m, Key: key}}
		}
		return nil
	}
	return fileCredentials(value)
}

// lastAppliedSecretKeys returns the data and stringData keys with values that a
// Secret's last-applied-configuration holds.
func lastAppliedSecretKeys(v string) []string {
	var applied struct {
		Data       map[string]string `json:"data"`
		StringData map[string]string `json:"stringData"`
	}
	if json.Unmarshal([]byte(v), &applied) != nil {
		return nil
	}
	var keys []string
	for _, k := range sortedKeys(applied.Data) {
		if strings.TrimSpace(applied.Data[k]) != "" {
			keys = append(keys, k)
		}
	}
	for _, k := range sortedKeys(applied.StringData) {
		if holdsSecret(applied.StringData[k]) {
			keys = append(keys, k)
		}
	}
	return keys
}

// checksumWords name a digest in an annotation key: checksum/config, config-hash,
// secret.sha256.
var checksumWords = map[string]bool{
	"checksum": true, "checksums": true, "hash": true, "digest": true, "sum": true,
	"shasum": true, "sha": true, "sha1": true, "sha224": true, "sha256": true,
	"sha384": true, "sha512": true, "md5": true,
}

// isChecksumKey reports an annotation key with a checksum word in its prefix or name.
func isChecksumKey(key string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(key), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	}) {
		if checksumWords[w] {
			return true
		}
	}
	return false
}

// hexDigestRE is a hexadecimal digest, optionally named by its algorithm as an image
// digest is ("sha256:...").
var hexDigestRE = regexp.MustCompile(`^(?i)(?:(?:sha1|sha224|sha256|sha384|sha512|md5)[:=-])?([0-9a-f]+)$`)

// isHexDigest reports a hexadecimal string of the length of an MD5 (32), SHA-1 (40),
// SHA-224 (56), SHA-256 (64), SHA-384 (96) or SHA-512 (128) digest.
func isHexDigest(v string) bool {
	m := hexDigestRE.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	switch len(m[1]) {
	case 32, 40, 56, 64, 96, 128:
		return true
	}
	return false
}
