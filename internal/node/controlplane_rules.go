package node

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	schedulerv1 "k8s.io/kube-scheduler/config/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// The kube-controller-manager (CIS 1.3) and kube-scheduler (CIS 1.4) checks.
func init() {
	fw := func(cis, mitre string) finding.Frameworks {
		return finding.Frameworks{CIS: cis, NSA: nsaControlPlane, MITRE: mitre}
	}
	registerFlagRules(
		profilingRule(ControllerManager, "controller-manager", "1.3.2"),
		flagRule{ControllerManager, rule.Meta{
			ID: "controller-manager/use-service-account-credentials", Title: "Controllers share one identity", Severity: finding.Medium,
			Description: `Without --use-service-account-credentials every controller runs with the controller
manager's own, very broad credentials instead of its own service account with only the
permissions that controller needs. CIS 1.3.3.`,
			Remediation: "Set --use-service-account-credentials=true.",
			Frameworks:  fw("1.3.3", mitreValidAcct),
		}, wantBool("use-service-account-credentials", true)},
		flagRule{ControllerManager, rule.Meta{
			ID: "controller-manager/service-account-private-key-file", Title: "Controller manager does not sign service account tokens", Severity: finding.Medium,
			Description: `--service-account-private-key-file is the key the token controller signs service account
tokens with; without it tokens cannot be issued or rotated independently of the serving
key. CIS 1.3.4.`,
			Remediation: "Set --service-account-private-key-file to the private key whose public half the API server's --service-account-key-file holds.",
			Frameworks:  fw("1.3.4", ""),
		}, wantSet("service-account-private-key-file")},
		flagRule{ControllerManager, rule.Meta{
			ID: "controller-manager/root-ca-file", Title: "Pods are not given the cluster CA", Severity: finding.Medium,
			Description: `--root-ca-file is the CA bundle put in every service account's kube-root-ca.crt, so pods
verify the API server's certificate; without it they cannot, and may be talked into a
fake API server. CIS 1.3.5.`,
			Remediation: "Set --root-ca-file to the cluster CA.",
			Frameworks:  fw("1.3.5", "T1557"),
		}, wantSet("root-ca-file")},
		flagRule{ControllerManager, rule.Meta{
			ID: "controller-manager/rotate-kubelet-server-certificate", Title: "Kubelet serving certificates are not rotated", Severity: finding.Medium,
			Description: `The RotateKubeletServerCertificate feature lets the controller manager approve kubelets'
serving certificate requests, so they are rotated before they expire. CIS 1.3.6.`,
			Remediation: "Remove RotateKubeletServerCertificate=false from --feature-gates.",
			Frameworks:  fw("1.3.6", ""),
		}, featureGate("RotateKubeletServerCertificate")},
		flagRule{ControllerManager, bindAddressRule(ControllerManager, "controller-manager", "1.3.7"), wantLoopback("bind-address")},
		flagRule{Scheduler, bindAddressRule(Scheduler, "scheduler", "1.4.2"), wantLoopback("bind-address")},
	)
	rule.Register(componentRule(Scheduler, rule.Meta{
		ID: "scheduler/profiling", Title: "kube-scheduler serves profiling data", Severity: finding.Low,
		Description: `kube-scheduler serves /debug/pprof unless profiling is off: --profiling, or
enableProfiling in its --config file (a config file makes the scheduler ignore the
flag). Both default to true. CIS 1.4.1.`,
		Remediation: "Set --profiling=false, or enableProfiling: false in the KubeSchedulerConfiguration.",
		Frameworks:  fw("1.4.1", "T1082"),
	}, func(c *Component) []rule.Result {
		var cfg schedulerv1.KubeSchedulerConfiguration
		path, ok, err := configFile(c, "config", "KubeSchedulerConfiguration", &cfg)
		switch {
		case ok && errors.Is(err, errNotExamined):
			return nil
		case ok && err != nil:
			return []rule.Result{{Message: err.Error(), Path: "--config", Source: c.FlagSource("config")}}
		case ok:
			if cfg.EnableProfiling == nil || *cfg.EnableProfiling {
				return []rule.Result{{Message: fmt.Sprintf("enableProfiling is not false in %s (the scheduler ignores --profiling when given --config)", path),
					Path: "enableProfiling", Source: &finding.Source{File: path}}}
			}
			return nil
		}
		if msg, flag := wantBool("profiling", false)(c); msg != "" {
			return []rule.Result{{Message: msg, Path: "--" + flag, Source: c.FlagSource(flag)}}
		}
		return nil
	}))
	rule.Register(manualRule(ControllerManager, rule.Meta{
		ID: "controller-manager/terminated-pod-gc-threshold", Title: "Terminated pod garbage collection (manual)",
		Description: `--terminated-pod-gc-threshold bounds how many finished pods are kept; the right value
depends on the cluster. CIS 1.3.1 asks a person to review it.`,
		Remediation: "Review --terminated-pod-gc-threshold (default 12500): lower it on small control planes.",
		Frameworks:  fw("1.3.1", "T1499"),
	}))
}

// bindAddressRule is the check that a component serves only on loopback.
func bindAddressRule(kind, domain, cis string) rule.Meta {
	return rule.Meta{
		ID:       domain + "/bind-address",
		Title:    kind + " listens beyond loopback",
		Severity: finding.Medium,
		Description: fmt.Sprintf(`%s serves health, metrics and (with profiling) debug endpoints on --bind-address,
0.0.0.0 by default; nothing but the node itself needs them. CIS %s.`, kind, cis),
		Remediation: "Set --bind-address=127.0.0.1.",
		Frameworks:  finding.Frameworks{CIS: cis, NSA: nsaControlPlane, MITRE: mitreExposed},
	}
}

// featureGate fails when --feature-gates turns a gate off that the release has on.
func featureGate(gate string) func(c *Component) (string, string) {
	return func(c *Component) (string, string) {
		overrides := map[string]bool{}
		for k, v := range c.Flags.Map("feature-gates") {
			// Gates may carry the component they are for ("kube:Name"); "kube" is
			// the Kubernetes components' own, any other is another component's.
			if comp, name, ok := strings.Cut(k, ":"); ok {
				if comp != "kube" {
					continue
				}
				k = name
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Sprintf("--feature-gates %s=%s: not a boolean (the component refuses to start)", k, v), "feature-gates"
			}
			overrides[k] = b
		}
		on, known := c.Host.Release.FeatureEnabled(gate, overrides)
		if known && !on {
			return fmt.Sprintf("feature gate %s is off (%s)", gate, describe(c, "feature-gates")), "feature-gates"
		}
		return "", ""
	}
}
