// Rule rbac/write-endpoints: a Role or ClusterRole rule that allows create, update or
// patch on endpoints or endpointslices is reported: the holder points a Service, and the
// traffic other workloads send to it, at any address (CVE-2021-25740).
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// WriteEndpoints is writing Endpoints and EndpointSlices.
var WriteEndpoints = Primitive{
	Asks:        append(asks("", []string{"create", "update", "patch"}, "endpoints"), asks("discovery.k8s.io", []string{"create", "update", "patch"}, "endpointslices")...),
	Consequence: "point a Service at any address, so that the traffic other workloads send to it goes there, across namespaces through ExternalName Services and ingress controllers (CVE-2021-25740)",
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/write-endpoints",
			Title:    "Role can write Endpoints or EndpointSlices",
			Severity: finding.Medium,
			Description: `A Role or ClusterRole rule allows create, update or patch on endpoints or on
endpointslices of discovery.k8s.io. The holder redirects a Service's traffic to any
address, including pods of other namespaces, which is why Kubernetes 1.22 removed these
verbs from the admin and edit roles. Kubernetes security advisory CVE-2021-25740;
Kubernetes docs, RBAC good practices.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Let the endpoints and EndpointSlice controllers manage them: remove write verbs on endpoints and endpointslices from the role.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1557"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(WriteEndpoints),
		CEL:    roleCEL(WriteEndpoints),
	})
}
