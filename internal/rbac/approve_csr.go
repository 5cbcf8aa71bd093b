// Rule rbac/approve-csr: a ClusterRole rule must not allow update or patch on
// certificatesigningrequests/approval nor approve on signers: with create on
// certificatesigningrequests its holder gets client certificates signed for any user and
// group, system:masters included.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// ApproveCSR is approving certificate signing requests or using a signer.
var ApproveCSR = Primitive{
	Asks:        append(asks("certificates.k8s.io", changeVerbs, "certificatesigningrequests/approval"), asks("certificates.k8s.io", []string{"approve"}, "signers")...),
	Named:       true,
	Consequence: "its subjects approve certificate requests, and with create on certificatesigningrequests get a client certificate for any identity, system:masters included",
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/approve-csr",
			Title:    "Role can approve certificate signing requests",
			Severity: finding.Critical,
			Description: `A Role or ClusterRole rule allows update or patch on
certificatesigningrequests/approval, or approve on signers. Approving a
CertificateSigningRequest for the kubernetes.io/kube-apiserver-client signer yields a
client certificate for whatever user and groups the request names, system:masters
included, which no RBAC change can revoke until it expires. CIS Kubernetes Benchmark
5.1.11 (minimize access to the approval sub-resource of certificatesigningrequests
objects); Kubernetes docs, RBAC good practices (CSRs and certificate issuing).
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Leave CSR approval to the controller manager and to administrators; if a component must approve, limit approve on signers with resourceNames to its own signer.",
			Frameworks:  finding.Frameworks{CIS: "5.1.11", NSA: "authentication-authorization", MITRE: "T1649"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(ApproveCSR),
		CEL:    roleCEL(ApproveCSR),
	})
}
