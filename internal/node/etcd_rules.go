package node

import (
	"bytes"
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// The etcd checks of CIS section 2. etcd's settings come from its flags, its ETCD_*
// environment or its --config-file, as etcd reads them (etcd.go).
func init() {
	fw := func(cis, mitre string) finding.Frameworks {
		return finding.Frameworks{CIS: cis, NSA: nsaControlPlane, MITRE: mitre}
	}
	registerFlagRules(
		flagRule{Etcd, rule.Meta{
			ID: "etcd/client-tls", Title: "etcd serves clients without TLS", Severity: finding.Critical,
			Description: `Without --cert-file and --key-file etcd serves its clients in clear text: every object of
the cluster, Secrets included, crosses the network readable. CIS 2.1.`,
			Remediation: "Set --cert-file and --key-file to etcd's serving certificate and key.",
			Frameworks:  fw("2.1", mitreCredFiles),
		}, wantSet("cert-file", "key-file")},
		flagRule{Etcd, rule.Meta{
			ID: "etcd/client-cert-auth", Title: "etcd accepts clients without certificates", Severity: finding.Critical,
			Description: `Without --client-cert-auth=true anyone who reaches etcd's client port reads and writes
the whole cluster state, bypassing the API server's authentication, authorization and
admission. CIS 2.2.`,
			Remediation: "Set --client-cert-auth=true with --trusted-ca-file.",
			Frameworks:  fw("2.2", mitreValidAcct),
		}, wantBool("client-cert-auth", true)},
		flagRule{Etcd, rule.Meta{
			ID: "etcd/auto-tls", Title: "etcd uses self-signed client certificates", Severity: finding.High,
			Description: `--auto-tls makes etcd generate a self-signed certificate that clients cannot verify.
CIS 2.3.`,
			Remediation: "Remove --auto-tls; set --cert-file and --key-file.",
			Frameworks:  fw("2.3", "T1557"),
		}, wantBool("auto-tls", false)},
		flagRule{Etcd, rule.Meta{
			ID: "etcd/peer-tls", Title: "etcd members talk without TLS", Severity: finding.High,
			Description: `Without --peer-cert-file and --peer-key-file the members of an etcd cluster replicate
the cluster state in clear text. (A single member with no peers still listens on its peer
URL.) CIS 2.4.`,
			Remediation: "Set --peer-cert-file and --peer-key-file.",
			Frameworks:  fw("2.4", mitreCredFiles),
		}, wantSet("peer-cert-file", "peer-key-file")},
		flagRule{Etcd, rule.Meta{
			ID: "etcd/peer-client-cert-auth", Title: "etcd accepts peers without certificates", Severity: finding.High,
			Description: `Without --peer-client-cert-auth=true anything that reaches the peer port can join the
etcd cluster and receive all its data. CIS 2.5.`,
			Remediation: "Set --peer-client-cert-auth=true with --peer-trusted-ca-file.",
			Frameworks:  fw("2.5", mitreValidAcct),
		}, wantBool("peer-client-cert-auth", true)},
		flagRule{Etcd, rule.Meta{
			ID: "etcd/peer-auto-tls", Title: "etcd uses self-signed peer certificates", Severity: finding.High,
			Description: `--peer-auto-tls makes etcd generate self-signed peer certificates, which any peer
accepts. CIS 2.6.`,
			Remediation: "Remove --peer-auto-tls; set --peer-cert-file and --peer-key-file.",
			Frameworks:  fw("2.6", "T1557"),
		}, wantBool("peer-auto-tls", false)},
		flagRule{Etcd, rule.Meta{
			ID: "etcd/unique-ca", Title: "etcd trusts the cluster's CA", Severity: finding.Medium,
			Description: `When etcd's --trusted-ca-file is the CA that also signs the API server's clients, any
client certificate of the cluster (a kubelet's, a user's) is also an etcd client
certificate with access to all data. Checked when the API server runs on the same node:
the two CA files are compared by content. CIS 2.7 (manual in the benchmark).`,
			Remediation: "Give etcd its own CA (kubeadm's etcd/ca.crt) for --trusted-ca-file and issue the API server's --etcd-certfile from it.",
			Frameworks:  fw("2.7", mitreValidAcct),
		}, sharedCA},
	)
}

// sharedCA fails when etcd's client CA is the API server's client CA.
func sharedCA(c *Component) (string, string) {
	api := c.Host.Component(APIServer)
	if api == nil {
		return "", ""
	}
	etcdCA, apiCA := c.Flags.Value("trusted-ca-file"), api.Flags.Value("client-ca-file")
	if etcdCA == "" || apiCA == "" {
		return "", ""
	}
	a, b := c.Host.File(etcdCA), c.Host.File(apiCA)
	same := cleanPath(etcdCA) == cleanPath(apiCA) ||
		(a != nil && b != nil && len(a.Content) > 0 && bytes.Equal(a.Content, b.Content))
	if same {
		return fmt.Sprintf("--trusted-ca-file %s is the API server's --client-ca-file %s", etcdCA, apiCA), "trusted-ca-file"
	}
	return "", ""
}
