// Rule rbac/create-persistentvolumes: a ClusterRole rule that allows create on
// persistentvolumes is reported: a hostPath PersistentVolume mounts any directory of a
// node into a pod, outside Pod Security's checks on pod volumes.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// CreatePersistentVolumes is creating PersistentVolumes.
var CreatePersistentVolumes = Primitive{
	Asks:        asks("", []string{"create"}, "persistentvolumes"),
	Consequence: "create a hostPath PersistentVolume, which exposes a node's filesystem to the pods that claim it, outside Pod Security's checks of pod volumes",
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/create-persistentvolumes",
			Title:    "Role can create PersistentVolumes (hostPath)",
			Severity: finding.High,
			Description: `A Role or ClusterRole rule allows create on persistentvolumes. A PersistentVolume of
type hostPath exposes any directory of the node (/, /var/lib/kubelet, /etc/kubernetes)
to the pod that claims it, and Pod Security checks hostPath volumes of pods, not of
PersistentVolumes. Kubernetes docs, RBAC good practices (persistent volume creation);
CIS Kubernetes Benchmark 5.1.9 (minimize access to create persistent volumes).
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Provision volumes through StorageClasses and a CSI driver; grant create on persistentvolumes to administrators and provisioners only.",
			Frameworks:  finding.Frameworks{CIS: "5.1.9", NSA: "authentication-authorization", MITRE: "T1611"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(CreatePersistentVolumes),
		CEL:    roleCEL(CreatePersistentVolumes),
	})
}
