// Package owners says which workload a pod belongs to: the controller a person names
// (Deployment reviews-v1), not the intermediate object the controller made for it
// (ReplicaSet reviews-v1-545db77b95), so that output about pods read from a cluster, or
// from `kubectl get pods -o yaml`, can show one row per workload instead of one per pod.
//
// The rule, for an object o (a pod, or a controller):
//   - o's group is its controlling ownerReference (controller: true), by kind and name;
//     ownerReferences that are not the controller (garbage-collection links) group nothing;
//   - when that controller is one of the intermediates ReplicaSet, ReplicationController
//     or Job, is in the inventory, and has a controlling owner itself, the group is that
//     owner instead: a ReplicaSet's Deployment (or Argo Rollout), a ReplicationController's
//     DeploymentConfig, a Job's CronJob. The owner need not be in the inventory: the
//     intermediate's reference names it;
//   - without a controller, o is its own group.
//
// It also lists the labels that controllers put on each pod to tell pods apart, which
// differ between pods of one workload and say nothing about the workload.
//
// The package only reads the inventory; it decides nothing about reachability.
package owners

import (
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/moat-dev/moat/internal/inventory"
)

// Ref names an owner by kind and name; its namespace is the object's.
type Ref struct {
	Kind, Name string
}

// String is "Kind/name".
func (r Ref) String() string { return r.Kind + "/" + r.Name }

// intermediates are the controllers whose own controller is the workload a person
// names: ReplicaSet (Deployment, Argo Rollout), ReplicationController (OpenShift
// DeploymentConfig), Job (CronJob).
var intermediates = map[string]bool{"ReplicaSet": true, "ReplicationController": true, "Job": true}

// Index finds owners in one inventory. Build it once: lookups are by map, where
// Inventory.Find walks every object of a kind.
type Index struct {
	byName map[key]*inventory.Object
}

type key struct{ kind, ns, name string }

// NewIndex indexes the intermediates of inv.
func NewIndex(inv *inventory.Inventory) *Index {
	ix := &Index{byName: map[key]*inventory.Object{}}
	for kind := range intermediates {
		for _, o := range inv.Kind(kind) {
			ix.byName[key{kind, o.EffectiveNamespace(), o.Name()}] = o
		}
	}
	return ix
}

// Of is the group of o, and the controllers between o and it (its ReplicaSet when the
// group is the Deployment), nearest first.
func (ix *Index) Of(o *inventory.Object) (group Ref, via []Ref) {
	ctrl := metav1.GetControllerOf(o.Meta)
	if ctrl == nil {
		return Ref{Kind: o.Kind(), Name: o.Name()}, nil
	}
	group = Ref{Kind: ctrl.Kind, Name: ctrl.Name}
	if !intermediates[ctrl.Kind] {
		return group, nil
	}
	mid := ix.byName[key{ctrl.Kind, o.EffectiveNamespace(), ctrl.Name}]
	if mid == nil || (ctrl.UID != "" && mid.Meta.GetUID() != "" && mid.Meta.GetUID() != ctrl.UID) {
		return group, nil // not read, or a namesake that replaced it
	}
	top := metav1.GetControllerOf(mid.Meta)
	if top == nil {
		return group, nil
	}
	return Ref{Kind: top.Kind, Name: top.Name}, []Ref{group}
}

// PerPodLabels are the labels controllers set on each pod, with why they say nothing
// about the workload. Pods of one workload that differ only in these have one template.
var PerPodLabels = []struct{ Key, Why string }{
	{"pod-template-hash", "the Deployment's ReplicaSet of the pod: it changes at every rollout"},
	{"controller-revision-hash", "the StatefulSet's or DaemonSet's revision of the pod: it changes at every rollout"},
	{"pod-template-generation", "the DaemonSet's generation of the pod (legacy): it changes at every rollout"},
	{"statefulset.kubernetes.io/pod-name", "the StatefulSet pod's own name: one value per pod"},
	{"apps.kubernetes.io/pod-index", "the StatefulSet pod's ordinal: one value per pod"},
	{"batch.kubernetes.io/controller-uid", "the uid of the pod's Job: one value per run of a CronJob"},
	{"batch.kubernetes.io/job-name", "the name of the pod's Job: one value per run of a CronJob"},
	{"controller-uid", "the legacy form of batch.kubernetes.io/controller-uid"},
	{"job-name", "the legacy form of batch.kubernetes.io/job-name"},
	{"batch.kubernetes.io/job-completion-index", "the pod's index in an Indexed Job: one value per pod"},
	{"rollouts-pod-template-hash", "the Argo Rollout's ReplicaSet of the pod: it changes at every rollout"},
	{"deployment", "the OpenShift DeploymentConfig's ReplicationController of the pod (with deploymentconfig set)"},
}

var perPod = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range PerPodLabels {
		m[l.Key] = true
	}
	return m
}()

// IsPerPod reports a label key in PerPodLabels.
func IsPerPod(key string) bool { return perPod[key] }

// TemplateLabels are labels without the per-pod ones: what a workload's template says.
// The "deployment" label is per pod only beside "deploymentconfig" (OpenShift); alone it
// is a label like any other.
func TemplateLabels(l map[string]string) map[string]string {
	out := maps.Clone(l)
	for k := range out {
		if perPod[k] && (k != "deployment" || out["deploymentconfig"] != "") {
			delete(out, k)
		}
	}
	return out
}
