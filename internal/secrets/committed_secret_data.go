// Rule secret/committed-secret-data: a Secret manifest should not carry its data. A
// Secret written with non-empty data or stringData puts the credential in the
// repository, where base64 hides nothing. Only keys whose value is empty, a placeholder,
// a reference ("${DB_PASSWORD}") or a public certificate are left out; a Secret read
// from a cluster carries metadata only, so the rule fires on manifests. Service account
// token Secrets written with their token are reported too: the token is filled in by
// the control plane and never belongs in a file.
package secrets

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "secret/committed-secret-data",
			Title:    "Secret manifest carries its data",
			Severity: finding.High,
			Description: `A Secret manifest has non-empty data or stringData. Base64 is an encoding, not encryption:
whoever can read the repository, the chart or the CI logs reads the credential, and it
stays in the history after it is removed. Credentials belong in a secret manager
(External Secrets Operator, Secrets Store CSI driver, Vault) or in encrypted form
(Sealed Secrets, SOPS), never in plain manifests. Service account token Secrets written
with a token are reported as well. A Secret read from a cluster carries metadata only, so
this rule fires on manifests; see secret/credential-in-annotation for data copied into
kubectl's last-applied-configuration. CIS Kubernetes Benchmark 5.4.2 (consider external
secret storage); NSA/CISA Kubernetes Hardening Guide, Secrets; MITRE ATT&CK T1552.001
(Unsecured Credentials: Credentials In Files).`,
			Remediation: "Remove the Secret's data from the repository and rotate the credentials it held; deliver them with External Secrets, Sealed Secrets, SOPS or the Secrets Store CSI driver instead.",
			Frameworks:  finding.Frameworks{CIS: "5.4.2", NSA: nsaSecrets, MITRE: mitreCredentialsInFiles},
			Kinds:       []string{"Secret"},
		},
		Object: checkCommittedSecretData,
		CEL: &rule.CEL{Unexportable: "judges each data value decoded from base64 (empty, a placeholder, a reference or only PEM certificates pass); " +
			"the API server's CEL has no base64 decoder, so a policy sees only the encoded text"},
	})
}

func checkCommittedSecretData(_ *rule.Context, o *inventory.Object) []rule.Result {
	s, ok := o.Obj.(*corev1.Secret)
	if !ok {
		return nil
	}
	var keys, kinds []string
	// The path points at the first key whose value is a credential by its format, or
	// else at the first key with data.
	path, pathByFormat := "", false
	note := func(field, k, v string) {
		keys = append(keys, k)
		recognised := len(Scan(v)) > 0
		if recognised && len(kinds) < 3 {
			kinds = append(kinds, fmt.Sprintf("%q holds %s", k, Scan(v)[0].Describe()))
		}
		if path == "" || recognised && !pathByFormat {
			path, pathByFormat = keyPath(field, k), recognised
		}
	}
	for _, k := range sortedKeys(s.Data) {
		if v := string(s.Data[k]); holdsSecret(v) {
			note("data", k, v)
		}
	}
	for _, k := range sortedKeys(s.StringData) {
		if v := s.StringData[k]; holdsSecret(v) {
			note("stringData", k, v)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	typ := string(s.Type)
	if typ == "" {
		typ = string(corev1.SecretTypeOpaque)
	}
	noun := "keys"
	if len(keys) == 1 {
		noun = "key"
	}
	msg := fmt.Sprintf("Secret of type %s carries %d data %s in the manifest (%s)", typ, len(keys), noun, quoteList(keys, 5))
	if len(kinds) > 0 {
		msg += "; " + strings.Join(kinds, ", ")
	}
	if s.Type == corev1.SecretTypeServiceAccountToken {
		msg += "; the control plane fills in a service account token, it never belongs in a file"
	}
	return []rule.Result{{Message: msg + "; deliver it from a secret manager or as a SealedSecret", Path: path}}
}

// holdsSecret reports a Secret value worth protecting: not empty, not a placeholder or a
// reference, not only public certificates.
func holdsSecret(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" || isPlaceholder(t) || isReference(t) {
		return false
	}
	return !onlyCertificates(t)
}

// onlyCertificates reports PEM text made of CERTIFICATE blocks alone (a CA bundle).
func onlyCertificates(t string) bool {
	if !strings.HasPrefix(t, "-----BEGIN ") {
		return false
	}
	for _, line := range strings.Split(t, "\n") {
		if strings.HasPrefix(line, "-----BEGIN ") && strings.TrimSpace(line) != "-----BEGIN CERTIFICATE-----" {
			return false
		}
	}
	return true
}
