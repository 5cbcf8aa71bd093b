// Rule svc/node-port: Services should not be of type NodePort. A NodePort Service opens
// its port (30000-32767) on every node's addresses, beside any firewall made for the
// cluster's intended entry points, and skips Ingress and Gateway controls.
//
// Decision: only type NodePort is reported. A LoadBalancer Service also allocates node
// ports (unless allocateLoadBalancerNodePorts is false), but they are the data path of
// its load balancer, and its exposure is judged by svc/load-balancer-open; reporting it
// here too would say the same thing twice.
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
			ID:       "svc/node-port",
			Title:    "Service of type NodePort",
			Severity: finding.Low,
			Description: `A Service of type NodePort opens a port in the 30000-32767 range on every node, on all of the
node's addresses, for traffic from anywhere the nodes are reachable. It bypasses the
entry points a cluster is meant to have (load balancers, Ingress and Gateway
controllers, their TLS and authentication) and widens the attack surface of every node.
LoadBalancer Services, which allocate node ports for their load balancer, are judged by
svc/load-balancer-open instead. NSA/CISA Kubernetes Hardening Guide, network separation
and hardening; kube-linter and Kubescape practice; MITRE ATT&CK T1190 (Exploit
Public-Facing Application).`,
			Remediation: "Use a ClusterIP Service behind an Ingress or Gateway, or a LoadBalancer with source ranges; if a NodePort is required, restrict the node port range with node firewalls or a NetworkPolicy on the backing pods.",
			Frameworks:  finding.Frameworks{NSA: nsaNetworkSeparation, MITRE: mitrePublicFacing},
			Kinds:       []string{"Service"},
		},
		Object: checkNodePort,
		CEL: &rule.CEL{
			Resources:  []rule.APIResources{{Version: "v1", Resources: []string{"services"}}},
			Expression: "object.spec.?type.orValue('ClusterIP') != 'NodePort'",
			Message:    "'NodePort Service exposes its ports on every node'",
		},
	})
}

func checkNodePort(_ *rule.Context, o *inventory.Object) []rule.Result {
	svc, ok := o.Obj.(*corev1.Service)
	if !ok || svc.Spec.Type != corev1.ServiceTypeNodePort {
		return nil
	}
	var ports []string
	for _, p := range svc.Spec.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		node := "an allocated node port"
		if p.NodePort != 0 {
			node = fmt.Sprintf("node port %d", p.NodePort)
		}
		ports = append(ports, fmt.Sprintf("%d/%s on %s", p.Port, proto, node))
	}
	what := "its ports"
	if len(ports) > 0 {
		what = strings.Join(ports, ", ")
	}
	return []rule.Result{{
		Message: fmt.Sprintf("NodePort Service exposes %s of every node", what),
		Path:    "spec.type",
	}}
}
