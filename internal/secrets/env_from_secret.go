// Rule secret/env-from-secret: containers should read Secrets from mounted files rather
// than environment variables. Each env[].valueFrom.secretKeyRef and each
// envFrom[].secretRef is reported. Environment variables are inherited by every child
// process, written to crash dumps and debug output, and readable in /proc/PID/environ;
// a mounted Secret file is none of these and is updated in place when the Secret changes.
package secrets

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "secret/env-from-secret",
			Title:    "Secret passed as environment variables",
			Severity: finding.Low,
			Description: `A container receives a Secret as environment variables, through env[].valueFrom.secretKeyRef
or envFrom[].secretRef. Applications and their libraries log their environment, child
processes inherit it, crash reports and debug endpoints print it, and it is readable
through /proc/PID/environ; a Secret mounted as a file avoids all of these and is
refreshed when the Secret changes. CIS Kubernetes Benchmark 5.4.1 (prefer using Secrets
as files over Secrets as environment variables); NSA/CISA Kubernetes Hardening Guide,
Secrets; MITRE ATT&CK T1552.007 (Unsecured Credentials: Container API).`,
			Remediation: "Mount the Secret as a volume (secret volume or projected volume, readOnly) and have the application read the file; where a program reads only the environment, keep the variable but limit who may exec into or read the pod.",
			Frameworks:  finding.Frameworks{CIS: "5.4.1", NSA: nsaSecrets, MITRE: mitreContainerAPI},
			Kinds:       podspec.Kinds,
		},
		Object: checkEnvFromSecret,
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !(" + secretEnvCEL + "))",
			Message:    celexpr.ContainersWhere(secretEnvCEL) + " + ' read a Secret into the environment (env[].valueFrom.secretKeyRef or envFrom[].secretRef); mount it as a file instead'",
		},
	})
}

func checkEnvFromSecret(_ *rule.Context, o *inventory.Object) []rule.Result {
	pod, ok := podspec.Of(o)
	if !ok {
		return nil
	}
	var out []rule.Result
	for c := range pod.AllContainers {
		for j, e := range c.Env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.SecretKeyRef
			out = append(out, rule.Result{
				Message: fmt.Sprintf("%s reads key %q of Secret %q into env %s; mount the Secret as a file instead", c.Describe(), ref.Key, ref.Name, e.Name),
				Path:    fmt.Sprintf("%s.env[%d].valueFrom.secretKeyRef", c.Path, j),
			})
		}
		for k, ef := range c.EnvFrom {
			if ef.SecretRef == nil {
				continue
			}
			prefix := ""
			if ef.Prefix != "" {
				prefix = fmt.Sprintf(" with prefix %s", ef.Prefix)
			}
			out = append(out, rule.Result{
				Message: fmt.Sprintf("%s loads every key of Secret %q into its environment%s; mount the Secret as a file instead", c.Describe(), ef.SecretRef.Name, prefix),
				Path:    fmt.Sprintf("%s.envFrom[%d].secretRef", c.Path, k),
			})
		}
	}
	return out
}

// secretEnvCEL: container c reads a Secret into its environment.
const secretEnvCEL = "c.?env.orValue([]).exists(e, e.?valueFrom.?secretKeyRef.hasValue()) || c.?envFrom.orValue([]).exists(f, f.?secretRef.hasValue())"
