package exposure

import (
	"fmt"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/moat-dev/moat/internal/inventory"
)

// ingressCases are Ingresses of networking.k8s.io/v1 that the typed readers must read
// as the JSON ones do.
var ingressCases = map[string]string{
	"hosts with and without TLS": `
spec:
  tls: [{hosts: [a.example.com]}, {secretName: default-cert}]
  rules:
  - host: a.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - host: b.example.com
    http: {paths: [{path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}},
                   {path: /x, pathType: Prefix, backend: {resource: {kind: Bucket, name: assets}}}]}`,
	"default backend only": `
spec:
  defaultBackend: {service: {name: fallback, port: {number: 8080}}}`,
	"default backend to a resource": `
spec:
  defaultBackend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: assets}}`,
	"rule without http": `
spec:
  tls: [{hosts: []}]
  rules: [{host: c.example.com}, {}]`,
	"empty spec": `
spec: {}`,
	"service without a name": `
spec:
  rules:
  - http: {paths: [{path: /, pathType: Prefix, backend: {service: {port: {number: 80}}}}]}`,
}

func decodeIngressCase(t *testing.T, name, spec string) *inventory.Object {
	t.Helper()
	doc := "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: in, namespace: shop}\n" + strings.TrimPrefix(spec, "\n")
	objs, errs := inventory.Decode(strings.NewReader(doc), name+".yaml")
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("decode: %v", errs)
	}
	if _, ok := objs[0].Obj.(*networkingv1.Ingress); !ok {
		t.Fatalf("decoded as %T, not the v1 type", objs[0].Obj)
	}
	return objs[0]
}

// ingressOf reads a typed v1 Ingress as decodeIngress's JSON does.
func TestIngressOfTypedMatchesJSON(t *testing.T) {
	view := func(in ingressShape) string {
		var b strings.Builder
		for _, tls := range in.Spec.TLS {
			fmt.Fprintf(&b, "tls%q ", tls.Hosts)
		}
		for _, r := range in.Spec.Rules {
			fmt.Fprintf(&b, "rule %q ", r.Host)
		}
		fmt.Fprintf(&b, "defaultBackend:%v backend:%v", len(in.Spec.DefaultBackend) > 0, len(in.Spec.Backend) > 0)
		return b.String()
	}
	for name, spec := range ingressCases {
		t.Run(name, func(t *testing.T) {
			o := decodeIngressCase(t, name, spec)
			got, ok := ingressOf(o)
			var want ingressShape
			if !ok || !decodeIngress(o, &want) {
				t.Fatal("not read as an Ingress")
			}
			if view(got) != view(want) {
				t.Errorf("typed:\n %s\nJSON:\n %s", view(got), view(want))
			}
		})
	}
}

// ingressBackendsOf reads a typed v1 Ingress as the JSON reader does, paths included.
func TestIngressBackendsTypedMatchesJSON(t *testing.T) {
	view := func(bs []ingressBackend) string {
		var parts []string
		for _, b := range bs {
			parts = append(parts, b.service+" at "+b.fieldPath())
		}
		return strings.Join(parts, "; ")
	}
	for name, spec := range ingressCases {
		t.Run(name, func(t *testing.T) {
			o := decodeIngressCase(t, name, spec)
			got, ok := ingressBackendsOf(o)
			want, wantOK := decodedIngressBackends(o)
			if !ok || !wantOK {
				t.Fatal("not read as an Ingress")
			}
			if view(got) != view(want) {
				t.Errorf("typed: %s\nJSON:  %s", view(got), view(want))
			}
		})
	}
}

func TestSelects(t *testing.T) {
	for _, tc := range []struct {
		name             string
		selector, labels map[string]string
		want             bool
	}{
		{"every pair held", map[string]string{"app": "web", "tier": "front"}, map[string]string{"app": "web", "tier": "front", "x": "y"}, true},
		{"a value differs", map[string]string{"app": "web", "tier": "front"}, map[string]string{"app": "web", "tier": "back"}, false},
		{"a key missing", map[string]string{"app": "web", "tier": "front"}, map[string]string{"app": "web"}, false},
		{"an empty value is a value", map[string]string{"app": ""}, map[string]string{}, false},
		{"empty selector", map[string]string{}, map[string]string{"app": "web"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := selects(tc.selector, tc.labels); got != tc.want {
				t.Errorf("selects = %v, want %v", got, tc.want)
			}
		})
	}
}

// endsWithComponents is strings.HasSuffix(path, "/"+tail).
func TestEndsWithComponents(t *testing.T) {
	for _, tc := range []struct{ path, tail string }{
		{"library/grafana", "grafana"}, {"grafana/grafana", "grafana/grafana"}, {"team/grafana/grafana", "grafana/grafana"},
		{"xgrafana", "grafana"}, {"grafana", "grafana"}, {"a/b", ""}, {"", ""}, {"/x", "x"}, {"x", "/x"},
	} {
		if got, want := endsWithComponents(tc.path, tc.tail), strings.HasSuffix(tc.path, "/"+tc.tail); got != want {
			t.Errorf("endsWithComponents(%q, %q) = %v, want %v", tc.path, tc.tail, got, want)
		}
	}
}
