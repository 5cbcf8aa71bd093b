// Rule rbac/create-workloads: a binding that lets its subjects create pods or any pod
// controller (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
// ReplicationController), or change a controller's pod template, in a namespace where
// another service account holds permissions is reported: a pod may run as any service
// account of its namespace, so its creator gets that account's permissions. Creating
// workloads where no other service account is bound is what deployers are for and is
// left to rbac/create-pods, which reports the roles that allow it. A ClusterRoleBinding
// whose subjects are cluster-admin already (rbac/cluster-admin-equivalent) gains
// nothing and is not reported; any other binding is judged by what its role allows,
// wildcards included.
package rbac

import (
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rule"
)

var (
	// createPods: creating pods, or a controller that creates them from its template.
	createPods = append(append(asks("", []string{"create"}, "pods", "replicationcontrollers"),
		asks("apps", []string{"create"}, "deployments", "replicasets", "statefulsets", "daemonsets")...),
		asks("batch", []string{"create"}, "jobs", "cronjobs")...)
	// changePodTemplates: changing the pod template of an existing controller, which
	// then creates pods from it. A Job's template cannot change; a Pod's service account
	// and volumes cannot either.
	changePodTemplates = append(append(asks("", changeVerbs, "replicationcontrollers"),
		asks("apps", changeVerbs, "deployments", "replicasets", "statefulsets", "daemonsets")...),
		asks("batch", changeVerbs, "cronjobs")...)
)

// CreateWorkloads is running pods of one's choosing: creating pods or pod controllers,
// or changing a controller's pod template.
var CreateWorkloads = Primitive{
	Asks: append(createPods, changePodTemplates...),
	Clauses: []Clause{
		{If: createPods, Text: "run pods as any service account of their namespace, with its permissions, and mount any Secret of that namespace"},
		{If: changePodTemplates, Unless: createPods,
			Text: "rewrite the pod template of existing controllers to run pods as any service account of their namespace, with its permissions, and mount any Secret of that namespace"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/create-workloads",
			Title:    "Binding lets its subjects run pods as a more privileged service account",
			Severity: finding.High,
			Description: `A RoleBinding or ClusterRoleBinding grants create on pods or on a pod controller
(deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs,
replicationcontrollers), or update or patch on a controller whose pod template can change
(all of them but jobs), in a namespace where another service account is bound to a role.
A pod may name any service account of its namespace, so whoever can create one holds
that account's permissions: an escalation path. Creating workloads in a namespace whose
other service accounts hold nothing is a deployer's normal job and is not reported here
(rbac/create-pods reports the roles that allow it). ClusterRoleBindings whose subjects
already hold everything (see rbac/cluster-admin-equivalent) are not reported, as no
service account holds more. CIS Kubernetes Benchmark 5.1.4 (minimize access to create
pods); Kubernetes docs, RBAC good practices (workload creation). Bindings of the
kube-apiserver bootstrap policy are not reported.`,
			Remediation: "Move the privileged service accounts to a namespace of their own, or limit the pods of this namespace to their own service account with an admission policy; grant workload creation only to the deployment pipeline.",
			Frameworks:  finding.Frameworks{CIS: "5.1.4", NSA: "authentication-authorization", MITRE: "T1610"},
			Kinds:       []string{"RoleBinding", "ClusterRoleBinding"},
		},
		Inventory: checkCreateWorkloads,
	})
}

// boundServiceAccounts maps namespace → service account → the roles bound to it.
func boundServiceAccounts(p *authz.Policy) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	for _, b := range p.Bindings() {
		if b.Role() == nil || len(b.Rules()) == 0 {
			continue
		}
		for _, s := range b.Subjects {
			if s.Kind != rbacv1.ServiceAccountKind {
				continue
			}
			ns := s.Namespace
			if ns == "" {
				ns = b.Namespace
			}
			if ns == "" {
				continue
			}
			if out[ns] == nil {
				out[ns] = map[string][]string{}
			}
			out[ns][s.Name] = append(out[ns][s.Name], b.RoleRefString())
		}
	}
	return out
}

func checkCreateWorkloads(c *rule.Context) []rule.Result {
	p := scanPolicy(c)
	bound := boundServiceAccounts(p)
	var out []rule.Result
	for _, b := range p.Bindings() {
		o := SourceObject(b.Source)
		if o == nil || IsBootstrap(o) || len(b.Subjects) == 0 {
			continue
		}
		if b.Namespace == "" && len(AdminEquivalence(b.RoleRef.Name, b.Rules())) > 0 {
			continue // no service account holds more than its subjects already do
		}
		g, ok := CreateWorkloads.Grant(b.Rules(), false)
		if !ok {
			continue
		}
		self := map[string]bool{}
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind {
				ns := s.Namespace
				if ns == "" {
					ns = b.Namespace
				}
				self[ns+"/"+s.Name] = true
			}
		}
		namespaces := []string{b.Namespace}
		if b.Namespace == "" {
			namespaces = namespaces[:0]
			for ns := range bound {
				namespaces = append(namespaces, ns)
			}
			sort.Strings(namespaces)
		}
		var targets []string
		for _, ns := range namespaces {
			var names []string
			for name := range bound[ns] {
				if !self[ns+"/"+name] {
					names = append(names, name)
				}
			}
			sort.Strings(names)
			for _, name := range names {
				targets = append(targets, fmt.Sprintf("%s/%s (%s)", ns, name, strings.Join(bound[ns][name], ", ")))
			}
		}
		if len(targets) == 0 {
			continue
		}
		more := ""
		if len(targets) > 3 {
			more = fmt.Sprintf(" and %d more", len(targets)-3)
			targets = targets[:3]
		}
		out = append(out, rule.Result{
			Object:  o,
			Path:    "roleRef.name",
			Message: fmt.Sprintf("binds %s, which allows %s, to %s: they can run a pod as ServiceAccount %s%s and use its permissions", b.RoleRefString(), g.Allows, describeSubjects(b), strings.Join(targets, ", "), more),
		})
	}
	return out
}
