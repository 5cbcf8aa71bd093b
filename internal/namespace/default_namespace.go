// Rule namespace/default-namespace-used: workloads and their configuration should not
// live in the default namespace (CIS Kubernetes Benchmark 5.6.4). Reported are pod
// controllers and Pods, Services, ConfigMaps, Secrets, ServiceAccounts, Ingresses,
// Roles and RoleBindings whose metadata.namespace is "default", except what Kubernetes
// itself keeps there (the kubernetes Service, the default ServiceAccount and its legacy
// token Secret, the kube-root-ca.crt ConfigMap) and objects a controller owns (their
// owner is reported).
//
// An object written without a namespace is not reported: kubectl apply -n, kustomize's
// namespace field, helm install --namespace or a GitOps destination chooses it, and
// reporting every such manifest would report nearly every chart and base. Objects a
// Helm chart renders are not reported either: their namespace is the release
// namespace, which is "default" only because no --namespace was given to the render.
// A live cluster scan and admission see the real namespace, so there the rule is exact.
package namespace

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// defaultNSKinds are the kinds the rule reports, by API group.
var defaultNSKinds = func() map[schema.GroupKind]bool {
	m := map[schema.GroupKind]bool{}
	for _, gk := range []schema.GroupKind{
		{Kind: "Pod"}, {Kind: "ReplicationController"}, {Kind: "PodTemplate"}, {Kind: "Service"}, {Kind: "ConfigMap"},
		{Kind: "Secret"}, {Kind: "ServiceAccount"},
		{Group: "apps", Kind: "Deployment"}, {Group: "apps", Kind: "ReplicaSet"}, {Group: "apps", Kind: "StatefulSet"},
		{Group: "apps", Kind: "DaemonSet"}, {Group: "batch", Kind: "Job"}, {Group: "batch", Kind: "CronJob"},
		{Group: "networking.k8s.io", Kind: "Ingress"}, {Group: "extensions", Kind: "Ingress"},
		{Group: "rbac.authorization.k8s.io", Kind: "Role"}, {Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
		// The pod controllers of podspec.Kinds that are CRDs.
		{Group: "argoproj.io", Kind: "Rollout"}, {Group: "apps.openshift.io", Kind: "DeploymentConfig"},
	} {
		m[gk] = true
	}
	return m
}()

func init() {
	kinds := append(append([]string(nil), podspec.Kinds...), "Service", "ConfigMap", "Secret", "ServiceAccount", "Ingress", "Role", "RoleBinding")
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "namespace/default-namespace-used",
			Title:    "Object is in the default namespace",
			Severity: finding.Low,
			Description: `A workload, Service, ConfigMap, Secret, ServiceAccount, Ingress, Role or RoleBinding is
in the default namespace. Everything applied without a namespace lands there, so it
mixes unrelated applications, and grants, quotas, NetworkPolicies and Pod Security
labels made for one apply to all; it seldom has any of them. CIS Kubernetes Benchmark
5.6.4 (the default namespace should not be used); NSA/CISA Kubernetes Hardening Guide,
network separation (namespaces); Kubescape C-0061 and C-0212, kube-linter
use-namespace, Checkov CKV_K8S_21. Objects Kubernetes keeps there (the kubernetes
Service, the default ServiceAccount, the kube-root-ca.crt ConfigMap) and objects a
controller owns are not reported. A manifest written without a namespace, or rendered
from a Helm chart, is not reported: the tool that applies it chooses the namespace; a
live scan and admission see where it really is.`,
			Remediation: "Create a namespace per application or team, with its Pod Security labels, NetworkPolicies and quotas, and move the objects there (metadata.namespace, kustomize namespace:, or helm --namespace).",
			Frameworks:  finding.Frameworks{CIS: "5.6.4", NSA: nsaNamespaces},
			Kinds:       kinds,
		},
		Object: checkDefaultNamespace,
		CEL: &rule.CEL{
			Resources: []rule.APIResources{
				{Version: "v1", Resources: []string{"pods", "replicationcontrollers", "podtemplates", "services", "configmaps", "secrets", "serviceaccounts"}},
				{Group: "apps", Version: "v1", Resources: []string{"deployments", "replicasets", "statefulsets", "daemonsets"}},
				{Group: "batch", Version: "v1", Resources: []string{"jobs", "cronjobs"}},
				{Group: "networking.k8s.io", Version: "v1", Resources: []string{"ingresses"}},
				{Group: "rbac.authorization.k8s.io", Version: "v1", Resources: []string{"roles", "rolebindings"}},
			},
			Expression: "object.metadata.?namespace.orValue('') != 'default' || " +
				"object.metadata.?ownerReferences.orValue([]).exists(r, r.?controller.orValue(false)) || " +
				"(object.kind == 'Service' && object.metadata.?name.orValue('') == 'kubernetes') || " +
				"(object.kind == 'ServiceAccount' && object.metadata.?name.orValue('') == 'default') || " +
				"(object.kind == 'ConfigMap' && object.metadata.?name.orValue('') == 'kube-root-ca.crt') || " +
				"(object.kind == 'Secret' && object.metadata.?annotations[?'kubernetes.io/service-account.name'].orValue('') == 'default')",
			Message: "object.kind + ' \"' + object.metadata.?name.orValue('') + '\" is in the default namespace: give it a namespace of its own (CIS 5.6.4)'",
		},
	})
}

func checkDefaultNamespace(_ *rule.Context, o *inventory.Object) []rule.Result {
	if !defaultNSKinds[o.GVK.GroupKind()] || o.Namespace() != "default" {
		return nil
	}
	if o.Source != nil && strings.HasPrefix(o.Source.Origin, "helm:") {
		return nil // the release namespace, chosen at install time
	}
	for _, r := range o.Meta.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller {
			return nil // its controller is reported
		}
	}
	if keptByKubernetes(o) {
		return nil
	}
	return []rule.Result{{
		Message: fmt.Sprintf("%s %q is in the default namespace, which everything applied without a namespace shares: give it a namespace of its own", o.Kind(), o.Name()),
		Path:    "metadata.namespace",
	}}
}

// keptByKubernetes reports the objects Kubernetes itself creates in every cluster's
// default namespace.
func keptByKubernetes(o *inventory.Object) bool {
	switch o.Kind() {
	case "Service":
		return o.Name() == "kubernetes"
	case "ServiceAccount":
		return o.Name() == "default"
	case "ConfigMap":
		return o.Name() == "kube-root-ca.crt"
	case "Secret":
		// A legacy token Secret of the default ServiceAccount (clusters before 1.24).
		return o.Meta.GetAnnotations()["kubernetes.io/service-account.name"] == "default"
	}
	return false
}
