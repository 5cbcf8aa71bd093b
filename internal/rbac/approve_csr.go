// Rule rbac/approve-csr: a ClusterRole rule must not allow update or patch on
// certificatesigningrequests/approval nor approve on signers: with create on
// certificatesigningrequests its holder gets client certificates signed for any user and
// group, system:masters included.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

var (
	approveCSRs         = named(AnyName, asks("certificates.k8s.io", changeVerbs, "certificatesigningrequests/approval"))
	approveSigners      = named(AnyName, asks("certificates.k8s.io", []string{"approve"}, "signers"))
	approveClientSigner = append(named("kubernetes.io/kube-apiserver-client", asks("certificates.k8s.io", []string{"approve"}, "signers")),
		named("kubernetes.io/*", asks("certificates.k8s.io", []string{"approve"}, "signers"))...)
)

// ApproveCSR is approving certificate signing requests or using a signer.
var ApproveCSR = Primitive{
	Asks:  append(approveCSRs, approveSigners...),
	Named: true,
	Clauses: []Clause{
		{If: approveCSRs, And: approveClientSigner,
			Text: "approve requests for API client certificates (signer kubernetes.io/kube-apiserver-client): with create on certificatesigningrequests they get one for any identity, system:masters included"},
		{If: approveCSRs, And: approveSigners, Unless: approveClientSigner, Text: "approve certificate signing requests for the signers the rule names"},
		{If: approveCSRs, Unless: approveSigners,
			Text: "change the approval of certificate signing requests, which also takes approve on the request's signer (this role allows it on none)"},
		{If: approveSigners, Unless: approveCSRs,
			Text: "approve for the signers the rule covers, which also takes update on certificatesigningrequests/approval (this role does not allow it)"},
	},
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
