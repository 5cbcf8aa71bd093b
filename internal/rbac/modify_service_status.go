// Rule rbac/modify-service-status: a Role or ClusterRole rule that allows update or
// patch on services/status is reported: setting status.loadBalancer.ingress claims an IP
// address for the Service, and kube-proxy then sends the cluster's traffic for that
// address to it (CVE-2020-8554).
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// ModifyServiceStatus is changing the status of Services (load balancer IPs).
var ModifyServiceStatus = Primitive{
	Asks:        asks("", changeVerbs, "services/status"),
	Consequence: "set load balancer IPs on Services, and kube-proxy then sends the cluster's traffic for those addresses to them (CVE-2020-8554)",
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/modify-service-status",
			Title:    "Role can change Service status (traffic interception)",
			Severity: finding.Medium,
			Description: `A Role or ClusterRole rule allows update or patch on services/status. A Service whose
status.loadBalancer.ingress names an IP makes kube-proxy route the cluster's traffic for
that IP to the Service's pods: a man-in-the-middle position (CVE-2020-8554, which
spec.externalIPs on Services shares; block those with the DenyServiceExternalIPs
admission plugin). Kubernetes security advisory CVE-2020-8554.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Grant update and patch on services/status only to the cloud and load-balancer controllers.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1557"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(ModifyServiceStatus),
		CEL:    roleCEL(ModifyServiceStatus),
	})
}
