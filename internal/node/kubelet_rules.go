package node

import (
	"encoding/json"
	"fmt"
	"strings"

	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// configRule is a check of one field of the kubelet's effective configuration: fails
// returns what is wrong ("" when nothing is); the message says where the value comes
// from (a flag, the config file with its line, or the kubelet's default).
func configRule(m rule.Meta, path string, fails func(k *KubeletConfig) string) *rule.Rule {
	return componentRule(Kubelet, m, func(c *Component) []rule.Result {
		if c.Kubelet == nil || len(c.Kubelet.Errors) > 0 {
			return nil // not read: Inventory reports why
		}
		msg := fails(c.Kubelet)
		if msg == "" {
			return nil
		}
		where, src := c.Kubelet.Where(path, c)
		return []rule.Result{{Message: fmt.Sprintf("%s: %s (%s)", path, msg, where), Path: path, Source: src}}
	})
}

// The kubelet checks of CIS section 4.2 and kube-proxy's of 4.3.
func init() {
	fw := func(cis, mitre string) finding.Frameworks {
		return finding.Frameworks{CIS: cis, NSA: nsaControlPlane, MITRE: mitre}
	}
	rule.Register(
		configRule(rule.Meta{
			ID: "kubelet/anonymous-auth", Title: "Kubelet accepts anonymous requests", Severity: finding.High,
			Description: `With anonymous authentication the kubelet's API (port 10250: exec, logs, pod listing)
serves requests without credentials as system:anonymous. Without a --config file the
kubelet's default is on. CIS 4.2.1.`,
			Remediation: "Set authentication.anonymous.enabled: false in the kubelet config file (or --anonymous-auth=false).",
			Frameworks:  fw("4.2.1", mitreExposed),
		}, "authentication.anonymous.enabled", func(k *KubeletConfig) string {
			if on := k.Authentication.Anonymous.Enabled; on == nil || *on {
				return "anonymous requests are served"
			}
			return ""
		}),
		configRule(rule.Meta{
			ID: "kubelet/authorization-always-allow", Title: "Kubelet authorizes every request", Severity: finding.Critical,
			Description: `With authorization mode AlwaysAllow (the default without a --config file) every request
that reaches the kubelet may exec into its pods. CIS 4.2.2.`,
			Remediation: "Set authorization.mode: Webhook in the kubelet config file (or --authorization-mode=Webhook).",
			Frameworks:  fw("4.2.2", mitreEscape),
		}, "authorization.mode", func(k *KubeletConfig) string {
			if m := string(k.Authorization.Mode); m == "" || m == "AlwaysAllow" {
				return "mode is AlwaysAllow"
			}
			return ""
		}),
		configRule(rule.Meta{
			ID: "kubelet/client-ca-file", Title: "Kubelet does not authenticate client certificates", Severity: finding.High,
			Description: `Without a client CA the kubelet cannot verify the API server's client certificate, so the
API server's calls (exec, logs) need another way in. CIS 4.2.3.`,
			Remediation: "Set authentication.x509.clientCAFile to the cluster CA (or --client-ca-file).",
			Frameworks:  fw("4.2.3", mitreValidAcct),
		}, "authentication.x509.clientCAFile", func(k *KubeletConfig) string {
			if k.Authentication.X509.ClientCAFile == "" {
				return "not set"
			}
			return ""
		}),
		configRule(rule.Meta{
			ID: "kubelet/read-only-port", Title: "Kubelet serves its read-only port", Severity: finding.High,
			Description: `The read-only port (10255 without a --config file) serves pod specs, environment
variables included, and metrics without any authentication. CIS 4.2.4.`,
			Remediation: "Set readOnlyPort: 0 in the kubelet config file (or --read-only-port=0).",
			Frameworks:  fw("4.2.4", mitreExposed),
		}, "readOnlyPort", func(k *KubeletConfig) string {
			if k.ReadOnlyPort != 0 {
				return fmt.Sprintf("is %d, open without authentication", k.ReadOnlyPort)
			}
			return ""
		}),
		configRule(rule.Meta{
			ID: "kubelet/streaming-connection-idle-timeout", Title: "Kubelet streaming connections never time out", Severity: finding.Medium,
			Description: `With streamingConnectionIdleTimeout 0, exec and port-forward sessions stay open forever
once idle, and can exhaust the node. CIS 4.2.5.`,
			Remediation: "Set streamingConnectionIdleTimeout to a duration such as 5m (the default is 4h).",
			Frameworks:  fw("4.2.5", "T1499"),
		}, "streamingConnectionIdleTimeout", func(k *KubeletConfig) string {
			if k.StreamingConnectionIdleTimeout.Duration == 0 {
				return "is 0 (no timeout)"
			}
			return ""
		}),
		configRule(rule.Meta{
			ID: "kubelet/make-iptables-util-chains", Title: "Kubelet does not manage its iptables chains", Severity: finding.Low,
			Description: `With makeIPTablesUtilChains false the kubelet does not keep the iptables chains it needs
in step with the pods' networking. CIS 4.2.6.`,
			Remediation: "Set makeIPTablesUtilChains: true (the default).",
			Frameworks:  fw("4.2.6", ""),
		}, "makeIPTablesUtilChains", func(k *KubeletConfig) string {
			if v := k.MakeIPTablesUtilChains; v != nil && !*v {
				return "is false"
			}
			return ""
		}),
		configRule(rule.Meta{
			ID: "kubelet/tls-certificate", Title: "Kubelet serves a self-signed certificate", Severity: finding.Medium,
			Description: `Without tlsCertFile/tlsPrivateKeyFile (or serverTLSBootstrap) the kubelet serves a
self-signed certificate the API server cannot verify. CIS 4.2.9 (manual).`,
			Remediation: "Set serverTLSBootstrap: true, or tlsCertFile and tlsPrivateKeyFile.",
			Frameworks:  fw("4.2.9", "T1557"),
		}, "tlsCertFile", func(k *KubeletConfig) string {
			if (k.TLSCertFile == "" || k.TLSPrivateKeyFile == "") && !k.ServerTLSBootstrap {
				return "tlsCertFile and tlsPrivateKeyFile are not both set and serverTLSBootstrap is false"
			}
			return ""
		}),
		configRule(rule.Meta{
			ID: "kubelet/tls-cipher-suites", Title: "Kubelet accepts weak TLS cipher suites", Severity: finding.Low,
			Description: `TLS 1.2 suites without ECDHE or AEAD give no forward secrecy or are open to padding
attacks. CIS 4.2.12 (manual).`,
			Remediation: "Set tlsCipherSuites to ECDHE suites with AES-GCM or ChaCha20-Poly1305 only.",
			Frameworks:  fw("4.2.12", "T1557"),
		}, "tlsCipherSuites", func(k *KubeletConfig) string {
			msg := cipherProblem("tls-cipher-suites", strings.Join(k.TLSCipherSuites, ","), len(k.TLSCipherSuites) > 0)
			return strings.TrimPrefix(msg, "--tls-cipher-suites ")
		}),
		configRule(rule.Meta{
			ID: "kubelet/pod-pids-limit", Title: "Pods may start unlimited processes", Severity: finding.Low,
			Description: `Without podPidsLimit one pod's fork bomb exhausts the node's process ids and takes down
every other pod on it. CIS 4.2.13 (manual).`,
			Remediation: "Set podPidsLimit to a bound such as 4096.",
			Frameworks:  fw("4.2.13", "T1499"),
		}, "podPidsLimit", func(k *KubeletConfig) string {
			if k.PodPidsLimit == nil || *k.PodPidsLimit <= 0 {
				return "no limit"
			}
			return ""
		}),
		configRule(rule.Meta{
			ID: "kubelet/seccomp-default", Title: "Containers run without a seccomp profile by default", Severity: finding.Low,
			Description: `With seccompDefault false, containers that do not name a seccomp profile run
Unconfined, with every system call available to a container escape. The kubelet uses
RuntimeDefault when seccompDefault or --seccomp-default (a flag of its own, not a config
field) is true. CIS 4.2.14 (manual).`,
			Remediation: "Set seccompDefault: true (RuntimeDefault for every container that names none).",
			Frameworks:  fw("4.2.14", mitreEscape),
		}, "seccompDefault", func(k *KubeletConfig) string {
			if (k.SeccompDefault == nil || !*k.SeccompDefault) && !k.seccompDefaultFlag {
				return "is false and --seccomp-default is not given"
			}
			return ""
		}),
	)
	registerFlagRules(flagRule{Kubelet, rule.Meta{
		ID: "kubelet/hostname-override", Title: "Kubelet overrides its host name", Severity: finding.Low,
		Description: `--hostname-override makes the node's name differ from the machine's, which breaks the
TLS identity between kubelet and API server (the serving certificate names the host).
CIS 4.2.7 (manual; some clouds need it).`,
		Remediation: "Remove --hostname-override unless the cloud provider requires it.",
		Frameworks:  fw("4.2.7", ""),
	}, wantUnset("hostname-override")}, flagRule{KubeProxy, rule.Meta{
		ID: "kube-proxy/metrics-bind-address", Title: "kube-proxy serves metrics beyond loopback", Severity: finding.Low,
		Description: `kube-proxy's metrics and health endpoints reveal the node's services and endpoints; they
need not be reachable from other machines. From --metrics-bind-address, else
metricsBindAddress of its --config file. CIS 4.3.1.`,
		Remediation: "Set metricsBindAddress: 127.0.0.1:10249 (or --metrics-bind-address=127.0.0.1:10249).",
		Frameworks:  fw("4.3.1", mitreExposed),
	}, proxyMetrics})
	rule.Register(componentRule(Kubelet, rule.Meta{
		ID: "kubelet/event-record-qps", Title: "Kubelet event rate (manual)", Severity: finding.Info,
		Description: `eventRecordQPS bounds the events the kubelet sends; 0 is unbounded, and too low a value
loses events an investigation needs. CIS 4.2.8 asks a person to choose.`,
		Remediation: "Review eventRecordQPS (default 50) for the node's workload.",
		Frameworks:  fw("4.2.8", ""),
	}, func(c *Component) []rule.Result {
		if c.Kubelet == nil || len(c.Kubelet.Errors) > 0 {
			return nil
		}
		qps := int32(0)
		if c.Kubelet.EventRecordQPS != nil {
			qps = *c.Kubelet.EventRecordQPS
		}
		where, src := c.Kubelet.Where("eventRecordQPS", c)
		return []rule.Result{{Message: fmt.Sprintf("manual check (CIS 4.2.8): eventRecordQPS is %d (%s); review it", qps, where), Path: "eventRecordQPS", Source: src}}
	}))
}

// proxyMetrics fails when kube-proxy's metrics address is not loopback. With --config,
// kube-proxy ignores the flags that its config file's fields stand for.
func proxyMetrics(c *Component) (string, string) {
	var cfg proxyv1alpha1.KubeProxyConfiguration
	path, hasFile, err := configFile(c, "config", "KubeProxyConfiguration", &cfg)
	var addr, from string
	switch {
	case hasFile && err != nil:
		return failure(err), "config"
	case hasFile && cfg.MetricsBindAddress != "":
		addr, from = cfg.MetricsBindAddress, "metricsBindAddress is "+cfg.MetricsBindAddress+" in "+path
	case hasFile:
		addr = proxyDefault(c, "metricsBindAddress")
		from = "metricsBindAddress is not set in " + path + " (default " + addr + ")"
	default:
		addr, from = c.Flags.Value("metrics-bind-address"), describe(c, "metrics-bind-address")
	}
	if isLoopback(addr) {
		return "", ""
	}
	flag := "metrics-bind-address"
	if hasFile {
		flag = "config"
	}
	return from + ": metrics are served beyond the node", flag
}

// proxyDefault is a top-level string field of kube-proxy's configuration defaults.
func proxyDefault(c *Component, field string) string {
	var m map[string]any
	if json.Unmarshal(c.Host.Release.KubeProxy.ConfigDefaults, &m) != nil {
		return ""
	}
	v, _ := m[field].(string)
	return v
}
