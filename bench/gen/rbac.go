package main

import (
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

var (
	readVerbs  = []string{"get", "list", "watch"}
	writeVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete"}
)

func rbacType(kind string) metav1.TypeMeta { return typeMeta("rbac.authorization.k8s.io/v1", kind) }

func (g *generator) role(ns, name string, rules []rbacv1.PolicyRule) {
	g.emit(&rbacv1.Role{TypeMeta: rbacType("Role"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rules})
}

func (g *generator) roleBinding(ns, name, roleKind, role string, subjects ...rbacv1.Subject) {
	g.emit(&rbacv1.RoleBinding{TypeMeta: rbacType("RoleBinding"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: role}, Subjects: subjects})
}

func (g *generator) clusterRole(name string, rules []rbacv1.PolicyRule) {
	g.emit(&rbacv1.ClusterRole{TypeMeta: rbacType("ClusterRole"), ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules})
}

func (g *generator) clusterRoleBinding(name, role string, subjects ...rbacv1.Subject) {
	g.emit(&rbacv1.ClusterRoleBinding{TypeMeta: rbacType("ClusterRoleBinding"), ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subjects})
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func serviceAccount(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

// namespaceRBAC writes a team's access to its namespace: a developer role, a CI
// deployer, and the over-broad grants careless teams make.
func (g *generator) namespaceRBAC(ns, team string, p posture) {
	if g.chance(0.7) {
		rules := []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "services", "configmaps", "events"}, Verbs: readVerbs},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "replicasets"}, Verbs: readVerbs},
		}
		if p == sloppy {
			switch r := g.rnd.Float64(); {
			case r < 0.25:
				rules = []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}
			case r < 0.45:
				rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/portforward"}, Verbs: []string{"create", "get"}})
			case r < 0.60:
				rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}})
			}
		}
		g.role(ns, team+"-developer", rules)
		g.roleBinding(ns, team+"-developers", "Role", team+"-developer", group(team+"-developers"))
	}
	if g.chance(0.4) {
		role := "view"
		if p == sloppy {
			role = pick(g, []string{"edit", "admin"})
		}
		g.roleBinding(ns, team+"-"+role, "ClusterRole", role, group(team+"-oncall"))
	}
	if g.chance(0.5) {
		sa := &corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"), ObjectMeta: metav1.ObjectMeta{Name: "ci-deployer", Namespace: ns}}
		if p != sloppy {
			sa.AutomountServiceAccountToken = ptr.To(false)
		}
		g.emit(sa)
		if p == sloppy && g.chance(0.2) {
			g.clusterRoleBinding(ns+"-ci-deployer", "cluster-admin", serviceAccount(ns, "ci-deployer"))
		} else {
			g.roleBinding(ns, "ci-deployer", "ClusterRole", "edit", serviceAccount(ns, "ci-deployer"))
		}
		if p == sloppy && g.chance(0.4) {
			g.emit(&corev1.Secret{TypeMeta: typeMeta("v1", "Secret"),
				ObjectMeta: metav1.ObjectMeta{Name: "ci-deployer-token", Namespace: ns, Annotations: map[string]string{corev1.ServiceAccountNameKey: "ci-deployer"}},
				Type:       corev1.SecretTypeServiceAccountToken,
				Data:       map[string][]byte{"token": []byte("eyJhbGciOiJSUzI1NiIsImtpZCI6I" + g.token(alnum, 600)), "namespace": []byte(ns)}})
		}
	}
	if p == sloppy && g.chance(0.08) {
		g.roleBinding(ns, "default-edit", "ClusterRole", "edit", serviceAccount(ns, "default"))
	}
}

// operatorRBAC writes an operator a team installed: its ServiceAccount, a
// ClusterRole (sometimes far too broad) and the binding.
func (g *generator) operatorRBAC(ns string) {
	name := ns + "-operator"
	g.emit(&corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"), ObjectMeta: metav1.ObjectMeta{Name: "operator", Namespace: ns}})
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "services", "configmaps", "events"}, Verbs: writeVerbs},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: writeVerbs},
		{APIGroups: []string{"example.com"}, Resources: []string{"*"}, Verbs: []string{"*"}},
	}
	switch r := g.rnd.Float64(); {
	case r < 0.2:
		rules = []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}
	case r < 0.5:
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: writeVerbs})
	}
	g.clusterRole(name, rules)
	g.clusterRoleBinding(name, name, serviceAccount(ns, "operator"))
}

// networkPolicies isolates a namespace as well as its team's care allows: careful
// teams deny by default and allow each flow; others write a few policies or none.
func (g *generator) networkPolicies(ns string, p posture, apps []map[string]string, ports []int32) {
	np := func(name string, spec netv1.NetworkPolicySpec) {
		g.emit(&netv1.NetworkPolicy{TypeMeta: typeMeta("networking.k8s.io/v1", "NetworkPolicy"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec})
	}
	tcp := ptr.To(corev1.ProtocolTCP)
	udp := ptr.To(corev1.ProtocolUDP)
	switch {
	case p == hardened && g.chance(0.9):
		np("default-deny-all", netv1.NetworkPolicySpec{PolicyTypes: []netv1.PolicyType{netv1.PolicyTypeIngress, netv1.PolicyTypeEgress}})
		dns := intstr.FromInt32(53)
		np("allow-dns", netv1.NetworkPolicySpec{PolicyTypes: []netv1.PolicyType{netv1.PolicyTypeEgress}, Egress: []netv1.NetworkPolicyEgressRule{{
			To: []netv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
				PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
			}},
			Ports: []netv1.NetworkPolicyPort{{Protocol: udp, Port: &dns}, {Protocol: tcp, Port: &dns}},
		}}})
		for i, lbl := range apps {
			port := intstr.FromInt32(ports[i])
			np("allow-"+appName(lbl), netv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: lbl},
				PolicyTypes: []netv1.PolicyType{netv1.PolicyTypeIngress},
				Ingress: []netv1.NetworkPolicyIngressRule{{
					From: []netv1.NetworkPolicyPeer{
						{PodSelector: &metav1.LabelSelector{}},
						{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}}},
					},
					Ports: []netv1.NetworkPolicyPort{{Protocol: tcp, Port: &port}},
				}},
			})
		}
	case p == partial && g.chance(0.4):
		for i, lbl := range apps {
			if g.chance(0.5) {
				continue
			}
			port := intstr.FromInt32(ports[i])
			np(appName(lbl), netv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: lbl},
				PolicyTypes: []netv1.PolicyType{netv1.PolicyTypeIngress},
				Ingress:     []netv1.NetworkPolicyIngressRule{{From: []netv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}, Ports: []netv1.NetworkPolicyPort{{Protocol: tcp, Port: &port}}}},
			})
		}
	case p == sloppy && g.chance(0.1):
		// "The policy that fixed it": an allow-all that isolates nothing.
		np("allow-all", netv1.NetworkPolicySpec{PolicyTypes: []netv1.PolicyType{netv1.PolicyTypeIngress}, Ingress: []netv1.NetworkPolicyIngressRule{{}}})
	}
}

func appName(lbl map[string]string) string {
	if n := lbl["app.kubernetes.io/name"]; n != "" {
		return n
	}
	return lbl["app"]
}
