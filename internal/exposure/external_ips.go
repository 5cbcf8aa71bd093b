// Rule svc/external-ips: Services should not set spec.externalIPs. kube-proxy sends
// traffic for those addresses to the Service's pods on every node without checking that
// the Service owns them, so whoever may create a Service can intercept traffic meant for
// any IP address (CVE-2020-8554, which has no fix in Kubernetes itself; the
// DenyServiceExternalIPs admission plugin or a policy must block the field).
package exposure

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "svc/external-ips",
			Title:    "Service sets externalIPs",
			Severity: finding.High,
			Description: `A Service sets spec.externalIPs. kube-proxy routes traffic addressed to these IPs, on any node,
to the Service's endpoints without checking who owns the addresses: a user who may
create or edit Services can take over traffic meant for any IP, inside or outside the
cluster (CVE-2020-8554, man-in-the-middle through externalIPs; unpatched by design).
The DenyServiceExternalIPs admission plugin, or an admission policy, should reject the
field (CIS Kubernetes Benchmark 1.2.3 asks for the plugin, which moat node checks as
apiserver/deny-service-external-ips); this rule finds the Services that use it.
NSA/CISA Kubernetes Hardening Guide, network separation and hardening; MITRE ATT&CK
T1557 (Adversary-in-the-Middle).`,
			Remediation: "Remove spec.externalIPs and publish the Service with a LoadBalancer or an Ingress or Gateway; enable the DenyServiceExternalIPs admission plugin or a policy that rejects externalIPs.",
			Frameworks:  finding.Frameworks{CIS: "1.2.3", NSA: nsaNetworkSeparation, MITRE: mitreAiTM},
			Kinds:       []string{"Service"},
		},
		Object: checkExternalIPs,
		CEL: &rule.CEL{
			Resources:  []rule.APIResources{{Version: "v1", Resources: []string{"services"}}},
			Expression: "object.spec.?externalIPs.orValue([]).size() == 0",
			Message:    "'Service claims externalIPs ' + object.spec.externalIPs.join(', ') + ' (CVE-2020-8554)'",
		},
	})
}

func checkExternalIPs(_ *rule.Context, o *inventory.Object) []rule.Result {
	svc, ok := o.Obj.(*corev1.Service)
	if !ok || len(svc.Spec.ExternalIPs) == 0 {
		return nil
	}
	return []rule.Result{{
		Message: fmt.Sprintf("Service claims externalIPs %s: kube-proxy on every node sends traffic for these addresses to its pods (CVE-2020-8554)", strings.Join(svc.Spec.ExternalIPs, ", ")),
		Path:    "spec.externalIPs",
	}}
}
