package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// denseShare is the dense mix: objects of each kind per namespace of about 100
// objects, as measured on a real cluster before hardening (issue 14: of 10,000
// objects about 3,000 Deployments, 1,800 Services, 1,200 ConfigMaps, 600 each of
// Roles, RoleBindings and ServiceAccounts, 560 StatefulSets, 480 NetworkPolicies,
// 390 CronJobs, 370 Secrets, 285 Ingresses and 100 Namespaces). Fractions are spread
// over namespaces, so 10,000 objects hold these counts to within one.
var denseShare = []struct {
	kind  string
	share float64
}{
	{"Deployment", 30}, {"Service", 18}, {"ConfigMap", 12}, {"ServiceAccount", 6}, {"Role", 6},
	{"RoleBinding", 6}, {"StatefulSet", 5.6}, {"NetworkPolicy", 4.8}, {"CronJob", 3.9},
	{"Secret", 3.7}, {"Ingress", 2.85},
}

// runDense writes the dense mix: namespaces of about 100 objects where almost every
// workload is unhardened, so that a scan finds about ten problems per object. Every
// namespace has a few NetworkPolicies that isolate some workloads and leave database
// ports open to other namespaces, which is what makes cross-object rules work hard.
func (g *generator) runDense() {
	for i := 0; g.more(); i++ {
		g.denseNamespace(i)
	}
}

// quota is how many objects of a kind namespace i gets: the share's running total,
// rounded down, minus that of the namespaces before it.
func quota(share float64, i int) int {
	return int(share*float64(i+1)) - int(share*float64(i))
}

func (g *generator) denseNamespace(i int) {
	team := teams[i%len(teams)]
	ns := fmt.Sprintf("%s-%d", team, i)
	g.namespace(ns, map[string]string{"team": team})
	n := map[string]int{}
	for _, s := range denseShare {
		n[s.kind] = quota(s.share, i)
	}
	var apps []map[string]string
	var ports []int32
	workload := func(k int, stateful bool) {
		var fam family
		if stateful {
			fam = thirdParty[[]int{1, 2, 3, 5, 6, 9}[k%6]]
		} else if k%4 == 0 {
			fam = thirdParty[[]int{0, 4, 7, 8}[k/4%4]]
		} else {
			fam = g.customFamily(team, appNames[k%len(appNames)])
		}
		app := fmt.Sprintf("%s-%d", appNames[k%len(appNames)], k)
		labels := map[string]string{"app": app}
		in := podInputs{ns: ns, team: team, app: app, labels: labels, fam: fam, posture: sloppy}
		meta := metav1.ObjectMeta{Name: app, Namespace: ns, Labels: labels}
		sel := &metav1.LabelSelector{MatchLabels: labels}
		if stateful {
			in.claim = "data"
			g.emit(&appsv1.StatefulSet{TypeMeta: typeMeta("apps/v1", "StatefulSet"), ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{
				Replicas: ptr.To(int32(3)), Selector: sel, ServiceName: app, Template: g.podTemplate(in),
			}})
		} else {
			g.emit(&appsv1.Deployment{TypeMeta: typeMeta("apps/v1", "Deployment"), ObjectMeta: meta, Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To(int32(2)), Selector: sel, Template: g.podTemplate(in),
			}})
		}
		apps = append(apps, labels)
		ports = append(ports, fam.port)
	}
	for k := range n["StatefulSet"] {
		workload(k, true)
	}
	for k := range n["Deployment"] {
		workload(n["StatefulSet"]+k, false)
	}
	for k := range n["Service"] {
		if k >= len(apps) {
			break
		}
		svc := &corev1.Service{TypeMeta: typeMeta("v1", "Service"), ObjectMeta: metav1.ObjectMeta{Name: appName(apps[k]), Namespace: ns},
			Spec: corev1.ServiceSpec{Selector: apps[k], Ports: []corev1.ServicePort{{Port: ports[k], TargetPort: intstr.FromInt32(ports[k])}}}}
		switch k % 12 {
		case 5:
			svc.Spec.Type = corev1.ServiceTypeLoadBalancer
		case 9:
			svc.Spec.Type = corev1.ServiceTypeNodePort
		}
		g.emit(svc)
	}
	for k := range n["Ingress"] {
		g.ingress(ns, appName(apps[k]), "http", apps[k], sloppy)
	}
	for k := range n["ConfigMap"] {
		app := appName(apps[k%len(apps)])
		g.emit(&corev1.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-config-%d", app, k), Namespace: ns},
			Data: g.configData(ns, app, sloppy)})
	}
	for k := range n["Secret"] {
		g.emit(&corev1.Secret{TypeMeta: typeMeta("v1", "Secret"), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-credentials", appName(apps[k%len(apps)])), Namespace: ns},
			Type: corev1.SecretTypeOpaque, Data: g.secretData()})
	}
	for k := range n["CronJob"] {
		app := appName(apps[k%len(apps)])
		g.cronJob(podInputs{ns: ns, team: team, app: app, labels: apps[k%len(apps)], fam: g.customFamily(team, app), posture: sloppy})
	}
	for k := range n["ServiceAccount"] {
		g.emit(&corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"), ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sa-%d", k), Namespace: ns}})
	}
	broad := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"*"}},
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/exec"}, Verbs: []string{"create", "get"}},
	}
	for k := range n["Role"] {
		g.role(ns, fmt.Sprintf("role-%d", k), broad[:1+k%len(broad)])
	}
	for k := range n["RoleBinding"] {
		g.roleBinding(ns, fmt.Sprintf("binding-%d", k), "Role", fmt.Sprintf("role-%d", k%max(1, n["Role"])), serviceAccount(ns, fmt.Sprintf("sa-%d", k)))
	}
	g.denseNetworkPolicies(ns, n["NetworkPolicy"], apps, ports)
}

// denseNetworkPolicies isolate the first workloads of a namespace for ingress and let
// every namespace in on their port: open database ports across namespaces.
func (g *generator) denseNetworkPolicies(ns string, count int, apps []map[string]string, ports []int32) {
	for k := range min(count, len(apps)) {
		port := intstr.FromInt32(ports[k])
		g.emit(&netv1.NetworkPolicy{TypeMeta: typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
			ObjectMeta: metav1.ObjectMeta{Name: "allow-" + appName(apps[k]), Namespace: ns},
			Spec: netv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: apps[k]},
				PolicyTypes: []netv1.PolicyType{netv1.PolicyTypeIngress},
				Ingress: []netv1.NetworkPolicyIngressRule{{
					From:  []netv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
					Ports: []netv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: &port}},
				}},
			}})
	}
}
