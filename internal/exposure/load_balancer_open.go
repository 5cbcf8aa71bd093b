// Rule svc/load-balancer-open: a Service of type LoadBalancer should restrict who may
// reach it. It is reported when it has no spec.loadBalancerSourceRanges (nor the older
// service.beta.kubernetes.io/load-balancer-source-ranges annotation), or when a range
// is 0.0.0.0/0 or ::/0, unless an annotation of its cloud asks for an internal load
// balancer, which has no public address: AWS, GKE, Azure, OCI, IBM Cloud, Alibaba Cloud
// and OpenStack annotations are understood.
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
			ID:       "svc/load-balancer-open",
			Title:    "LoadBalancer Service open to any address",
			Severity: finding.Medium,
			Description: `A Service of type LoadBalancer asks the cloud for an external load balancer and accepts
traffic from any source: it has no spec.loadBalancerSourceRanges, or allows 0.0.0.0/0 or
::/0. Its ports are then reachable from the internet. Internal load balancers, requested
with service.beta.kubernetes.io/aws-load-balancer-internal: "true" or
aws-load-balancer-scheme: internal (AWS), networking.gke.io/load-balancer-type: Internal
(GKE), service.beta.kubernetes.io/azure-load-balancer-internal: "true" (Azure) and the
equivalent OCI, IBM Cloud, Alibaba Cloud and OpenStack annotations, are not exposed and
not reported. NSA/CISA Kubernetes Hardening Guide, network separation and hardening;
MITRE ATT&CK T1190 (Exploit Public-Facing Application).`,
			Remediation: "Set spec.loadBalancerSourceRanges to the client networks that need the Service, request an internal load balancer with your cloud's annotation, or publish it through an Ingress or Gateway that authenticates clients.",
			Frameworks:  finding.Frameworks{NSA: nsaNetworkSeparation, MITRE: mitrePublicFacing},
			Kinds:       []string{"Service"},
		},
		Object: checkLoadBalancerOpen,
		CEL: &rule.CEL{
			Resources:  []rule.APIResources{{Version: "v1", Resources: []string{"services"}}},
			Expression: "object.spec.?type.orValue('') != 'LoadBalancer' || " + internalLBCEL + " || (" + lbRangesCEL + ".size() > 0 && !" + lbRangesCEL + ".exists(r, r.trim() in ['0.0.0.0/0', '::/0']))",
			Message:    "'LoadBalancer Service exposes its ports to any address: no loadBalancerSourceRanges, or they allow 0.0.0.0/0 or ::/0, and no internal load balancer annotation'",
		},
	})
}

// internalLB are the annotations (and values, lower case; "" for any value but
// "false") that ask a cloud provider for a load balancer with no public address.
var internalLB = map[string]string{
	"service.beta.kubernetes.io/aws-load-balancer-internal":              "",
	"service.beta.kubernetes.io/aws-load-balancer-scheme":                "internal",
	"networking.gke.io/load-balancer-type":                               "internal",
	"cloud.google.com/load-balancer-type":                                "internal",
	"service.beta.kubernetes.io/azure-load-balancer-internal":            "true",
	"service.beta.kubernetes.io/oci-load-balancer-internal":              "true",
	"oci.oraclecloud.com/load-balancer-internal":                         "true",
	"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type":     "private",
	"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet",
	"service.beta.kubernetes.io/openstack-internal-load-balancer":        "true",
}

// legacySourceRanges is the annotation that preceded spec.loadBalancerSourceRanges.
const legacySourceRanges = "service.beta.kubernetes.io/load-balancer-source-ranges"

func checkLoadBalancerOpen(_ *rule.Context, o *inventory.Object) []rule.Result {
	svc, ok := o.Obj.(*corev1.Service)
	if !ok {
		return nil
	}
	why, path, open := loadBalancerOpen(svc)
	if !open {
		return nil
	}
	return []rule.Result{{
		Message: fmt.Sprintf("LoadBalancer Service exposes %s to any address: %s", portList(svc.Spec.Ports), why),
		Path:    path,
	}}
}

// loadBalancerOpen reports a Service of type LoadBalancer that accepts any source
// address, why, and the field that says so.
func loadBalancerOpen(svc *corev1.Service) (why, path string, open bool) {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || internalAnnotation(svc.Annotations) {
		return "", "", false
	}
	ranges, path := svc.Spec.LoadBalancerSourceRanges, "spec.loadBalancerSourceRanges"
	if len(ranges) == 0 {
		if v := strings.TrimSpace(svc.Annotations[legacySourceRanges]); v != "" {
			ranges, path = strings.Split(v, ","), "metadata.annotations["+legacySourceRanges+"]"
		}
	}
	if len(ranges) == 0 {
		return "no loadBalancerSourceRanges and no internal load balancer annotation", "spec.type", true
	}
	for i, r := range ranges {
		if r = strings.TrimSpace(r); r == "0.0.0.0/0" || r == "::/0" {
			p := fmt.Sprintf("%s[%d]", path, i)
			if strings.HasPrefix(path, "metadata") {
				p = path
			}
			return "its source ranges allow " + r, p, true
		}
	}
	return "", "", false
}

func internalAnnotation(anns map[string]string) bool {
	for k, want := range internalLB {
		v, ok := anns[k]
		if !ok {
			continue
		}
		v = strings.ToLower(strings.TrimSpace(v))
		if want == "" && v != "false" && v != "" || want != "" && v == want {
			return true
		}
	}
	return false
}

// portList names a Service's ports for a message: "ports 443/TCP, 80/TCP".
func portList(ps []corev1.ServicePort) string {
	if len(ps) == 0 {
		return "its ports"
	}
	var s []string
	for _, p := range ps {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		s = append(s, fmt.Sprintf("%d/%s", p.Port, proto))
	}
	if len(s) == 1 {
		return "port " + s[0]
	}
	return "ports " + strings.Join(s, ", ")
}

// internalLBCEL: the Service asks its cloud for an internal load balancer (the
// annotations of internalLB; values trimmed and lower-cased).
var internalLBCEL = func() string {
	anyValue := []string{"service.beta.kubernetes.io/aws-load-balancer-internal"}
	want := [][2]string{
		{"service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"},
		{"networking.gke.io/load-balancer-type", "internal"},
		{"cloud.google.com/load-balancer-type", "internal"},
		{"service.beta.kubernetes.io/azure-load-balancer-internal", "true"},
		{"service.beta.kubernetes.io/oci-load-balancer-internal", "true"},
		{"oci.oraclecloud.com/load-balancer-internal", "true"},
		{"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type", "private"},
		{"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type", "intranet"},
		{"service.beta.kubernetes.io/openstack-internal-load-balancer", "true"},
	}
	var terms []string
	for _, k := range anyValue {
		terms = append(terms, fmt.Sprintf("!(object.metadata.?annotations[?'%s'].orValue('').trim().lowerAscii() in ['', 'false'])", k))
	}
	for _, kv := range want {
		terms = append(terms, fmt.Sprintf("object.metadata.?annotations[?'%s'].orValue('').trim().lowerAscii() == '%s'", kv[0], kv[1]))
	}
	return "(" + strings.Join(terms, " || ") + ")"
}()

// lbRangesCEL: spec.loadBalancerSourceRanges, else the legacy annotation split at commas.
const lbRangesCEL = "(object.spec.?loadBalancerSourceRanges.orValue([]).size() > 0 ? object.spec.loadBalancerSourceRanges : " +
	"object.metadata.?annotations[?'service.beta.kubernetes.io/load-balancer-source-ranges'].orValue('').trim() != '' ? " +
	"object.metadata.annotations['service.beta.kubernetes.io/load-balancer-source-ranges'].trim().split(',') : [])"
