// Package examples holds the demo application in two versions: shop, written the
// way teams really write manifests, and shop-hardened, the same application fixed.
// These tests keep both honest: every object is valid Kubernetes whose references
// resolve, shop-hardened scans clean at --fail-on low, and shop shows its flaws.
package examples

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"

	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

func load(t *testing.T, dir string) *inventory.Inventory {
	t.Helper()
	inv := inventory.Load([]string{dir}, inventory.Options{})
	for _, err := range inv.Errors {
		t.Errorf("%s: %v", dir, err)
	}
	if len(inv.Objects) == 0 {
		t.Fatalf("%s: no objects", dir)
	}
	return inv
}

func scanOf(inv *inventory.Inventory) []finding.Finding {
	now := func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	return scan.NewEvaluator(scan.Options{Now: now}).Evaluate(context.Background(), inv).Findings
}

// Each component of the layout (plain manifests, the Helm chart, the Kustomize
// overlay) must reach the inventory, or a scan of the directory misses a part.
func TestEveryLayerIsLoaded(t *testing.T) {
	for _, dir := range []string{"shop", "shop-hardened"} {
		t.Run(dir, func(t *testing.T) {
			inv := load(t, dir)
			for _, want := range []struct{ kind, name, from string }{
				{"Deployment", "api", "/manifests/"},
				{"StatefulSet", "postgres", "/manifests/"},
				{"Deployment", "storefront", "/chart/"},
				{"Deployment", "worker", "/kustomize/"},
				{"CronJob", "postgres-backup", "/kustomize/"},
			} {
				o := inv.Find(want.kind, "shop", want.name)
				if o == nil {
					t.Errorf("no %s shop/%s", want.kind, want.name)
					continue
				}
				if o.Source == nil || !strings.Contains(o.Source.File, want.from) {
					t.Errorf("%s shop/%s comes from %v, want a file under %s", want.kind, want.name, o.Source, want.from)
				}
			}
			// The overlay, not its base, is what is applied.
			w := inv.Find("Deployment", "shop", "worker").Obj.(*appsv1.Deployment)
			if w.Labels["environment"] != "production" || w.Spec.Replicas == nil || *w.Spec.Replicas != 3 {
				t.Errorf("worker is not the production overlay: labels %v, replicas %v", w.Labels, w.Spec.Replicas)
			}
			if n := len(inv.Kind("CronJob")); n != 1 {
				t.Errorf("%d CronJobs, want 1 (the overlay's base must not be built on its own)", n)
			}
		})
	}
}

func TestHardenedScansCleanAtLow(t *testing.T) {
	inv := load(t, "shop-hardened")
	for _, f := range scanOf(inv) {
		if f.Severity >= finding.Low {
			src := ""
			if f.Source != nil {
				src = fmt.Sprintf(" (%s:%d)", f.Source.File, f.Source.Line)
			}
			t.Errorf("%s %s %s/%s/%s%s: %s", f.Severity, f.RuleID, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, src, f.Message)
		}
	}
}

// flaws are the insecurities examples/README.md describes, each with the rule that
// reports it. A flaw whose rule is not in the registry fails the test: the README
// and the rule set must move together.
var flaws = []struct {
	rule, kind, name, what string
}{
	{"pod/privileged-container", "DaemonSet", "log-shipper", "Fluent Bit runs privileged"},
	{"pod/run-as-root-user", "DaemonSet", "log-shipper", "Fluent Bit runs as UID 0"},
	{"pod/sensitive-host-path", "DaemonSet", "log-shipper", "the Docker socket is mounted"},
	{"pod/host-path-volumes", "DaemonSet", "log-shipper", "node directories are mounted"},
	{"pod/writable-host-path", "DaemonSet", "log-shipper", "/var/log is mounted writable"},
	{"rbac/cluster-admin-binding", "ClusterRoleBinding", "shop-ci-deployer", "the CI deployer is cluster-admin"},
	{"rbac/wildcard-verbs", "Role", "shop-admin", "the developers' Role allows every verb"},
	{"rbac/wildcard-resources", "Role", "shop-admin", "the developers' Role covers every resource"},
	{"secret/committed-secret-data", "Secret", "shop-secrets", "a Secret with data is committed"},
	{"secret/credential-in-configmap", "ConfigMap", "shop-config", "DATABASE_URL carries the password"},
	{"secret/credential-in-env", "Deployment", "api", "REDIS_PASSWORD is a literal"},
	{"secret/credential-in-env", "Deployment", "worker", "SMTP_URL carries a password"},
	{"secret/env-from-secret", "CronJob", "postgres-backup", "AWS keys reach the backup through env"},
	{"image/latest-tag", "Deployment", "redis", "redis:latest"},
	{"image/latest-tag", "Deployment", "storefront", "the chart's image tag is latest"},
	{"image/not-pinned-by-digest", "StatefulSet", "postgres", "postgres:15 is not pinned"},
	{"pod/memory-limits-missing", "Deployment", "redis", "Redis has no resources"},
	{"pod/cpu-requests-missing", "Deployment", "worker", "the worker has no resources"},
	{"pod/default-service-account", "Deployment", "api", "the api runs as the default ServiceAccount"},
	{"pod/service-account-token-automount", "Deployment", "api", "every pod gets an API token"},
	{"sa/token-automount", "ServiceAccount", "storefront", "the chart's ServiceAccount automounts its token"},
	{"pod/run-as-non-root", "StatefulSet", "postgres", "no container is required to run as non-root"},
	{"pod/readonly-root-filesystem-missing", "Deployment", "api", "root filesystems are writable"},
	{"svc/load-balancer-open", "Service", "storefront", "the chart's Service is a public LoadBalancer"},
	{"svc/node-port", "Service", "api-debug", "the debug NodePort was left in"},
	{"ingress/tls-missing", "Ingress", "shop", "api.shop.example.com has no TLS"},
	{"namespace/pod-security-labels-missing", "Namespace", "shop", "the namespace enforces no Pod Security Standard"},
}

func TestShopShowsItsFlaws(t *testing.T) {
	inv := load(t, "shop")
	got := map[string]bool{}
	for _, f := range scanOf(inv) {
		got[f.RuleID+" "+f.Resource.Kind+"/"+f.Resource.Name] = true
	}
	for _, fl := range flaws {
		if rule.Get(fl.rule) == nil {
			t.Errorf("%s: rule %s is not registered", fl.what, fl.rule)
			continue
		}
		if !got[fl.rule+" "+fl.kind+"/"+fl.name] {
			t.Errorf("%s: no %s finding on %s %s", fl.what, fl.rule, fl.kind, fl.name)
		}
	}
}

// TestObjectsWouldApply checks what a real API server and the controllers behind it
// need: every typed object fits the API schema, names are valid, everything is in
// namespace shop, selectors select, and every reference resolves.
func TestObjectsWouldApply(t *testing.T) {
	for _, dir := range []string{"shop", "shop-hardened"} {
		t.Run(dir, func(t *testing.T) {
			for _, p := range check(load(t, dir)) {
				t.Error(p)
			}
		})
	}
}

// builtinClusterRoles exist in every cluster.
var builtinClusterRoles = []string{"cluster-admin", "admin", "edit", "view"}

func check(inv *inventory.Inventory) []string {
	var problems []string
	bad := func(o *inventory.Object, format string, a ...any) {
		problems = append(problems, fmt.Sprintf("%s %s/%s (%v): %s", o.Kind(), o.Namespace(), o.Name(), o.Source, fmt.Sprintf(format, a...)))
	}
	has := func(kind, ns, name string) bool { return inv.Find(kind, ns, name) != nil }
	// Secrets that controllers write: the External Secrets Operator and cert-manager.
	made := map[string]bool{}
	tc := applyconfigurations.NewTypeConverter(scheme.Scheme)
	for _, o := range inv.Objects {
		if _, ok := o.Obj.(*unstructured.Unstructured); !ok {
			if _, err := tc.ObjectToTyped(o.Obj); err != nil {
				bad(o, "schema: %v", err)
			}
		}
		if errs := validation.IsDNS1123Subdomain(o.Name()); len(errs) > 0 {
			bad(o, "name: %v", errs)
		}
		switch o.Kind() {
		case "Namespace", "ClusterRole", "ClusterRoleBinding":
			if o.Namespace() != "" {
				bad(o, "cluster-scoped object with a namespace")
			}
		default:
			if o.Namespace() != "shop" {
				bad(o, "namespace %q, want shop", o.Namespace())
			}
		}
		for k, v := range o.Meta.GetLabels() {
			if e := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(e) > 0 {
				bad(o, "label %s=%s: %v", k, v, e)
			}
		}
		switch t := o.Obj.(type) {
		case *unstructured.Unstructured:
			if o.Kind() == "ExternalSecret" {
				name, _, _ := unstructured.NestedString(t.Object, "spec", "target", "name")
				if name == "" {
					name = o.Name()
				}
				made[name] = true
			}
		case *netv1.Ingress:
			for _, tls := range t.Spec.TLS {
				if t.Annotations["cert-manager.io/cluster-issuer"] != "" || t.Annotations["cert-manager.io/issuer"] != "" {
					made[tls.SecretName] = true
				}
			}
		}
	}
	hasSecret := func(name string) bool { return made[name] || has("Secret", "shop", name) }

	type pod struct {
		o      *inventory.Object
		labels map[string]string
		spec   corev1.PodSpec
		claims []corev1.PersistentVolumeClaim
	}
	var pods []pod
	selects := func(o *inventory.Object, sel *metav1.LabelSelector, lbl map[string]string) {
		s, err := metav1.LabelSelectorAsSelector(sel)
		switch {
		case err != nil:
			bad(o, "selector: %v", err)
		case s.Empty():
			bad(o, "empty selector")
		case !s.Matches(labels.Set(lbl)):
			bad(o, "selector %v does not match the pod template labels %v", s, lbl)
		}
	}
	for _, o := range inv.Objects {
		switch t := o.Obj.(type) {
		case *appsv1.Deployment:
			selects(o, t.Spec.Selector, t.Spec.Template.Labels)
			pods = append(pods, pod{o, t.Spec.Template.Labels, t.Spec.Template.Spec, nil})
		case *appsv1.StatefulSet:
			selects(o, t.Spec.Selector, t.Spec.Template.Labels)
			if s, ok := objOf[*corev1.Service](inv, "Service", t.Spec.ServiceName); !ok || s.Spec.ClusterIP != corev1.ClusterIPNone {
				bad(o, "serviceName %q is not a headless Service of the namespace", t.Spec.ServiceName)
			}
			pods = append(pods, pod{o, t.Spec.Template.Labels, t.Spec.Template.Spec, t.Spec.VolumeClaimTemplates})
		case *appsv1.DaemonSet:
			selects(o, t.Spec.Selector, t.Spec.Template.Labels)
			pods = append(pods, pod{o, t.Spec.Template.Labels, t.Spec.Template.Spec, nil})
		case *batchv1.CronJob:
			if n := len(strings.Fields(t.Spec.Schedule)); n != 5 {
				bad(o, "schedule %q has %d fields, want 5", t.Spec.Schedule, n)
			}
			tmpl := t.Spec.JobTemplate.Spec.Template
			if rp := tmpl.Spec.RestartPolicy; rp != corev1.RestartPolicyNever && rp != corev1.RestartPolicyOnFailure {
				bad(o, "a Job's pods need restartPolicy Never or OnFailure, not %q", rp)
			}
			pods = append(pods, pod{o, tmpl.Labels, tmpl.Spec, nil})
		}
	}
	for _, p := range pods {
		o := p.o
		if sa := p.spec.ServiceAccountName; sa != "" && sa != "default" && !has("ServiceAccount", "shop", sa) {
			bad(o, "serviceAccountName %q: no such ServiceAccount", sa)
		}
		volumes := map[string]bool{}
		for _, v := range p.spec.Volumes {
			volumes[v.Name] = true
			if v.ConfigMap != nil && !has("ConfigMap", "shop", v.ConfigMap.Name) {
				bad(o, "volume %s: no ConfigMap %s", v.Name, v.ConfigMap.Name)
			}
			if v.Secret != nil && !hasSecret(v.Secret.SecretName) {
				bad(o, "volume %s: no Secret %s", v.Name, v.Secret.SecretName)
			}
		}
		for _, c := range p.claims {
			volumes[c.Name] = true
		}
		names := map[string]bool{}
		for _, c := range slices.Concat(p.spec.InitContainers, p.spec.Containers) {
			if names[c.Name] {
				bad(o, "two containers named %s", c.Name)
			}
			names[c.Name] = true
			ports := map[string]bool{}
			for _, cp := range c.Ports {
				if cp.Name != "" {
					if e := validation.IsValidPortName(cp.Name); len(e) > 0 {
						bad(o, "port name %q: %v", cp.Name, e)
					}
					ports[cp.Name] = true
				}
			}
			for _, pr := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
				var port *intstr.IntOrString
				switch {
				case pr == nil:
				case pr.HTTPGet != nil:
					port = &pr.HTTPGet.Port
				case pr.TCPSocket != nil:
					port = &pr.TCPSocket.Port
				}
				if port != nil && port.Type == intstr.String && !ports[port.StrVal] {
					bad(o, "container %s: a probe uses port %q, which the container does not name", c.Name, port.StrVal)
				}
			}
			mounts := map[string]bool{}
			for _, m := range c.VolumeMounts {
				if !volumes[m.Name] {
					bad(o, "container %s mounts %s, which is no volume of the pod", c.Name, m.Name)
				}
				if mounts[m.MountPath] {
					bad(o, "container %s mounts two volumes at %s", c.Name, m.MountPath)
				}
				mounts[m.MountPath] = true
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !hasSecret(e.ValueFrom.SecretKeyRef.Name) {
					bad(o, "env %s: no Secret %s", e.Name, e.ValueFrom.SecretKeyRef.Name)
				}
				if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil && !has("ConfigMap", "shop", e.ValueFrom.ConfigMapKeyRef.Name) {
					bad(o, "env %s: no ConfigMap %s", e.Name, e.ValueFrom.ConfigMapKeyRef.Name)
				}
			}
			for _, e := range c.EnvFrom {
				if e.ConfigMapRef != nil && !has("ConfigMap", "shop", e.ConfigMapRef.Name) {
					bad(o, "envFrom: no ConfigMap %s", e.ConfigMapRef.Name)
				}
				if e.SecretRef != nil && !hasSecret(e.SecretRef.Name) {
					bad(o, "envFrom: no Secret %s", e.SecretRef.Name)
				}
			}
			for res, limit := range c.Resources.Limits {
				if req, ok := c.Resources.Requests[res]; ok && req.Cmp(limit) > 0 {
					bad(o, "container %s requests more %s than its limit", c.Name, res)
				}
			}
		}
	}
	podsSelectedBy := func(sel labels.Selector) []pod {
		var out []pod
		for _, p := range pods {
			if sel.Matches(labels.Set(p.labels)) {
				out = append(out, p)
			}
		}
		return out
	}
	for _, o := range inv.Objects {
		switch t := o.Obj.(type) {
		case *corev1.Service:
			selected := podsSelectedBy(labels.SelectorFromSet(t.Spec.Selector))
			if len(t.Spec.Selector) == 0 || len(selected) == 0 {
				bad(o, "selector %v selects no pod", t.Spec.Selector)
			}
			for _, sp := range t.Spec.Ports {
				if sp.NodePort != 0 && (sp.NodePort < 30000 || sp.NodePort > 32767) {
					bad(o, "nodePort %d outside 30000-32767", sp.NodePort)
				}
				if sp.TargetPort.Type != intstr.String {
					continue
				}
				for _, p := range selected {
					if !namesPort(p.spec, sp.TargetPort.StrVal) {
						bad(o, "targetPort %q is not a port of %s", sp.TargetPort.StrVal, p.o.Name())
					}
				}
			}
		case *netv1.Ingress:
			for _, r := range t.Spec.Rules {
				for _, path := range r.HTTP.Paths {
					b := path.Backend.Service
					s, ok := objOf[*corev1.Service](inv, "Service", b.Name)
					if !ok {
						bad(o, "backend Service %s does not exist", b.Name)
						continue
					}
					if !slices.ContainsFunc(s.Spec.Ports, func(sp corev1.ServicePort) bool {
						return (b.Port.Name != "" && sp.Name == b.Port.Name) || (b.Port.Number != 0 && sp.Port == b.Port.Number)
					}) {
						bad(o, "backend %s has no port %v", b.Name, b.Port)
					}
				}
			}
		case *netv1.NetworkPolicy:
			if s, err := metav1.LabelSelectorAsSelector(&t.Spec.PodSelector); err != nil || len(podsSelectedBy(s)) == 0 {
				bad(o, "podSelector selects no pod (%v)", err)
			}
		case *policyv1.PodDisruptionBudget:
			if s, err := metav1.LabelSelectorAsSelector(t.Spec.Selector); err != nil || len(podsSelectedBy(s)) == 0 {
				bad(o, "selector selects no pod (%v)", err)
			}
		case *rbacv1.RoleBinding:
			if t.RoleRef.Kind == "Role" && !has("Role", "shop", t.RoleRef.Name) {
				bad(o, "roleRef: no Role %s", t.RoleRef.Name)
			}
			subjectsExist(inv, o, t.Subjects, bad)
		case *rbacv1.ClusterRoleBinding:
			if !slices.Contains(builtinClusterRoles, t.RoleRef.Name) && !has("ClusterRole", "", t.RoleRef.Name) {
				bad(o, "roleRef: no ClusterRole %s", t.RoleRef.Name)
			}
			subjectsExist(inv, o, t.Subjects, bad)
		}
	}
	sort.Strings(problems)
	return problems
}

func objOf[T any](inv *inventory.Inventory, kind, name string) (T, bool) {
	var zero T
	o := inv.Find(kind, "shop", name)
	if o == nil {
		return zero, false
	}
	t, ok := o.Obj.(T)
	return t, ok
}

func namesPort(spec corev1.PodSpec, name string) bool {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

func subjectsExist(inv *inventory.Inventory, o *inventory.Object, subjects []rbacv1.Subject, bad func(*inventory.Object, string, ...any)) {
	for _, s := range subjects {
		if s.Kind == rbacv1.ServiceAccountKind && s.Name != "default" && inv.Find("ServiceAccount", s.Namespace, s.Name) == nil {
			bad(o, "subject ServiceAccount %s/%s does not exist", s.Namespace, s.Name)
		}
	}
}

// broken has one of each mistake check must catch.
const broken = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: website
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: registry.example.com/shop/web:1.0.0
          env:
            - name: TOKEN
              valueFrom:
                secretKeyRef:
                  name: missing-credentials
                  key: token
          volumeMounts:
            - name: data
              mountPath: /data
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
    - port: 80
`

// TestCheckFindsBrokenReferences guards the checker itself.
func TestCheckFindsBrokenReferences(t *testing.T) {
	objs, errs := inventory.Decode(strings.NewReader(broken), "broken.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := strings.Join(check(inventory.NewInventory(objs)), "\n")
	for _, want := range []string{
		"does not match the pod template labels",
		"no Secret missing-credentials",
		"selects no pod",
		"no such ServiceAccount",
		"mounts data, which is no volume",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the check misses %q; it said:\n%s", want, got)
		}
	}
}
