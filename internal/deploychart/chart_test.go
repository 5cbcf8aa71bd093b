package deploychart

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/admission/manifests"
	"github.com/moat-dev/moat/internal/kubeversion"
)

// TestRender renders every value set and checks what each release holds, and what every
// workload of every release must be: hardened, bounded, probed, pinned, isolated.
func TestRender(t *testing.T) {
	ch := loadChart(t)
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			r, err := render(ch, vs.decode(t))
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			got := r.names()
			want := slices.Sorted(slices.Values(vs.want))
			if !slices.Equal(got, want) {
				t.Errorf("objects:\n got %v\nwant %v", got, want)
			}
			for _, o := range r.objects {
				if o.GetNamespace() != "" && o.GetNamespace() != namespace {
					t.Errorf("%s/%s is in namespace %q, not the release's", o.GetKind(), o.GetName(), o.GetNamespace())
				}
				if o.GetLabels()["app.kubernetes.io/instance"] != releaseName {
					t.Errorf("%s/%s has no app.kubernetes.io/instance label", o.GetKind(), o.GetName())
				}
			}
			policies := typed[networkingv1.NetworkPolicy](t, r, "NetworkPolicy")
			for _, d := range typed[appsv1.Deployment](t, r, "Deployment") {
				checkDeployment(t, r, d)
				if len(policies) > 0 {
					checkIsolated(t, d, policies)
				}
			}
		})
	}
}

// typed converts the rendered objects of a kind.
func typed[T any](tb testing.TB, r *rendered, kind string) []*T {
	tb.Helper()
	var out []*T
	for _, o := range r.objects {
		if o.GetKind() != kind {
			continue
		}
		v := new(T)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, v, true); err != nil {
			tb.Fatalf("%s/%s: %v", kind, o.GetName(), err)
		}
		out = append(out, v)
	}
	return out
}

var digestRE = regexp.MustCompile(`^[^@]+@sha256:[0-9a-f]{64}$`)

// checkDeployment checks one component's Deployment.
func checkDeployment(t *testing.T, r *rendered, d *appsv1.Deployment) {
	t.Helper()
	name := d.Name
	ps := d.Spec.Template.Spec
	sc := ps.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault ||
		sc.RunAsUser == nil || *sc.RunAsUser == 0 || sc.RunAsGroup == nil || *sc.RunAsGroup == 0 {
		t.Errorf("%s: pod securityContext is not hardened: %+v", name, sc)
	}
	if ps.HostNetwork || ps.HostPID || ps.HostIPC {
		t.Errorf("%s: shares a host namespace", name)
	}
	// Only the operator talks to the API server, and its token is a projected volume.
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken is not false", name)
	}
	for _, c := range ps.Containers {
		where := name + "/" + c.Name
		csc := c.SecurityContext
		if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
			csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
			csc.RunAsNonRoot == nil || !*csc.RunAsNonRoot ||
			csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(csc.Capabilities.Add) > 0 {
			t.Errorf("%s: container securityContext is not hardened: %+v", where, csc)
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if c.Resources.Requests.Name(res, "").IsZero() || c.Resources.Limits.Name(res, "").IsZero() {
				t.Errorf("%s: no %s request or limit", where, res)
			}
		}
		if c.LivenessProbe == nil || c.ReadinessProbe == nil {
			t.Errorf("%s: no liveness or readiness probe", where)
		}
		if !digestRE.MatchString(c.Image) {
			t.Errorf("%s: image %q is not pinned by digest", where, c.Image)
		}
	}
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	pdb := r.find("PodDisruptionBudget", name)
	switch {
	case replicas > 1 && pdb == nil:
		t.Errorf("%s: %d replicas and no PodDisruptionBudget", name, replicas)
	case replicas <= 1 && pdb != nil:
		t.Errorf("%s: one replica and a PodDisruptionBudget, which would block every drain", name)
	case pdb != nil:
		if v, _, _ := unstructured.NestedFieldNoCopy(pdb.Object, "spec", "minAvailable"); fmt.Sprint(v) != "1" {
			t.Errorf("%s: PodDisruptionBudget minAvailable %v, want 1", name, v)
		}
	}
	if replicas > 1 && len(ps.TopologySpreadConstraints) == 0 {
		t.Errorf("%s: replicas are not spread over nodes", name)
	}
}

// checkIsolated checks that a component's own NetworkPolicy isolates it both ways and
// allows ingress only on its serving port.
func checkIsolated(t *testing.T, d *appsv1.Deployment, policies []*networkingv1.NetworkPolicy) {
	t.Helper()
	var own *networkingv1.NetworkPolicy
	for _, p := range policies {
		if p.Name == d.Name {
			own = p
		}
	}
	if own == nil {
		t.Errorf("%s: no NetworkPolicy of its own", d.Name)
		return
	}
	if !slices.Contains(own.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(own.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("%s: its NetworkPolicy does not isolate both ways: %v", d.Name, own.Spec.PolicyTypes)
	}
	serving := map[int32]bool{}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name != "health" { // the kubelet's probes, which policies do not govern
				serving[p.ContainerPort] = true
			}
		}
	}
	for _, rule := range own.Spec.Ingress {
		if len(rule.Ports) == 0 || len(rule.From) == 0 {
			t.Errorf("%s: an ingress rule allows every port or every peer", d.Name)
		}
		for _, p := range rule.Ports {
			if p.Port == nil || !serving[p.Port.IntVal] {
				t.Errorf("%s: ingress allowed on port %v, which it does not serve", d.Name, p.Port)
			}
		}
	}
	// The webhook and the audit receiver call nobody by default; the operator calls
	// the API server and DNS only.
	if d.Name != "moat-operator" && d.Name != "moat-audit" && len(own.Spec.Egress) > 0 {
		t.Errorf("%s: egress allowed: %+v", d.Name, own.Spec.Egress)
	}
	if d.Name == "moat-operator" {
		for _, rule := range own.Spec.Egress {
			for _, p := range rule.Ports {
				if port := p.Port.IntVal; port != 53 && port != 443 && port != 6443 {
					t.Errorf("%s: egress on port %d", d.Name, port)
				}
			}
		}
	}
}

// TestLint runs what `helm lint --strict` runs, through the SDK: no error and no warning
// for any value set (information, such as "icon is recommended", is allowed).
func TestLint(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			caps, err := capabilities(kubeversion.Default)
			if err != nil {
				t.Fatal(err)
			}
			res := lint.RunAll(chartDir(t), vs.decode(t), namespace, lint.WithKubeVersion(&caps.KubeVersion))
			for _, m := range res.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("lint: %v", m)
				}
			}
		})
	}
}

// TestBadValues checks that values.schema.json and the chart's own checks refuse what
// cannot work, with an error that names the value.
func TestBadValues(t *testing.T) {
	ch := loadChart(t)
	for _, tc := range []struct {
		name, values string
		want         string // in the error
	}{
		{"a top-level key that does not exist", `opertor: {enabled: true}`, "opertor"},
		{"an operator key that does not exist", `operator: {replica: 3}`, "replica"},
		{"an admission key that does not exist", `admission: {failurPolicy: Ignore}`, "failurPolicy"},
		{"an audit key that does not exist", `audit: {tokenFile: /x}`, "tokenFile"},
		{"a network policy key that does not exist", `networkPolicy: {egress: true}`, "egress"},
		{"a cert-manager key that does not exist", `certManager: {issuer: x}`, "issuer"},
		{"replicas as a string", `operator: {replicas: "2"}`, "replicas"},
		{"no replica", `admission: {replicas: 0}`, "replicas"},
		{"an unknown report API", `operator: {reportAPI: policyreports}`, "reportAPI"},
		{"a resync that is not a duration", `operator: {resync: 10 minutes}`, "resync"},
		{"a failure policy that does not exist", `admission: {failurePolicy: Deny}`, "failurePolicy"},
		{"a webhook timeout beyond the API server's 30 s", `admission: {timeoutSeconds: 60}`, "timeoutSeconds"},
		{"a digest that is not sha256", `image: {digest: "md5:abc"}`, "digest"},
		{"root as the user", `runAsUser: 0`, "runAsUser"},
		{"a port beyond 65535", `admission: {port: 70000}`, "port"},
		{"the memory limit removed", `operator: {resources: {limits: {memory: null}}}`, "memory"},
		{"a quantity that is not one", `audit: {resources: {requests: {cpu: lots, memory: 1Gi}, limits: {cpu: "1", memory: 1Gi}}}`, "cpu"},
		{"a peer of a kind that does not exist", `admission: {networkPolicy: {from: [{ipBlocks: {cidr: 10.0.0.0/8}}]}}`, "ipBlocks"},
		{"a CIDR that is not one", `operator: {networkPolicy: {apiServer: {cidrs: [kubernetes.default], ports: [443]}}}`, "cidrs"},
		{"an extra argument that is not a flag", `operator: {extraArgs: [scan]}`, "extraArgs"},
		{"a node port outside the range", `audit: {service: {type: NodePort, nodePort: 80}}`, "nodePort"},
		{"a token shorter than the API server allows", `operator: {tokenExpirationSeconds: 60}`, "tokenExpirationSeconds"},
		{"the webhook with neither the operator nor cert-manager", `{admission: {enabled: true}, operator: {enabled: false}}`, "keep operator.enabled"},
		{"the audit receiver without a certificate", `audit: {enabled: true, auth: {tokenSecret: {secretName: t}}}`, "audit.tls.secretName"},
		{"the audit receiver without authentication", `audit: {enabled: true, tls: {secretName: t}}`, "audit.auth.clientCA.secretName"},
		{"client names without a client CA", `audit: {enabled: true, tls: {secretName: t}, auth: {tokenSecret: {secretName: t}, clientNames: [x]}}`, "audit.auth.clientNames"},
		{"metrics without a certificate", `operator: {metrics: {enabled: true}}`, "operator.metrics.tls.secretName"},
		{"two operators without leader election", `operator: {leaderElection: {enabled: false}}`, "operator.leaderElection.enabled"},
		{"a node port without the NodePort type", `audit: {enabled: true, tls: {secretName: t}, auth: {tokenSecret: {secretName: t}}, service: {nodePort: 30443}}`, "audit.service.type NodePort"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(ch, valueSet{name: tc.name, values: tc.values}.decode(t))
			if err == nil {
				t.Fatalf("rendered; want an error about %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

// TestKubeVersion: the chart installs from Kubernetes 1.30, where the webhook's
// matchConditions are GA, and is refused before, as helm install refuses it.
func TestKubeVersion(t *testing.T) {
	ch := loadChart(t)
	for _, tc := range []struct {
		minor int
		ok    bool
	}{{29, false}, {30, true}, {kubeversion.Default.Minor, true}} {
		_, err := renderFor(ch, map[string]any{"admission": map[string]any{"enabled": true}}, kubeversion.Version{Major: 1, Minor: tc.minor})
		switch {
		case tc.ok && err != nil:
			t.Errorf("1.%d: %v", tc.minor, err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "kubeVersion >=1.30.0-0")):
			t.Errorf("1.%d: error %v, want the chart's kubeVersion refused", tc.minor, err)
		}
	}
}

// TestWebhookMatchesAdmissionManifests keeps the chart's webhook configuration equal to
// the one `moat serve admission --print-manifests` prints, but for names and namespace.
func TestWebhookMatchesAdmissionManifests(t *testing.T) {
	r, err := render(loadChart(t), map[string]any{"admission": map[string]any{"enabled": true}})
	if err != nil {
		t.Fatal(err)
	}
	got := typed[admissionregistrationv1.ValidatingWebhookConfiguration](t, r, "ValidatingWebhookConfiguration")
	if len(got) != 1 || len(got[0].Webhooks) != 1 {
		t.Fatalf("want one configuration with one webhook, got %d", len(got))
	}
	want := manifests.WebhookConfiguration(namespace, nil, admissionregistrationv1.WebhookClientConfig{
		Service: &admissionregistrationv1.ServiceReference{Namespace: namespace, Name: "moat-admission", Path: ptr("/validate"), Port: ptr(int32(443))},
	}).Webhooks[0]
	g := got[0].Webhooks[0]
	for _, f := range []struct {
		field     string
		got, want any
	}{
		{"name", g.Name, want.Name},
		{"clientConfig", g.ClientConfig, want.ClientConfig},
		{"rules", g.Rules, want.Rules},
		{"matchConditions", g.MatchConditions, want.MatchConditions},
		{"namespaceSelector", g.NamespaceSelector, want.NamespaceSelector},
		{"failurePolicy", g.FailurePolicy, want.FailurePolicy},
		{"matchPolicy", g.MatchPolicy, want.MatchPolicy},
		{"sideEffects", g.SideEffects, want.SideEffects},
		{"timeoutSeconds", g.TimeoutSeconds, want.TimeoutSeconds},
		{"admissionReviewVersions", g.AdmissionReviewVersions, want.AdmissionReviewVersions},
	} {
		if fmt.Sprintf("%+v", deref(f.got)) != fmt.Sprintf("%+v", deref(f.want)) {
			t.Errorf("%s:\n chart      %+v\n manifests  %+v", f.field, deref(f.got), deref(f.want))
		}
	}
}

func ptr[T any](v T) *T { return &v }

// deref shows what a pointer points to, for comparing printed values.
func deref(v any) any {
	switch p := v.(type) {
	case *admissionregistrationv1.FailurePolicyType:
		return *p
	case *admissionregistrationv1.MatchPolicyType:
		return *p
	case *admissionregistrationv1.SideEffectClass:
		return *p
	case *int32:
		return *p
	case admissionregistrationv1.WebhookClientConfig:
		return fmt.Sprintf("%s/%s %s:%d", p.Service.Namespace, p.Service.Name, *p.Service.Path, *p.Service.Port)
	case []admissionregistrationv1.RuleWithOperations:
		var out []string
		for _, r := range p {
			out = append(out, fmt.Sprintf("%v %v %v %v %s", r.Operations, r.APIGroups, r.APIVersions, r.Resources, *r.Scope))
		}
		return out
	}
	return v
}
