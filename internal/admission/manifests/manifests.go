// Package manifests generates the Kubernetes objects that run Moat's admission webhook
// in a cluster: Namespace, ServiceAccount, Deployment, PodDisruptionBudget, Service,
// NetworkPolicy and ValidatingWebhookConfiguration. They are the one source of truth:
// `moat serve admission --print-manifests` prints them and deploy/admission/ holds a
// copy that a test keeps equal. Another test scans them with every Moat rule and
// requires no finding at all.
package manifests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// PlaceholderImage is the image written when none is given: a digest-pinned reference
// whose digest is all zeros. Replace it with the digest of the release you deploy
// (`crane digest ghcr.io/moat-dev/moat:vX.Y.Z`), or print with --image.
const PlaceholderImage = "ghcr.io/moat-dev/moat@sha256:0000000000000000000000000000000000000000000000000000000000000000"

// Options of the printed manifests.
type Options struct {
	Namespace string // default moat-system
	Image     string // default PlaceholderImage
	Replicas  int32  // default 2
	// CABundle is the PEM CA that signed the serving certificate; when empty the
	// webhook configuration asks cert-manager's CA injector to fill it in.
	CABundle []byte
	// RegistryEgress are the address blocks (CIDRs) of the registries the signature
	// check of a signing policy reads, on TCP 443, with DNS; none: no egress at all.
	// "0.0.0.0/0" is any registry, at the cost of open egress (netpol/unrestricted-egress).
	RegistryEgress []string
}

// Validate refuses options that would print a fragile or unpinned deployment: what a
// person asks for on the command line, where Replicas is always given.
func (o Options) Validate() error {
	if o.Replicas < 2 {
		return fmt.Errorf("--replicas %d: run at least 2, so that one pod's loss does not block the cluster (failurePolicy is Fail)", o.Replicas)
	}
	if o.Image != "" && !strings.Contains(o.Image, "@sha256:") {
		return fmt.Errorf("--image %q: pin the image by digest (NAME@sha256:...)", o.Image)
	}
	for _, c := range o.RegistryEgress {
		if _, _, err := net.ParseCIDR(c); err != nil {
			return fmt.Errorf("--registry-egress %q: want an address block such as 203.0.113.0/24 (0.0.0.0/0 for any)", c)
		}
	}
	return nil
}

// Name is the name of the Deployment, Service, ServiceAccount and TLS Secret.
const Name = "moat-admission"

// WebhookName is the name of the webhook in the ValidatingWebhookConfiguration.
const WebhookName = "validate.admission.moat.dev"

// Port is the container port the webhook listens on.
const Port = 8443

// ResourceRules are the resources the webhook reviews: pods and every pod controller
// (a bad Deployment is refused at apply time, not when its ReplicaSet fails later),
// Services, Ingresses, RBAC objects, ServiceAccounts, Namespaces, ConfigMaps and Secrets,
// and the pod controllers of Argo Rollouts and OpenShift, which the API server matches
// only where they are installed. Custom kinds of the config file's podTemplatePaths
// need a rule of their own.
func ResourceRules() []admissionregistrationv1.RuleWithOperations {
	ops := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	rule := func(group string, resources ...string) admissionregistrationv1.RuleWithOperations {
		scope := admissionregistrationv1.AllScopes
		return admissionregistrationv1.RuleWithOperations{Operations: ops, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: resources, Scope: &scope,
		}}
	}
	return []admissionregistrationv1.RuleWithOperations{
		rule("", "pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates", "services", "configmaps", "secrets", "serviceaccounts", "namespaces"),
		rule("apps", "deployments", "replicasets", "statefulsets", "daemonsets"),
		rule("batch", "jobs", "cronjobs"),
		rule("networking.k8s.io", "ingresses"),
		rule("rbac.authorization.k8s.io", "roles", "rolebindings", "clusterroles", "clusterrolebindings"),
		rule("argoproj.io", "rollouts"),
		rule("apps.openshift.io", "deploymentconfigs"),
	}
}

// Objects builds the manifests.
func Objects(opt Options) []runtime.Object {
	if opt.Namespace == "" {
		opt.Namespace = "moat-system"
	}
	if opt.Image == "" {
		opt.Image = PlaceholderImage
	}
	if opt.Replicas == 0 {
		opt.Replicas = 2
	}
	ns := opt.Namespace
	labels := map[string]string{"app.kubernetes.io/name": "moat", "app.kubernetes.io/component": "admission"}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
	}
	no, yes := false, true
	uid := int64(65532)
	objs := []runtime.Object{
		&corev1.Namespace{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{
				"app.kubernetes.io/name":                     "moat",
				"pod-security.kubernetes.io/enforce":         "restricted",
				"pod-security.kubernetes.io/enforce-version": "latest",
			}},
		},
		// The webhook reads nothing from the API server: its service account has no
		// Role, no binding and no token. That is the least privilege there is.
		&corev1.ServiceAccount{
			TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta:                   meta(Name),
			AutomountServiceAccountToken: &no,
		},
		&appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: meta(Name),
			Spec: appsv1.DeploymentSpec{
				Replicas: &opt.Replicas,
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr(intstr.FromInt32(0)), MaxSurge: ptr(intstr.FromInt32(1)),
				}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{
						ServiceAccountName:           Name,
						AutomountServiceAccountToken: &no,
						PriorityClassName:            "system-cluster-critical",
						SecurityContext: &corev1.PodSecurityContext{
							RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid, FSGroup: &uid,
							SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
						},
						// Spread the replicas over nodes so one node's loss keeps the webhook up.
						TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
							MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.ScheduleAnyway,
							LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
						}},
						Containers: []corev1.Container{{
							Name:            "webhook",
							Image:           opt.Image,
							ImagePullPolicy: corev1.PullIfNotPresent,
							Args: []string{"serve", "admission", fmt.Sprintf("--addr=:%d", Port),
								"--tls-cert=/etc/moat/tls/tls.crt", "--tls-key=/etc/moat/tls/tls.key"},
							Ports: []corev1.ContainerPort{{Name: "https", ContainerPort: Port, Protocol: corev1.ProtocolTCP}},
							Resources: corev1.ResourceRequirements{
								Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
								Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("256Mi")},
							},
							ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
								Path: "/readyz", Port: intstr.FromString("https"), Scheme: corev1.URISchemeHTTPS,
							}}, PeriodSeconds: 5},
							LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
								Path: "/healthz", Port: intstr.FromString("https"), Scheme: corev1.URISchemeHTTPS,
							}}, PeriodSeconds: 10, FailureThreshold: 3},
							SecurityContext: &corev1.SecurityContext{
								AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, RunAsNonRoot: &yes,
								Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
							},
							VolumeMounts: []corev1.VolumeMount{{Name: "tls", MountPath: "/etc/moat/tls", ReadOnly: true}},
						}},
						Volumes: []corev1.Volume{{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: Name + "-tls"}}}},
					},
				},
			},
		},
		&policyv1.PodDisruptionBudget{
			TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
			ObjectMeta: meta(Name),
			Spec: policyv1.PodDisruptionBudgetSpec{
				MinAvailable: ptr(intstr.FromInt32(1)),
				Selector:     &metav1.LabelSelector{MatchLabels: labels},
			},
		},
		&corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: meta(Name),
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeClusterIP,
				Selector: labels,
				Ports:    []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromString("https"), Protocol: corev1.ProtocolTCP}},
			},
		},
		// Nothing in the namespace talks or is talked to unless a policy below says so.
		&networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: "default-deny", Namespace: ns, Labels: labels},
			Spec: networkingv1.NetworkPolicySpec{
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			},
		},
		// The API server calls the webhook from outside the pod network: ingress on the
		// webhook port from IP blocks only, and no egress unless the signature check needs
		// registries (RegistryEgress). CNIs such as Cilium apply IP blocks
		// to sources outside the pod network only; where they also match pods (Calico),
		// narrow the blocks to the control plane's addresses.
		&networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: meta(Name),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: labels},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}, {IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr(corev1.ProtocolTCP), Port: ptr(intstr.FromInt32(Port))}},
				}},
				Egress: registryEgress(opt.RegistryEgress),
			},
		},
		WebhookConfiguration(opt.Namespace, opt.CABundle, admissionregistrationv1.WebhookClientConfig{
			Service: &admissionregistrationv1.ServiceReference{Namespace: ns, Name: Name, Path: ptr("/validate"), Port: ptr(int32(443))},
		}),
	}
	return objs
}

// WebhookConfiguration is the ValidatingWebhookConfiguration of the webhook at
// client; e2e tests use it with a URL on loopback.
func WebhookConfiguration(namespace string, caBundle []byte, client admissionregistrationv1.WebhookClientConfig) *admissionregistrationv1.ValidatingWebhookConfiguration {
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	equivalent := admissionregistrationv1.Equivalent
	client.CABundle = caBundle
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: "moat-admission", Labels: map[string]string{"app.kubernetes.io/name": "moat"}},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    WebhookName,
			ClientConfig:            client,
			Rules:                   ResourceRules(),
			FailurePolicy:           &fail,
			MatchPolicy:             &equivalent,
			SideEffects:             &none,
			TimeoutSeconds:          ptr(int32(5)),
			AdmissionReviewVersions: []string{"v1"},
			// The control plane's own namespace and Moat's are never reviewed, so a
			// webhook outage cannot block the pods that would repair it.
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system", namespace},
			}}},
			MatchConditions: []admissionregistrationv1.MatchCondition{
				// Mirror pods of static pods come from kubelets; refusing them fails the node, not the author.
				{Name: "not-a-kubelet", Expression: "!request.userInfo.username.startsWith('system:node:')"},
				// Pods and ReplicaSets that the control plane's controllers make for an owner
				// were judged in their owner (the Deployment, Job...), whose ignore
				// annotations they do not inherit. Only the controllers are trusted here:
				// anyone else setting an owner reference is still reviewed.
				{Name: "not-made-by-a-controller-for-a-reviewed-owner", Expression: "!((request.userInfo.username == 'system:kube-controller-manager' || request.userInfo.username.startsWith('system:serviceaccount:kube-system:')) && has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(r, has(r.controller) && r.controller))"},
				// Objects being deleted (finalizers removed) are not reviewed again.
				{Name: "not-being-deleted", Expression: "!has(object.metadata.deletionTimestamp)"},
			},
		}},
	}
	if len(caBundle) == 0 {
		vwc.Annotations = map[string]string{"cert-manager.io/inject-ca-from": namespace + "/" + Name}
	}
	return vwc
}

func ptr[T any](v T) *T { return &v }

// registryEgress are the egress rules of the signature check: DNS from the cluster's
// DNS pods, and HTTPS to the registries' blocks, never to the cloud metadata endpoint.
func registryEgress(cidrs []string) []networkingv1.NetworkPolicyEgressRule {
	if len(cidrs) == 0 {
		return nil
	}
	var to []networkingv1.NetworkPolicyPeer
	for _, c := range cidrs {
		block := &networkingv1.IPBlock{CIDR: c}
		if _, n, err := net.ParseCIDR(c); err == nil && n.Contains(metadataIP) {
			block.Except = []string{"169.254.169.254/32"}
		}
		to = append(to, networkingv1.NetworkPolicyPeer{IPBlock: block})
	}
	dns := networkingv1.NetworkPolicyPeer{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
		PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
	}
	return []networkingv1.NetworkPolicyEgressRule{
		{To: []networkingv1.NetworkPolicyPeer{dns}, Ports: []networkingv1.NetworkPolicyPort{
			{Protocol: ptr(corev1.ProtocolUDP), Port: ptr(intstr.FromInt32(53))},
			{Protocol: ptr(corev1.ProtocolTCP), Port: ptr(intstr.FromInt32(53))},
		}},
		{To: to, Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr(corev1.ProtocolTCP), Port: ptr(intstr.FromInt32(443))}}},
	}
}

var metadataIP = net.ParseIP("169.254.169.254")

// Header opens the printed YAML.
const Header = `# Moat admission webhook: generated by ` + "`moat serve admission --print-manifests`" + `; do not edit.
#
# Before applying:
# - The image is pinned by digest. The all-zeros digest of the default is a placeholder:
#   print with --image ghcr.io/moat-dev/moat@sha256:<digest of your release>.
# - The serving certificate is the Secret moat-admission-tls (tls.crt, tls.key) for the
#   DNS name moat-admission.<namespace>.svc. With cert-manager, a Certificate of that name
#   fills it and the annotation cert-manager.io/inject-ca-from puts the CA into the
#   webhook configuration; without it, print with --ca-bundle FILE and create the Secret
#   with kubectl create secret tls. The webhook reloads the files when they change.
# - Rules, modes and exemptions come from the admission: section of .moat.yaml (mount it
#   and pass --config). failurePolicy is Fail: kube-system and the webhook's namespace are
#   never reviewed, so the webhook cannot lock out its own repair.
`

// YAML renders objects as one YAML stream with the Header, without the empty fields
// (status, creationTimestamp) that typed objects carry.
func YAML(objs []runtime.Object) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(Header)
	for _, o := range objs {
		js, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil {
			return nil, err
		}
		clean(m)
		y, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes(), nil
}

// keepEmpty are fields whose empty value means something: podSelector: {} selects
// every pod, emptyDir: {} is a volume.
var keepEmpty = map[string]bool{"podSelector": true, "emptyDir": true}

// clean removes null values, empty maps and status from a decoded object, recursively.
func clean(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case map[string]any:
		delete(x, "status")
		for k, e := range x {
			if !clean(e) && !(keepEmpty[k] && e != nil) {
				delete(x, k)
			}
		}
		return len(x) > 0
	case []any:
		for _, e := range x {
			clean(e)
		}
		return true
	case string:
		return true
	}
	return true
}
