package cluster

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Kind is one kind a cluster scan lists.
type Kind struct {
	GVK schema.GroupVersionKind
	// Resource is the plural resource name the API serves the kind under ("deployments").
	Resource   string
	Namespaced bool
	// Optional kinds come from CRDs of network plugins. They are listed only when the API
	// server serves them (discovery says so), and decoded as unstructured objects.
	Optional bool
}

// GVR is the kind's group, version and resource.
func (k Kind) GVR() schema.GroupVersionResource {
	return k.GVK.GroupVersion().WithResource(k.Resource)
}

// String names the resource as kubectl and RBAC messages do: "pods", "deployments.apps".
func (k Kind) String() string {
	if k.GVK.Group == "" {
		return k.Resource
	}
	return k.Resource + "." + k.GVK.Group
}

func builtin(group, version, kind, resource string, namespaced bool) Kind {
	return Kind{GVK: schema.GroupVersionKind{Group: group, Version: version, Kind: kind}, Resource: resource, Namespaced: namespaced}
}

// optionalCluster is an optional kind without a namespace.
func optionalCluster(group, version, kind, resource string) Kind {
	k := builtin(group, version, kind, resource, false)
	k.Optional = true
	return k
}

func optional(group, version, kind, resource string) Kind {
	k := builtin(group, version, kind, resource, true)
	k.Optional = true
	return k
}

// kinds is every kind Moat's rules read, in the order the inventory holds them. It is
// derived from the rules: the kinds their metadata names (TestKindsCoverRules checks
// that every such kind is here) and the kinds that cross-object checks look up in the
// inventory:
//   - pods and every pod controller (podspec.Kinds): the workload and PSS rules; Argo
//     Rollouts and OpenShift DeploymentConfigs where the API server serves them (their
//     pod templates are podspec.BuiltinTemplates);
//   - ServiceAccount (token automounting, the default service account), LimitRange
//     (default requests and limits), ConfigMap and Secret (credentials), Service and
//     Ingress (exposure), and the Gateway API's Gateway and HTTPRoute where the API
//     server serves them (exposure);
//   - Namespace and NetworkPolicy, and the NetworkPolicy kinds of Cilium and Calico
//     (namespaces without a policy);
//   - Role, ClusterRole, RoleBinding, ClusterRoleBinding (RBAC).
//
// deploy/rbac.yaml grants "list" on exactly these; TestRBACManifestMatchesKinds keeps
// the two together.
var kinds = []Kind{
	builtin("", "v1", "Namespace", "namespaces", false),
	builtin("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false),
	builtin("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false),
	builtin("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
	builtin("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true),
	builtin("", "v1", "ServiceAccount", "serviceaccounts", true),
	builtin("", "v1", "Secret", "secrets", true),
	builtin("", "v1", "ConfigMap", "configmaps", true),
	builtin("", "v1", "LimitRange", "limitranges", true),
	builtin("", "v1", "Service", "services", true),
	builtin("networking.k8s.io", "v1", "Ingress", "ingresses", true),
	optional("gateway.networking.k8s.io", "v1", "Gateway", "gateways"),
	optional("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
	builtin("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true),
	optional("cilium.io", "v2", "CiliumNetworkPolicy", "ciliumnetworkpolicies"),
	optionalCluster("cilium.io", "v2", "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies"),
	optional("projectcalico.org", "v3", "NetworkPolicy", "networkpolicies"),
	optional("crd.projectcalico.org", "v1", "NetworkPolicy", "networkpolicies"),
	optionalCluster("projectcalico.org", "v3", "GlobalNetworkPolicy", "globalnetworkpolicies"),
	optionalCluster("crd.projectcalico.org", "v1", "GlobalNetworkPolicy", "globalnetworkpolicies"),
	optionalCluster(adminGroup, "v1alpha1", "AdminNetworkPolicy", "adminnetworkpolicies"),
	optionalCluster(adminGroup, "v1alpha1", "BaselineAdminNetworkPolicy", "baselineadminnetworkpolicies"),
	optional("argoproj.io", "v1alpha1", "Rollout", "rollouts"),
	optional("apps.openshift.io", "v1", "DeploymentConfig", "deploymentconfigs"),
	builtin("apps", "v1", "Deployment", "deployments", true),
	builtin("apps", "v1", "ReplicaSet", "replicasets", true),
	builtin("apps", "v1", "StatefulSet", "statefulsets", true),
	builtin("apps", "v1", "DaemonSet", "daemonsets", true),
	builtin("batch", "v1", "CronJob", "cronjobs", true),
	builtin("batch", "v1", "Job", "jobs", true),
	builtin("", "v1", "ReplicationController", "replicationcontrollers", true),
	builtin("", "v1", "PodTemplate", "podtemplates", true),
	builtin("", "v1", "Pod", "pods", true),
}

// Kinds returns the kinds a cluster scan lists, in inventory order.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// adminGroup is the API group of AdminNetworkPolicy and BaselineAdminNetworkPolicy.
const adminGroup = "policy.networking.k8s.io"

// ReachabilityKinds are what a NetworkPolicy analysis reads besides the kinds of a
// scan, in loads of their own: pods (an ipBlock matches pods by IP, so reachability
// needs them even when their controller is read), and ReplicaSets, Jobs and
// ReplicationControllers (the owners that group pods: a DeploymentConfig's pods belong
// to it through a ReplicationController, which the scan leaves out). Each load holds
// only kinds whose controllers it does not list, so the loader keeps every object.
func ReachabilityKinds() [][]Kind {
	pick := func(names ...string) []Kind {
		var out []Kind
		for _, k := range kinds {
			for _, want := range names {
				if k.GVK.Kind == want && (k.GVK.Group == "" || k.GVK.Group == "apps" || k.GVK.Group == "batch") {
					out = append(out, k)
				}
			}
		}
		return out
	}
	return [][]Kind{pick("Pod"), pick("ReplicaSet", "Job", "ReplicationController")}
}
