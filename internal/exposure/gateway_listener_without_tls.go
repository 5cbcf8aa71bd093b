// Rule gateway/listener-without-tls: a Gateway API Gateway should serve its hostnames
// over TLS, as ingress/tls-missing asks of an Ingress. Reported is each listener of
// protocol HTTP that no HTTPS or TLS listener of the same Gateway covers: one with no
// hostname, the same hostname, or a wildcard (*.example.com) that the HTTP listener's
// hostname ends with — the Gateway API's suffix match. An HTTP listener beside a
// covering HTTPS listener is the usual redirect to HTTPS and is not reported; an HTTP
// listener with no hostname is covered by any HTTPS or TLS listener. Hostnames are
// compared as written: the Gateway API's schema makes them lower case.
package exposure

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "gateway/listener-without-tls",
			Title:    "Gateway serves hostnames over plain HTTP",
			Severity: finding.Medium,
			Description: `A Gateway (gateway.networking.k8s.io) has a listener of protocol HTTP that no HTTPS or TLS
listener of the same Gateway covers, so every route attached to it serves its hostnames
in clear text: requests, cookies and credentials can be read or changed on the way. A
listener covers another when it has no hostname, the same hostname, or a wildcard
(*.example.com) the other's hostname ends with. An HTTP listener beside a covering HTTPS
listener is taken to be the usual redirect to HTTPS. This is ingress/tls-missing for the
Gateway API (Kubescape C-0266 reads Gateway exposure too). NSA/CISA Kubernetes Hardening
Guide, network separation and hardening (encrypt traffic in transit); MITRE ATT&CK T1040
(Network Sniffing).`,
			Remediation: "Add an HTTPS listener for the hostname with tls.certificateRefs (for example issued by cert-manager), and attach to the HTTP listener only an HTTPRoute whose filter redirects to https.",
			Frameworks:  finding.Frameworks{NSA: nsaEncryption, MITRE: mitreSniffing},
			Kinds:       []string{"Gateway"},
		},
		Object: checkGatewayListenerTLS,
		CEL: &rule.CEL{
			Resources:  []rule.APIResources{{Group: gatewayGroup, Version: "v1", Resources: []string{"gateways"}}},
			Expression: "object.spec.?listeners.orValue([]).all(l, !(" + plainListenerCEL + "))",
			Message:    "'Gateway listeners ' + object.spec.listeners.filter(l, " + plainListenerCEL + ").map(l, '\"' + l.name + '\"').join(', ') + ' serve HTTP with no HTTPS or TLS listener for their hostnames'",
		},
	})
}

// plainListenerCEL: listener l is HTTP and no HTTPS or TLS listener covers it.
const plainListenerCEL = "l.?protocol.orValue('') == 'HTTP' && !object.spec.listeners.exists(m, m.?protocol.orValue('') in ['HTTPS', 'TLS'] && " +
	"(l.?hostname.orValue('') == '' || m.?hostname.orValue('') == '' || m.hostname == l.hostname || " +
	"(m.hostname.startsWith('*.') && l.hostname.endsWith(m.hostname.substring(1)))))"

func checkGatewayListenerTLS(_ *rule.Context, o *inventory.Object) []rule.Result {
	var gw gatewayShape
	if !decodeAs(o, "Gateway", &gw) {
		return nil
	}
	var out []rule.Result
	for i, l := range gw.Spec.Listeners {
		if l.Protocol != "HTTP" || tlsCovered(l, gw.Spec.Listeners) {
			continue
		}
		host := l.Hostname
		if host == "" {
			host = "every hostname"
		}
		out = append(out, rule.Result{
			Message: fmt.Sprintf("listener %q (port %d) serves %s over plain HTTP, and no HTTPS or TLS listener of the Gateway covers it: routes attached to it are served in clear text", l.Name, l.Port, host),
			Path:    fmt.Sprintf("spec.listeners[%d].protocol", i),
		})
	}
	return out
}

// tlsCovered reports an HTTP listener that an HTTPS or TLS listener covers.
func tlsCovered(l gatewayListener, all []gatewayListener) bool {
	for _, m := range all {
		if m.Protocol != "HTTPS" && m.Protocol != "TLS" {
			continue
		}
		if l.Hostname == "" || m.Hostname == "" || m.Hostname == l.Hostname ||
			strings.HasPrefix(m.Hostname, "*.") && strings.HasSuffix(l.Hostname, m.Hostname[1:]) {
			return true
		}
	}
	return false
}
