// Rule secret/credential-in-env: no container should set an environment variable to a
// literal credential. A variable is reported when its literal value (env[].value, not
// valueFrom) is a credential by its format (an AWS key, a GitHub token, a private key,
// a password in a URL, a service token of the catalogue, "Bearer <token>", ...), is a
// high-entropy random-looking token (reported as medium), or is a non-placeholder
// literal under a credential-like name (DB_PASSWORD, API_KEY, CLIENT_SECRET; not
// PASSWORD_FILE or TOKEN_TTL) or a generated-looking literal under a key name
// (AZURE_STORAGE_KEY, OCI_CLI_KEY_CONTENT; see catalogue.go). References such as
// "$(DB_PASSWORD)" and placeholders such as "changeme" are not credentials.
package secrets

import (
	"strconv"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "secret/credential-in-env",
			Title:    "Credential in a literal environment variable",
			Severity: finding.High,
			Description: `A container sets an environment variable to a literal credential: a value whose format is a
credential (cloud and SaaS tokens, private keys, JWTs, passwords in URLs and connection
strings, Authorization values such as "Bearer ..."), a random-looking high-entropy token
(reported as medium), a literal under a name such as DB_PASSWORD, API_KEY or
CLIENT_SECRET, or a generated-looking literal under a key name such as
AZURE_STORAGE_KEY (formats and names derived from gitleaks' default rules). The value is
stored in the manifest, in Git and in etcd without Secret protections, and anyone who may
read the workload (get pods, get deployments) reads it. NSA/CISA Kubernetes Hardening
Guide, Secrets; MITRE ATT&CK T1552.007 (Unsecured Credentials: Container API); Kubescape
C-0012 (applications credentials in configuration files). Messages show no part of the
value, nor its length.`,
			Remediation: "Move the value into a Secret (created from a secret manager, Sealed Secrets or External Secrets, not committed) and reference it with env[].valueFrom.secretKeyRef or, better, mount it as a file; rotate the exposed credential.",
			Frameworks:  finding.Frameworks{NSA: nsaSecrets, MITRE: mitreContainerAPI},
			Kinds:       podspec.Kinds,
		},
		Object: checkCredentialInEnv,
		CEL:    &rule.CEL{Unexportable: entropyReason},
	})
}

func checkCredentialInEnv(_ *rule.Context, o *inventory.Object) []rule.Result {
	pod, ok := podspec.Of(o)
	if !ok {
		return nil
	}
	var out []rule.Result
	for c := range pod.AllContainers {
		for j := range c.Env {
			e := &c.Env[j]
			if e.ValueFrom != nil || e.Value == "" {
				continue
			}
			m, ok := Check(e.Name, e.Value)
			if !ok {
				continue
			}
			out = append(out, rule.Result{
				Message:  c.Sentence(" sets env ", e.Name, " to ", what(m), "; reference a Secret instead"),
				Path:     c.Path + ".env[" + strconv.Itoa(j) + "].value",
				Severity: severityOf(m),
			})
		}
	}
	return out
}

// entropyReason is why the rules built on Detect's entropy test (this one,
// secret/credential-in-args and secret/credential-in-configmap) are not exported as
// admission policies.
const entropyReason = "a value counts as a credential when its Shannon entropy (a base-2 logarithm over character frequencies) " +
	"passes a threshold; the API server's CEL has no logarithm, so a policy cannot reach the same verdict"
