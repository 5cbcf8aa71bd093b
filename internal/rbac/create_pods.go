// Rule rbac/create-pods: a Role or ClusterRole rule that allows creating pods or a pod
// controller (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
// ReplicationController), or changing a controller's pod template (update or patch; a
// Job's template cannot change), is reported: whoever holds it runs pods of their
// choosing, as any service account of the namespace and with any of its Secrets
// mounted, the primitive behind most RBAC escalations. "*" in verbs, apiGroups or
// resources allows it like the names it stands for. rbac/create-workloads reports the
// bindings through which it reaches a service account holding more.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/create-pods",
			Title:    "Role can create pods or pod controllers",
			Severity: finding.Medium,
			Description: `A Role or ClusterRole rule allows create on pods or on a pod controller (deployments,
replicasets, statefulsets and daemonsets of apps, jobs and cronjobs of batch,
replicationcontrollers), or update or patch on a controller whose pod template can change
(all of them but jobs). A pod may run as any service account of its namespace and mount
any of its Secrets, ConfigMaps and volume claims, so whoever can create one, directly or
through a controller, holds what those accounts and Secrets hold; with a lax Pod
Security level, the node too. It is the primitive behind most RBAC escalations, and
deployers need it: the finding asks that it be given deliberately. rbac/create-workloads
reports, at high severity, the bindings through which it reaches a service account
holding more. CIS Kubernetes Benchmark 5.1.4 (minimize access to create pods);
Kubernetes docs, RBAC good practices (workload creation).
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Grant workload creation only to the deployment pipeline or GitOps controller, in the namespaces it deploys to; keep privileged service accounts out of those namespaces and enforce Pod Security restricted there.",
			Frameworks:  finding.Frameworks{CIS: "5.1.4", NSA: "authentication-authorization", MITRE: "T1610"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(CreateWorkloads),
		CEL:    roleCEL(CreateWorkloads),
	})
}
