// Rule ingress/tls-missing: every host an Ingress serves should be covered by its TLS
// section. Reported are an Ingress with no spec.tls at all (its rules and default
// backend are served over plain HTTP), and each rule host that no spec.tls[].hosts entry
// names, exactly or through a wildcard ("*.example.com" covers one label). A TLS entry
// without hosts, which uses the controller's default certificate, covers every host.
// Ingresses whose TLS is terminated by the cloud load balancer through a certificate
// annotation (AWS ALB certificate-arn, GKE pre-shared or managed certificates, Azure
// Application Gateway) are not reported. networking.k8s.io/v1 Ingresses and the legacy
// networking.k8s.io/v1beta1 and extensions/v1beta1 ones, which the loader decodes into
// their own typed structs, and unknown versions read as unstructured, are all checked:
// the fields involved (spec.tls[].hosts, spec.rules[].host) are the same in each.
package exposure

import (
	"encoding/json"
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "ingress/tls-missing",
			Title:    "Ingress serves hosts without TLS",
			Severity: finding.Medium,
			Description: `An Ingress serves hosts that its spec.tls does not cover, or has no spec.tls at all, so
requests, cookies and credentials travel in clear text between clients and the ingress
controller and can be read or changed on the way. Hosts are matched against
spec.tls[].hosts, wildcards included; a TLS entry without hosts (the controller's
default certificate) covers every host, and certificates attached by a cloud annotation
(alb.ingress.kubernetes.io/certificate-arn, ingress.gcp.kubernetes.io/pre-shared-cert,
networking.gke.io/managed-certificates, appgw.ingress.kubernetes.io/appgw-ssl-certificate)
count as TLS. NSA/CISA Kubernetes Hardening Guide, network separation and hardening
(encrypt traffic in transit); MITRE ATT&CK T1040 (Network Sniffing).`,
			Remediation: "Add a spec.tls entry whose hosts list every rule host, with a certificate Secret (for example issued by cert-manager), and have the controller redirect HTTP to HTTPS.",
			Frameworks:  finding.Frameworks{NSA: nsaEncryption, MITRE: mitreSniffing},
			Kinds:       []string{"Ingress"},
		},
		Object: checkIngressTLS,
		CEL: &rule.CEL{
			Resources:  []rule.APIResources{{Group: "networking.k8s.io", Version: "v1", Resources: []string{"ingresses"}}},
			Expression: ingressTLSCEL,
			Message:    "'Ingress serves hosts over plain HTTP: ' + (object.spec.?tls.orValue([]).size() == 0 ? 'it has no spec.tls' : 'hosts ' + object.spec.?rules.orValue([]).filter(r, r.?host.orValue('') != '' && !object.spec.tls.exists(t, t.?hosts.orValue([]).exists(x, " + hostCoveredCEL + "))).map(r, r.host).join(', ') + ' are not in spec.tls hosts')",
		},
	})
}

// cloudCertificate are annotations that attach a certificate at the cloud load balancer.
var cloudCertificate = []string{
	"alb.ingress.kubernetes.io/certificate-arn",
	"ingress.gcp.kubernetes.io/pre-shared-cert",
	"networking.gke.io/managed-certificates",
	"appgw.ingress.kubernetes.io/appgw-ssl-certificate",
}

// ingressShape is what the rule reads of an Ingress of any version.
type ingressShape struct {
	Spec struct {
		TLS []struct {
			Hosts []string `json:"hosts"`
		} `json:"tls"`
		Rules []struct {
			Host string `json:"host"`
		} `json:"rules"`
		DefaultBackend json.RawMessage `json:"defaultBackend"`
		Backend        json.RawMessage `json:"backend"` // v1beta1
	} `json:"spec"`
}

func ingressOf(o *inventory.Object) (ingressShape, bool) {
	var in ingressShape
	if typed, ok := o.Obj.(*networkingv1.Ingress); ok && isIngress(o) {
		return v1IngressShape(typed), true
	}
	return in, decodeIngress(o, &in)
}

// v1IngressShape is the ingressShape of an Ingress of networking.k8s.io/v1 decoded into
// its type, as the JSON that decodeIngress writes and reads would give it: the rule
// reads whether a backend is set, not what it says.
func v1IngressShape(typed *networkingv1.Ingress) ingressShape {
	var in ingressShape
	if n := len(typed.Spec.TLS); n > 0 {
		in.Spec.TLS = make([]struct {
			Hosts []string `json:"hosts"`
		}, n)
		for i, t := range typed.Spec.TLS {
			in.Spec.TLS[i].Hosts = t.Hosts
		}
	}
	if n := len(typed.Spec.Rules); n > 0 {
		in.Spec.Rules = make([]struct {
			Host string `json:"host"`
		}, n)
		for i, r := range typed.Spec.Rules {
			in.Spec.Rules[i].Host = r.Host
		}
	}
	if typed.Spec.DefaultBackend != nil {
		in.Spec.DefaultBackend = setBackend
	}
	return in
}

// setBackend stands for a backend that is written, whatever it holds.
var setBackend = json.RawMessage("{}")

// isIngress reports an Ingress of an API group that has one.
func isIngress(o *inventory.Object) bool {
	return o.Kind() == "Ingress" && (o.GVK.Group == "networking.k8s.io" || o.GVK.Group == "extensions")
}

// decodeIngress reads an Ingress of any version into a shape.
func decodeIngress(o *inventory.Object, v any) bool {
	if !isIngress(o) {
		return false
	}
	b, err := json.Marshal(o.Obj)
	return err == nil && json.Unmarshal(b, v) == nil
}

func checkIngressTLS(_ *rule.Context, o *inventory.Object) []rule.Result {
	in, ok := ingressOf(o)
	if !ok {
		return nil
	}
	anns := o.Meta.GetAnnotations()
	for _, a := range cloudCertificate {
		if strings.TrimSpace(anns[a]) != "" {
			return nil
		}
	}
	if len(in.Spec.TLS) == 0 {
		var hosts []string
		for _, r := range in.Spec.Rules {
			if r.Host != "" {
				hosts = append(hosts, r.Host)
			}
		}
		switch {
		case len(hosts) > 0:
			return []rule.Result{{Message: fmt.Sprintf("Ingress has no spec.tls: hosts %s are served over plain HTTP", strings.Join(hosts, ", ")), Path: "spec.rules"}}
		case len(in.Spec.Rules) > 0 || len(in.Spec.DefaultBackend) > 0 || len(in.Spec.Backend) > 0:
			return []rule.Result{{Message: "Ingress has no spec.tls: it serves every host over plain HTTP", Path: "spec"}}
		}
		return nil
	}
	var covered []string
	for _, t := range in.Spec.TLS {
		if len(t.Hosts) == 0 {
			return nil // the controller's default certificate serves every host
		}
		covered = append(covered, t.Hosts...)
	}
	var out []rule.Result
	for i, r := range in.Spec.Rules {
		if r.Host == "" || coveredBy(r.Host, covered) {
			continue
		}
		out = append(out, rule.Result{
			Message: fmt.Sprintf("host %s is not in spec.tls hosts (%s): it is served over plain HTTP", r.Host, strings.Join(covered, ", ")),
			Path:    fmt.Sprintf("spec.rules[%d].host", i),
		})
	}
	return out
}

// coveredBy reports a host named by a TLS host exactly or by a wildcard that stands for
// its first label.
func coveredBy(host string, tls []string) bool {
	host = strings.ToLower(host)
	for _, t := range tls {
		t = strings.ToLower(t)
		if t == host {
			return true
		}
		if rest, ok := strings.CutPrefix(t, "*."); ok {
			if i := strings.IndexByte(host, '.'); i > 0 && host[i+1:] == rest && !strings.HasPrefix(host, "*.") {
				return true
			}
		}
	}
	return false
}

// hostCoveredCEL: TLS host x names rule r's host exactly or by a wildcard for its first
// label, case-insensitively. API validation has made r.host a lower-case DNS name by
// admission, so lowerAscii, with the Kelvin sign Go lower-cases to k, lowers x as Go does.
const hostCoveredCEL = "x.replace('\u212a', 'k').lowerAscii() == r.host.replace('\u212a', 'k').lowerAscii() || " +
	"(x.replace('\u212a', 'k').lowerAscii().startsWith('*.') && r.host.indexOf('.') > 0 && " +
	"r.host.replace('\u212a', 'k').lowerAscii().substring(r.host.indexOf('.') + 1) == x.replace('\u212a', 'k').lowerAscii().substring(2) && !r.host.startsWith('*.'))"

// ingressTLSCEL is checkIngressTLS in CEL. A cloud certificate annotation or a TLS entry
// without hosts covers everything; with no spec.tls, any rule or default backend is
// served in clear; otherwise every rule host must be covered by a TLS host.
var ingressTLSCEL = "['alb.ingress.kubernetes.io/certificate-arn', 'ingress.gcp.kubernetes.io/pre-shared-cert', 'networking.gke.io/managed-certificates', 'appgw.ingress.kubernetes.io/appgw-ssl-certificate']" +
	".exists(a, object.metadata.?annotations[?a].orValue('').trim() != '') || " +
	"(object.spec.?tls.orValue([]).size() == 0 ? " +
	"(object.spec.?rules.orValue([]).size() == 0 && !has(object.spec.defaultBackend)) : " + // spec.backend is v1beta1 only: the policy sees the v1 object
	"(object.spec.tls.exists(t, t.?hosts.orValue([]).size() == 0) || " +
	"object.spec.?rules.orValue([]).all(r, r.?host.orValue('') == '' || object.spec.tls.exists(t, t.hosts.exists(x, " + hostCoveredCEL + ")))))"
