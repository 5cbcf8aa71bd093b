package node

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// The kube-apiserver checks of CIS section 1.2 (encryption at rest and the audit
// policy are in encryption.go and auditlog.go).
func init() {
	fw := func(cis, nsa, mitre string) finding.Frameworks {
		return finding.Frameworks{CIS: cis, NSA: nsa, MITRE: mitre}
	}
	registerFlagRules(
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/anonymous-auth", Title: "API server accepts anonymous requests", Severity: finding.Medium,
			Description: `With anonymous authentication on, every request without credentials is served as
system:anonymous in group system:unauthenticated; one binding that grants that group
anything (a common mistake, and the default discovery roles) is open to the network.
Read from --authentication-config's anonymous section when it has one (conditions that
limit anonymous access to health paths pass), else --anonymous-auth, which defaults to
true. CIS 1.2.1 (manual in the benchmark; Moat evaluates it exactly).`,
			Remediation: "Set --anonymous-auth=false, or in the AuthenticationConfiguration set anonymous.enabled: true only with conditions for /livez, /readyz and /healthz.",
			Frameworks:  fw("1.2.1", nsaAuthn, mitreValidAcct),
		}, func(c *Component) (string, string) {
			on, from, flag, err := anonymousAuth(c)
			if err != nil {
				return failure(err), flag
			}
			if on {
				return "anonymous requests are authenticated: " + from, flag
			}
			return "", ""
		}},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/token-auth-file", Title: "API server reads static tokens from a file", Severity: finding.High,
			Description: `A --token-auth-file holds bearer tokens in clear text on the control plane's disk; they
never expire and cannot be changed without restarting the API server. CIS 1.2.2.`,
			Remediation: "Remove --token-auth-file; use client certificates, OIDC (--authentication-config) or service account tokens.",
			Frameworks:  fw("1.2.2", nsaAuthn, mitreCredFiles),
		}, wantUnset("token-auth-file")},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/deny-service-external-ips", Title: "Services may set externalIPs", Severity: finding.Low,
			Description: `Without the DenyServiceExternalIPs admission plugin, anyone who may create a Service can
set spec.externalIPs and take over traffic to any address (CVE-2020-8554). CIS 1.2.3.`,
			Remediation: "Add DenyServiceExternalIPs to --enable-admission-plugins.",
			Frameworks:  fw("1.2.3", nsaControlPlane, "T1557"),
		}, wantPlugin("DenyServiceExternalIPs", true)},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/kubelet-client-certificate", Title: "API server has no client certificate for kubelets", Severity: finding.High,
			Description: `Without --kubelet-client-certificate and --kubelet-client-key the API server calls
kubelets (logs, exec, port-forward) without authenticating, so kubelets must accept
anonymous requests for those to work. CIS 1.2.4.`,
			Remediation: "Set --kubelet-client-certificate and --kubelet-client-key to a client certificate the kubelets trust.",
			Frameworks:  fw("1.2.4", nsaAuthn, mitreValidAcct),
		}, wantSet("kubelet-client-certificate", "kubelet-client-key")},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/kubelet-certificate-authority", Title: "API server does not verify kubelets' certificates", Severity: finding.Medium,
			Description: `Without --kubelet-certificate-authority the API server does not verify the serving
certificate of the kubelets it calls, so anyone on the path can pose as a kubelet and
receive exec sessions and logs. CIS 1.2.5.`,
			Remediation: "Set --kubelet-certificate-authority to the CA that signs the kubelets' serving certificates (and enable serverTLSBootstrap).",
			Frameworks:  fw("1.2.5", nsaAuthn, "T1557"),
		}, wantSet("kubelet-certificate-authority")},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/authorization-always-allow", Title: "API server allows every request", Severity: finding.Critical,
			Description: `The AlwaysAllow authorizer grants every authenticated request everything: RBAC and
every other control are bypassed. It is the default when neither --authorization-mode
nor --authorization-config is given. CIS 1.2.6.`,
			Remediation: "Set --authorization-mode=Node,RBAC (or an --authorization-config with Node and RBAC authorizers).",
			Frameworks:  fw("1.2.6", nsaAuthn, mitreValidAcct),
		}, func(c *Component) (string, string) {
			modes, from, flag, err := authorizationModes(c)
			if err != nil {
				return failure(err), flag
			}
			if slices.Contains(modes, "AlwaysAllow") {
				return "AlwaysAllow authorizes every request: " + from, flag
			}
			return "", ""
		}},
		modeRule("Node", "1.2.7", finding.Medium, "the Node authorizer limits each kubelet to the objects of its own pods; without it a node's credentials read every Secret"),
		modeRule("RBAC", "1.2.8", finding.High, "without RBAC the cluster's Roles and bindings grant nothing and mean nothing"),
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/event-rate-limit", Title: "API server does not rate-limit events", Severity: finding.Low,
			Description: `Without the EventRateLimit admission plugin a client can flood the API server and etcd with
Events. CIS 1.2.9 (manual: the limits need an --admission-control-config-file).`,
			Remediation: "Add EventRateLimit to --enable-admission-plugins and configure its limits in --admission-control-config-file.",
			Frameworks:  fw("1.2.9", nsaControlPlane, "T1499"),
		}, wantPlugin("EventRateLimit", true)},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/always-admit", Title: "API server admits everything", Severity: finding.High,
			Description: `The AlwaysAdmit admission plugin (deprecated) admits every request, whatever other plugins
would say. CIS 1.2.10.`,
			Remediation: "Remove AlwaysAdmit from --enable-admission-plugins.",
			Frameworks:  fw("1.2.10", nsaControlPlane, ""),
		}, wantPlugin("AlwaysAdmit", false)},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/always-pull-images", Title: "Pods may use images pulled by others", Severity: finding.Low,
			Description: `Without AlwaysPullImages (or the kubelet's image pull credential verification), a pod on
a node can run a private image another tenant pulled there, without the credentials
for it. CIS 1.2.11 (manual).`,
			Remediation: "Add AlwaysPullImages to --enable-admission-plugins, or enable the kubelet's KubeletEnsureSecretPulledImages.",
			Frameworks:  fw("1.2.11", nsaControlPlane, ""),
		}, wantPlugin("AlwaysPullImages", true)},
		pluginRule("ServiceAccount", "1.2.12", "service-account-plugin", "automates service accounts and their tokens for pods; without it pods may name service accounts that do not exist"),
		pluginRule("NamespaceLifecycle", "1.2.13", "namespace-lifecycle-plugin", "refuses objects in namespaces that do not exist or are being deleted"),
		pluginRule("NodeRestriction", "1.2.14", "node-restriction-plugin", "limits what a kubelet may change to its own Node and its own pods; without it one node's credentials can relabel other nodes and pods"),
		profilingRule(APIServer, "apiserver", "1.2.15"),
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/audit-log-path", Title: "API server writes no audit log", Severity: finding.Medium,
			Description: `Without --audit-log-path (or an audit webhook) nothing records who did what through the
API: no detection, no forensics. CIS 1.2.16.`,
			Remediation: "Set --audit-log-path (and --audit-policy-file; `moat audit policy` prints a recommended policy), or --audit-webhook-config-file.",
			Frameworks:  fw("1.2.16", nsaLogging, mitreImpairLogs),
		}, func(c *Component) (string, string) {
			if c.Flags.Value("audit-log-path") == "" && c.Flags.Value("audit-webhook-config-file") == "" {
				return "neither --audit-log-path nor --audit-webhook-config-file is set", "audit-log-path"
			}
			return "", ""
		}},
		auditRetention("maxage", "1.2.17", 30, "days an audit log file is kept"),
		auditRetention("maxbackup", "1.2.18", 10, "rotated audit log files kept"),
		auditRetention("maxsize", "1.2.19", 100, "megabytes an audit log file grows to before rotation"),
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/service-account-lookup", Title: "API server accepts tokens of deleted service accounts", Severity: finding.Medium,
			Description: `With --service-account-lookup=false the API server accepts a service account token without
checking that the account (and the Secret of a legacy token) still exists, so deleting
an account does not revoke its tokens. CIS 1.2.21.`,
			Remediation: "Remove --service-account-lookup=false (the default is true).",
			Frameworks:  fw("1.2.21", nsaAuthn, mitreValidAcct),
		}, wantBool("service-account-lookup", true)},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/service-account-key-file", Title: "API server has no service account verification key", Severity: finding.Medium,
			Description: `--service-account-key-file names the public keys that verify service account tokens;
without it the API server falls back to its TLS key, which then cannot be rotated
without invalidating every token. CIS 1.2.22.`,
			Remediation: "Set --service-account-key-file to the public key matching the controller manager's --service-account-private-key-file.",
			Frameworks:  fw("1.2.22", nsaAuthn, ""),
		}, wantSet("service-account-key-file")},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/etcd-client-certificate", Title: "API server does not authenticate to etcd", Severity: finding.High,
			Description: `Without --etcd-certfile and --etcd-keyfile the API server talks to etcd without a client
certificate, so etcd must accept unauthenticated clients — and etcd holds every Secret.
CIS 1.2.23.`,
			Remediation: "Set --etcd-certfile and --etcd-keyfile, and enable --client-cert-auth on etcd.",
			Frameworks:  fw("1.2.23", nsaControlPlane, mitreCredFiles),
		}, wantSet("etcd-certfile", "etcd-keyfile")},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/tls-certificate", Title: "API server serves a self-generated certificate", Severity: finding.Medium,
			Description: `Without --tls-cert-file and --tls-private-key-file the API server generates a self-signed
certificate at start, which clients cannot verify. CIS 1.2.24.`,
			Remediation: "Set --tls-cert-file and --tls-private-key-file to a certificate signed by the cluster CA.",
			Frameworks:  fw("1.2.24", nsaControlPlane, "T1557"),
		}, wantSet("tls-cert-file", "tls-private-key-file")},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/client-ca-file", Title: "API server does not accept client certificates", Severity: finding.Medium,
			Description: `Without --client-ca-file the API server cannot authenticate client certificates, the
credentials kubelets and the control plane use. CIS 1.2.25.`,
			Remediation: "Set --client-ca-file to the cluster CA.",
			Frameworks:  fw("1.2.25", nsaAuthn, ""),
		}, wantSet("client-ca-file")},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/etcd-cafile", Title: "API server does not verify etcd's certificate", Severity: finding.Medium,
			Description: `Without --etcd-cafile the API server does not verify etcd's serving certificate, so
whoever sits between them sees every object, Secrets included. CIS 1.2.26.`,
			Remediation: "Set --etcd-cafile to the CA of etcd's serving certificates.",
			Frameworks:  fw("1.2.26", nsaControlPlane, "T1557"),
		}, wantSet("etcd-cafile")},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/tls-cipher-suites", Title: "API server accepts weak TLS cipher suites", Severity: finding.Low,
			Description: `TLS 1.2 suites without ECDHE or AEAD (RSA key exchange, CBC mode, 3DES, RC4) give no
forward secrecy or are open to padding attacks. CIS 1.2.29 (manual).`,
			Remediation: "Set --tls-cipher-suites to ECDHE suites with AES-GCM or ChaCha20-Poly1305 only (and --tls-min-version=VersionTLS12 or later).",
			Frameworks:  fw("1.2.29", nsaControlPlane, "T1557"),
		}, func(c *Component) (string, string) {
			v, set := c.Flags.Lookup("tls-cipher-suites")
			if msg := cipherProblem("tls-cipher-suites", v, set); msg != "" {
				return msg, "tls-cipher-suites"
			}
			return "", ""
		}},
		flagRule{APIServer, rule.Meta{
			ID: "apiserver/service-account-extend-token-expiration", Title: "Service account tokens live longer than asked", Severity: finding.Low,
			Description: `With --service-account-extend-token-expiration (true by default) projected tokens are
issued valid for a year while the pod is told their shorter lifetime, to ease the move
to bound tokens; a leaked token stays valid that long. CIS 1.2.30.`,
			Remediation: "Set --service-account-extend-token-expiration=false once workloads refresh their tokens.",
			Frameworks:  fw("1.2.30", nsaAuthn, mitreValidAcct),
		}, wantBool("service-account-extend-token-expiration", false)},
	)
	rule.Register(manualRule(APIServer, rule.Meta{
		ID: "apiserver/user-client-certificates", Title: "People authenticate with client certificates (manual)",
		Description: `Client certificates cannot be revoked: a person's certificate stays valid until it expires,
even after they leave. Whether any person authenticates with one cannot be seen from the
API server's flags (the certificates are issued outside it). CIS 3.1.1.`,
		Remediation: "Review how people authenticate: use OIDC (--authentication-config) or another token authenticator for them, and keep client certificates for components.",
		Frameworks:  fw("3.1.1", nsaAuthn, mitreValidAcct),
	}), manualRule(APIServer, rule.Meta{
		ID: "apiserver/user-service-account-tokens", Title: "People authenticate with service account tokens (manual)",
		Description: `Service account tokens are for workloads; a person using one acts under an identity that
audit logs attribute to a workload, and long-lived tokens are often copied around. CIS 3.1.2.`,
		Remediation: "Review that people do not use service account tokens; give them OIDC identities instead.",
		Frameworks:  fw("3.1.2", nsaAuthn, mitreValidAcct),
	}), manualRule(APIServer, rule.Meta{
		ID: "apiserver/user-bootstrap-tokens", Title: "People authenticate with bootstrap tokens (manual)",
		Description: `Bootstrap tokens exist to join nodes; they are stored as Secrets in kube-system and are
not meant as user credentials. CIS 3.1.3.`,
		Remediation: "Review that people do not use bootstrap tokens, and that unused bootstrap tokens are deleted.",
		Frameworks:  fw("3.1.3", nsaAuthn, mitreValidAcct),
	}))
	rule.Register(manualRule(APIServer, rule.Meta{
		ID: "apiserver/request-timeout", Title: "API server request timeout (manual)",
		Description: `The right --request-timeout depends on the cluster's clients; the default of 60s suits most.
CIS 1.2.20 asks a person to review it.`,
		Remediation: "Review --request-timeout: keep the 60s default unless large list or watch requests need more.",
		Frameworks:  fw("1.2.20", nsaControlPlane, ""),
	}))
}

// modeRule is the check that an authorizer runs.
func modeRule(mode, cis string, sev finding.Severity, why string) flagRule {
	return flagRule{APIServer, rule.Meta{
		ID:          "apiserver/authorization-" + strings.ToLower(mode),
		Title:       "API server does not run the " + mode + " authorizer",
		Severity:    sev,
		Description: fmt.Sprintf("The %s authorizer must be among --authorization-mode (or the --authorization-config authorizers): %s. CIS %s.", mode, why, cis),
		Remediation: "Set --authorization-mode=Node,RBAC, or add a " + mode + " authorizer to the AuthorizationConfiguration.",
		Frameworks:  finding.Frameworks{CIS: cis, NSA: nsaAuthn, MITRE: mitreValidAcct},
	}, func(c *Component) (string, string) {
		modes, from, flag, err := authorizationModes(c)
		if err != nil {
			return failure(err), flag
		}
		if !slices.Contains(modes, mode) {
			return "the " + mode + " authorizer does not run: " + from, flag
		}
		return "", ""
	}}
}

// pluginRule is the check that an admission plugin the benchmark wants runs.
func pluginRule(plugin, cis, slug, why string) flagRule {
	return flagRule{APIServer, rule.Meta{
		ID:          "apiserver/" + slug,
		Title:       "Admission plugin " + plugin + " does not run",
		Severity:    finding.Medium,
		Description: fmt.Sprintf("The %s admission plugin %s. CIS %s.", plugin, why, cis),
		Remediation: fmt.Sprintf("Add %s to --enable-admission-plugins and remove it from --disable-admission-plugins.", plugin),
		Frameworks:  finding.Frameworks{CIS: cis, NSA: nsaControlPlane},
	}, wantPlugin(plugin, true)}
}

// profilingRule is the check that a component does not serve /debug/pprof.
func profilingRule(kind, domain, cis string) flagRule {
	return flagRule{kind, rule.Meta{
		ID:       domain + "/profiling",
		Title:    kind + " serves profiling data",
		Severity: finding.Low,
		Description: fmt.Sprintf(`With --profiling (true by default) %s serves /debug/pprof: anyone allowed to reach it
learns the program's internals and can make it spend CPU and memory. CIS %s.`, kind, cis),
		Remediation: "Set --profiling=false.",
		Frameworks:  finding.Frameworks{CIS: cis, NSA: nsaControlPlane, MITRE: "T1082"},
	}, wantBool("profiling", false)}
}

// auditRetention is the check of one --audit-log-* retention flag.
func auditRetention(name, cis string, min int, what string) flagRule {
	flag := "audit-log-" + name
	return flagRule{APIServer, rule.Meta{
		ID:          "apiserver/" + flag,
		Title:       fmt.Sprintf("Audit log keeps fewer than %d %s", min, what),
		Severity:    finding.Low,
		Description: fmt.Sprintf("--%s is the number of %s; below %d the evidence of an incident may be gone before it is looked for. Only checked when the API server writes an audit log file. CIS %s.", flag, what, min, cis),
		Remediation: fmt.Sprintf("Set --%s=%d or more.", flag, min),
		Frameworks:  finding.Frameworks{CIS: cis, NSA: nsaLogging, MITRE: mitreImpairLogs},
	}, func(c *Component) (string, string) {
		if c.Flags.Value("audit-log-path") == "" {
			return "", "" // no log file: apiserver/audit-log-path says so
		}
		return wantAtLeast(flag, min)(c)
	}}
}
