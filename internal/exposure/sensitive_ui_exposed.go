// Rule exposure/sensitive-ui: a dashboard or admin UI (sensitive_ui.go: the Kubernetes
// Dashboard, Argo CD, Grafana, Prometheus, Alertmanager, Kibana, Jupyter, Kubeflow,
// Ray, Tekton, Weave Scope, Longhorn, Kafka UI, Jaeger, Kiali, Jenkins, database admin
// UIs, Portainer) should not be reachable from outside the cluster without an
// authenticating front. Reported is each way one is published:
//
//   - a Service of type LoadBalancer that accepts any source (as svc/load-balancer-open
//     judges it: no internal load balancer annotation, no source ranges or 0.0.0.0/0);
//   - an Ingress whose backend is such a Service, unless it carries an authentication
//     or source allowlist annotation (ingress-nginx auth-url, auth-type, auth-tls-verify-client,
//     whitelist-source-range or allowlist-source-range; AWS ALB auth-type);
//   - a Gateway API HTTPRoute whose backendRefs name such a Service.
//
// The Service leads to the UI through its selector: the pod templates of its namespace
// whose labels it matches, and their containers whose image (and command, or port)
// the catalogue recognises. A UI that serves without authentication, or that trusts
// whoever reaches it, is high; one with a login of its own is medium, since its
// password or SSO is then all that stands between it and the internet. NodePort
// Services are svc/node-port's; a Service with no selector leads nowhere the scan knows.
package exposure

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "exposure/sensitive-ui",
			Title:    "Dashboard or admin UI exposed outside the cluster",
			Severity: finding.Medium,
			Description: `A dashboard or admin UI (the Kubernetes Dashboard, Argo CD, Argo Workflows, Grafana,
Prometheus, Alertmanager, Kibana, Jupyter, the Kubeflow dashboard, the Ray dashboard,
Tekton, Weave Scope, Longhorn, Kafka UI, Jaeger, Kiali, Jenkins, database admin UIs,
Portainer) is published by an open LoadBalancer Service, by an Ingress without an
authentication or allowlist annotation, or by a Gateway API HTTPRoute. These UIs run
code, read every metric, log or secret they are connected to, or change the cluster,
and are the first thing scanners look for (the Tesla Kubernetes Dashboard, ShadowRay).
The UI is found through the Service's selector and the image of the pods it selects.
Those that serve without authentication by default or as configured (Prometheus,
Alertmanager, Ray, Tekton, Weave Scope, Longhorn, Kafka UI, Kubeflow behind its proxy,
a Dashboard with --enable-skip-login, a Jupyter server without a token, Argo Workflows
in server auth mode) are high; those with a login of their own are medium. Kubescape
C-0021 (exposed sensitive interfaces) and C-0014; MITRE ATT&CK T1133 (External Remote
Services); NSA/CISA Kubernetes Hardening Guide, network separation.`,
			Remediation: "Serve the UI only inside the cluster (ClusterIP, kubectl port-forward) or behind an authenticating proxy (oauth2-proxy, the ingress controller's external auth, an identity-aware load balancer), restrict source addresses, and turn on the UI's own authentication.",
			Frameworks:  finding.Frameworks{NSA: nsaNetworkSeparation, MITRE: "T1133"},
			Kinds:       append([]string{"Service", "Ingress", "HTTPRoute"}, podspec.Kinds...),
		},
		Inventory: checkSensitiveUI,
	})
}

// ingressAuthAnnotations put authentication or a source allowlist in front of an
// Ingress's backends.
var ingressAuthAnnotations = []string{
	"nginx.ingress.kubernetes.io/auth-url",
	"nginx.ingress.kubernetes.io/auth-type",
	"nginx.ingress.kubernetes.io/auth-tls-verify-client",
	"nginx.ingress.kubernetes.io/whitelist-source-range",
	"nginx.ingress.kubernetes.io/allowlist-source-range",
	"alb.ingress.kubernetes.io/auth-type",
}

// uiBehind is a UI that a Service leads to.
type uiBehind struct {
	ui       *sensitiveUI
	open     bool
	workload *inventory.Object
	image    string
}

func (u uiBehind) describe() string {
	return fmt.Sprintf("%s (%s %s/%s, image %s)", u.ui.Name, u.workload.Kind(), u.workload.EffectiveNamespace(), u.workload.Name(), u.image)
}

func (u uiBehind) result(o *inventory.Object, path, how string) rule.Result {
	r := rule.Result{
		Object:  o,
		Message: fmt.Sprintf("%s %s: %s", how, u.describe(), u.ui.What),
		Path:    path,
	}
	if u.open {
		high := finding.High
		r.Severity = &high
		if !u.ui.Open {
			r.Message += ", and this instance is set to ask no one for credentials"
		}
	}
	return r
}

func checkSensitiveUI(c *rule.Context) []rule.Result {
	inv := c.Inventory
	if inv == nil {
		return nil
	}
	uis := map[*inventory.Object][]uiBehind{} // Service → the UIs it leads to
	behind := func(svc *inventory.Object) []uiBehind {
		if got, ok := uis[svc]; ok {
			return got
		}
		got := uisBehind(inv, svc)
		uis[svc] = got
		return got
	}
	var out []rule.Result
	for _, o := range inv.Kind("Service") {
		svc, ok := o.Obj.(*corev1.Service)
		if !ok {
			continue
		}
		why, _, open := loadBalancerOpen(svc)
		if !open {
			continue
		}
		for _, u := range behind(o) {
			out = append(out, u.result(o, "spec.type", fmt.Sprintf("LoadBalancer Service %q (%s) publishes", o.Name(), why)))
		}
	}
	for _, o := range inv.Kind("Ingress") {
		if c.Err() != nil {
			return out
		}
		in, ok := ingressBackendsOf(o)
		if !ok || slices.ContainsFunc(ingressAuthAnnotations, func(a string) bool { return strings.TrimSpace(o.Meta.GetAnnotations()[a]) != "" }) {
			continue
		}
		var seen map[string]bool
		for _, b := range in {
			svc := inv.Find("Service", o.EffectiveNamespace(), b.service)
			if svc == nil || seen[b.service] {
				continue
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[b.service] = true
			for _, u := range behind(svc) {
				out = append(out, u.result(o, b.fieldPath(), fmt.Sprintf("Ingress %q publishes, through Service %q,", o.Name(), b.service)))
			}
		}
	}
	for _, o := range inv.Kind("HTTPRoute") {
		if c.Err() != nil {
			return out
		}
		var route httpRouteShape
		if !decodeAs(o, "HTTPRoute", &route) {
			continue
		}
		seen := map[string]bool{}
		for i, r := range route.Spec.Rules {
			for j, b := range r.BackendRefs {
				ns := b.Namespace
				if ns == "" {
					ns = o.EffectiveNamespace()
				}
				if !b.isService() || seen[ns+"/"+b.Name] {
					continue
				}
				seen[ns+"/"+b.Name] = true
				svc := inv.Find("Service", ns, b.Name)
				if svc == nil {
					continue
				}
				for _, u := range behind(svc) {
					out = append(out, u.result(o, fmt.Sprintf("spec.rules[%d].backendRefs[%d]", i, j),
						fmt.Sprintf("HTTPRoute %q publishes, through Service %s/%s,", o.Name(), ns, b.Name)))
				}
			}
		}
	}
	return out
}

// uisBehind finds the UIs a Service selects: containers of the pod templates in its
// namespace whose labels match its selector, that the catalogue recognises and, for a
// UI served on given ports, that the Service routes to.
func uisBehind(inv *inventory.Inventory, o *inventory.Object) []uiBehind {
	svc, ok := o.Obj.(*corev1.Service)
	if !ok || len(svc.Spec.Selector) == 0 {
		return nil
	}
	var out []uiBehind
	for _, w := range inv.InNamespace(o.EffectiveNamespace()) {
		p, ok := podspec.Of(w)
		if !ok || !selects(svc.Spec.Selector, p.Meta.Labels) || inv.HasOwnerOf(w) {
			continue
		}
		for ct := range p.AllContainers {
			ui := matchUI(ct.Container)
			if ui == nil || len(ui.Ports) > 0 && !routesToPort(svc, ct.Container, ui.Ports) {
				continue
			}
			out = append(out, uiBehind{ui: ui, open: ui.openFor(ct.Container), workload: w, image: ct.Image})
			break
		}
	}
	return out
}

// selects reports labels that hold every pair of the selector. It runs for every pod
// template of a Service's namespace: the map is read as it is, unsorted and uncopied.
func selects(selector, labels map[string]string) bool {
	for k, want := range selector {
		if v, ok := labels[k]; !ok || v != want {
			return false
		}
	}
	return true
}

// routesToPort reports a Service port whose target is one of ports on the container:
// a number, or the name of one of the container's ports.
func routesToPort(svc *corev1.Service, ct *corev1.Container, ports []int32) bool {
	for _, sp := range svc.Spec.Ports {
		target := sp.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 && target.StrVal == "" {
			target = intstr.FromInt32(sp.Port) // targetPort defaults to port
		}
		if target.Type == intstr.Int && slices.Contains(ports, target.IntVal) {
			return true
		}
		if target.Type == intstr.String {
			for _, cp := range ct.Ports {
				if cp.Name == target.StrVal && slices.Contains(ports, cp.ContainerPort) {
					return true
				}
			}
		}
	}
	return false
}

// ingressBackend is a Service an Ingress routes to, with the field that names it:
// field below the backend of spec.rules[rule].http.paths[path] (".service.name"), or
// the whole path when rule is -1. The path is only written for a finding.
type ingressBackend struct {
	service    string
	rule, path int
	field      string
}

func (b ingressBackend) fieldPath() string {
	if b.rule < 0 {
		return b.field
	}
	return "spec.rules[" + strconv.Itoa(b.rule) + "].http.paths[" + strconv.Itoa(b.path) + "].backend" + b.field
}

// ingressBackendsOf lists the Services an Ingress of any version routes to, in order.
func ingressBackendsOf(o *inventory.Object) ([]ingressBackend, bool) {
	if typed, ok := o.Obj.(*networkingv1.Ingress); ok && isIngress(o) {
		return v1IngressBackends(typed), true
	}
	return decodedIngressBackends(o)
}

// decodedIngressBackends is ingressBackendsOf an Ingress of any version, read through JSON.
func decodedIngressBackends(o *inventory.Object) ([]ingressBackend, bool) {
	var in struct {
		Spec struct {
			DefaultBackend *backendShape `json:"defaultBackend"`
			Backend        *backendShape `json:"backend"`
			Rules          []struct {
				HTTP *struct {
					Paths []struct {
						Backend backendShape `json:"backend"`
					} `json:"paths"`
				} `json:"http"`
			} `json:"rules"`
		} `json:"spec"`
	}
	if !decodeIngress(o, &in) {
		return nil, false
	}
	var out []ingressBackend
	add := func(b *backendShape, rule, path int, at string) {
		if b == nil {
			return
		}
		if b.Service != nil && b.Service.Name != "" {
			out = append(out, ingressBackend{b.Service.Name, rule, path, at + ".service.name"})
		} else if b.ServiceName != "" {
			out = append(out, ingressBackend{b.ServiceName, rule, path, at + ".serviceName"})
		}
	}
	add(in.Spec.DefaultBackend, -1, 0, "spec.defaultBackend")
	add(in.Spec.Backend, -1, 0, "spec.backend")
	for i, r := range in.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j := range r.HTTP.Paths {
			add(&r.HTTP.Paths[j].Backend, i, j, "")
		}
	}
	return out, true
}

// v1IngressBackends is ingressBackendsOf an Ingress of networking.k8s.io/v1 decoded
// into its type: what the JSON shape reads of it, without writing and reading JSON.
// A v1 backend names its Service in service.name only.
func v1IngressBackends(in *networkingv1.Ingress) []ingressBackend {
	var out []ingressBackend
	if b := in.Spec.DefaultBackend; b != nil && b.Service != nil && b.Service.Name != "" {
		out = append(out, ingressBackend{b.Service.Name, -1, 0, "spec.defaultBackend.service.name"})
	}
	for i := range in.Spec.Rules {
		http := in.Spec.Rules[i].HTTP
		if http == nil {
			continue
		}
		for j := range http.Paths {
			if s := http.Paths[j].Backend.Service; s != nil && s.Name != "" {
				out = append(out, ingressBackend{s.Name, i, j, ".service.name"})
			}
		}
	}
	return out
}

// backendShape is an Ingress backend of v1 (service.name) or v1beta1 (serviceName).
type backendShape struct {
	Service *struct {
		Name string `json:"name"`
	} `json:"service"`
	ServiceName string `json:"serviceName"`
}
