package main

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// component is a cluster add-on as its vendor ships it: node agents that need the
// host, controllers with cluster-wide RBAC.
type component struct {
	ns, name, kind, image string
	replicas              int32
	port                  int32
	portName              string
	privileged            bool
	hostNetwork, hostPID  bool
	hostPaths             []string
	runAsUser             *int64
	addCaps               []corev1.Capability
	hardened              bool
	env                   []corev1.EnvVar
	rules                 []rbacv1.PolicyRule
	service               corev1.ServiceType
}

var watchAll = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"nodes", "pods", "services", "endpoints", "namespaces"}, Verbs: readVerbs},
}

// builtinClusterRoles are the default roles of every cluster (rules abridged).
func (g *generator) builtinClusterRoles() {
	g.clusterRole("cluster-admin", []rbacv1.PolicyRule{
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
		{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
	})
	g.clusterRole("admin", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/exec", "pods/attach", "pods/portforward", "secrets", "services", "configmaps", "serviceaccounts", "persistentvolumeclaims"}, Verbs: writeVerbs},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets", "replicasets"}, Verbs: writeVerbs},
		{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "rolebindings"}, Verbs: writeVerbs},
	})
	g.clusterRole("edit", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/exec", "pods/attach", "pods/portforward", "secrets", "services", "configmaps", "serviceaccounts", "persistentvolumeclaims"}, Verbs: writeVerbs},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets", "replicasets"}, Verbs: writeVerbs},
		{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: writeVerbs},
	})
	g.clusterRole("view", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "services", "configmaps", "serviceaccounts", "persistentvolumeclaims", "events"}, Verbs: readVerbs},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets", "replicasets"}, Verbs: readVerbs},
	})
	g.clusterRoleBinding("cluster-admin", "cluster-admin", group("system:masters"))
}

func (g *generator) component(c component) {
	labels := map[string]string{"app.kubernetes.io/name": c.name}
	if c.ns == "kube-system" {
		labels = map[string]string{"k8s-app": c.name}
	}
	meta := metav1.ObjectMeta{Name: c.name, Namespace: c.ns, Labels: labels}
	g.emit(&corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"), ObjectMeta: meta})
	if len(c.rules) > 0 {
		g.clusterRole(c.ns+":"+c.name, c.rules)
		g.clusterRoleBinding(c.ns+":"+c.name, c.ns+":"+c.name, serviceAccount(c.ns, c.name))
	}
	ctr := corev1.Container{
		Name: c.name, Image: c.image, Env: c.env,
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("100m"), corev1.ResourceMemory: quantity("128Mi")}},
	}
	if c.port != 0 {
		ctr.Ports = []corev1.ContainerPort{{Name: c.portName, ContainerPort: c.port, Protocol: corev1.ProtocolTCP}}
		ctr.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString(c.portName)}}, PeriodSeconds: 10}
	}
	sc := &corev1.SecurityContext{}
	if c.privileged {
		sc.Privileged = ptr.To(true)
	}
	if c.runAsUser != nil {
		sc.RunAsUser = c.runAsUser
	}
	if len(c.addCaps) > 0 {
		sc.Capabilities = &corev1.Capabilities{Add: c.addCaps, Drop: []corev1.Capability{"ALL"}}
	}
	if c.hardened {
		ctr.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: quantity("256Mi")}
		sc.RunAsNonRoot, sc.AllowPrivilegeEscalation, sc.ReadOnlyRootFilesystem = ptr.To(true), ptr.To(false), ptr.To(true)
		if sc.Capabilities == nil {
			sc.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}
		}
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	ctr.SecurityContext = sc
	spec := corev1.PodSpec{ServiceAccountName: c.name, HostNetwork: c.hostNetwork, HostPID: c.hostPID, PriorityClassName: "system-node-critical"}
	if c.kind != "DaemonSet" {
		spec.PriorityClassName = "system-cluster-critical"
	}
	for i, p := range c.hostPaths {
		name := "host-" + strings.Trim(strings.NewReplacer("/", "-", ".", "-").Replace(p), "-")
		if name == "host-" {
			name = "host-root"
		}
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: p}}})
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: "/host" + strings.TrimSuffix(p, "/"), ReadOnly: i > 0})
	}
	spec.Containers = []corev1.Container{ctr}
	if c.kind == "DaemonSet" {
		spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
	sel := &metav1.LabelSelector{MatchLabels: labels}
	switch c.kind {
	case "DaemonSet":
		g.emit(&appsv1.DaemonSet{TypeMeta: typeMeta("apps/v1", "DaemonSet"), ObjectMeta: meta, Spec: appsv1.DaemonSetSpec{Selector: sel, Template: tmpl}})
	case "StatefulSet":
		g.emit(&appsv1.StatefulSet{TypeMeta: typeMeta("apps/v1", "StatefulSet"), ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To(c.replicas), Selector: sel, ServiceName: c.name, Template: tmpl}})
	default:
		g.emit(&appsv1.Deployment{TypeMeta: typeMeta("apps/v1", "Deployment"), ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: ptr.To(c.replicas), Selector: sel, Template: tmpl}})
	}
	if c.port != 0 && c.kind != "DaemonSet" {
		svc := &corev1.Service{TypeMeta: typeMeta("v1", "Service"), ObjectMeta: meta, Spec: corev1.ServiceSpec{Type: c.service, Selector: labels,
			Ports: []corev1.ServicePort{{Name: c.portName, Port: c.port, TargetPort: intstr.FromString(c.portName), Protocol: corev1.ProtocolTCP}}}}
		if c.kind == "StatefulSet" {
			svc.Spec.Type, svc.Spec.ClusterIP = "", corev1.ClusterIPNone
		}
		g.emit(svc)
	}
}

// systemNamespaces writes the add-ons of a managed cluster: DNS, kube-proxy, a CNI,
// a CSI driver, monitoring, logging, an ingress controller and cert-manager.
func (g *generator) systemNamespaces() {
	root := ptr.To(int64(0))
	g.builtinClusterRoles()
	for _, ns := range []string{"kube-system", "kube-public", "kube-node-lease"} {
		g.nsSeen[ns] = true
		g.namespace(ns, nil)
	}
	g.component(component{ns: "kube-system", name: "kube-dns", kind: "Deployment", image: "registry.k8s.io/coredns/coredns:v1.11.1", replicas: 2, port: 53, portName: "dns-tcp",
		addCaps: []corev1.Capability{"NET_BIND_SERVICE"}, hardened: true, rules: watchAll, service: corev1.ServiceTypeClusterIP})
	g.component(component{ns: "kube-system", name: "kube-proxy", kind: "DaemonSet", image: "registry.k8s.io/kube-proxy:v1.29.2", privileged: true, hostNetwork: true,
		hostPaths: []string{"/run/xtables.lock", "/lib/modules"}, rules: watchAll})
	g.component(component{ns: "kube-system", name: "calico-node", kind: "DaemonSet", image: "docker.io/calico/node:v3.27.2", privileged: true, hostNetwork: true,
		hostPaths: []string{"/var/run/calico", "/lib/modules", "/etc/cni/net.d", "/opt/cni/bin"}, rules: append(watchAll,
			rbacv1.PolicyRule{APIGroups: []string{"crd.projectcalico.org"}, Resources: []string{"*"}, Verbs: []string{"*"}})})
	g.component(component{ns: "kube-system", name: "ebs-csi-node", kind: "DaemonSet", image: "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.28.0", privileged: true,
		hostPaths: []string{"/var/lib/kubelet", "/dev"}, rules: watchAll})
	g.component(component{ns: "kube-system", name: "metrics-server", kind: "Deployment", image: "registry.k8s.io/metrics-server/metrics-server:v0.7.0", replicas: 1, port: 10250, portName: "https",
		hardened: true, rules: append(watchAll, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes/metrics"}, Verbs: []string{"get"}}), service: corev1.ServiceTypeClusterIP})

	for _, ns := range []string{"monitoring", "logging", "ingress-nginx", "cert-manager"} {
		g.nsSeen[ns] = true
		g.namespace(ns, map[string]string{"team": "platform"})
	}
	g.component(component{ns: "monitoring", name: "prometheus", kind: "StatefulSet", image: "quay.io/prometheus/prometheus:v2.50.1", replicas: 2, port: 9090, portName: "web",
		runAsUser: ptr.To(int64(65534)), rules: append(watchAll, rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}})})
	g.component(component{ns: "monitoring", name: "node-exporter", kind: "DaemonSet", image: "quay.io/prometheus/node-exporter:v1.7.0", port: 9100, portName: "metrics",
		hostNetwork: true, hostPID: true, hostPaths: []string{"/", "/proc", "/sys"}, runAsUser: ptr.To(int64(65534))})
	g.component(component{ns: "monitoring", name: "kube-state-metrics", kind: "Deployment", image: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.11.0", replicas: 1,
		port: 8080, portName: "http", hardened: true, service: corev1.ServiceTypeClusterIP, rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"list", "watch"}}}})
	g.component(component{ns: "monitoring", name: "grafana", kind: "Deployment", image: "docker.io/grafana/grafana:latest", replicas: 1, port: 3000, portName: "http",
		env: []corev1.EnvVar{{Name: "GF_SECURITY_ADMIN_USER", Value: "admin"}, {Name: "GF_SECURITY_ADMIN_PASSWORD", Value: "prom-operator"}}, service: corev1.ServiceTypeLoadBalancer})
	g.component(component{ns: "logging", name: "fluent-bit", kind: "DaemonSet", image: "docker.io/fluent/fluent-bit:2.2.2", runAsUser: root,
		hostPaths: []string{"/var/log", "/var/lib/docker/containers"}, rules: watchAll})
	g.component(component{ns: "ingress-nginx", name: "ingress-nginx-controller", kind: "Deployment", image: "registry.k8s.io/ingress-nginx/controller:v1.10.0", replicas: 2,
		port: 443, portName: "https", runAsUser: ptr.To(int64(101)), addCaps: []corev1.Capability{"NET_BIND_SERVICE"}, service: corev1.ServiceTypeLoadBalancer,
		rules: append(watchAll, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps"}, Verbs: readVerbs},
			rbacv1.PolicyRule{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses", "ingressclasses"}, Verbs: readVerbs})})
	for _, name := range []string{"cert-manager", "cert-manager-cainjector", "cert-manager-webhook"} {
		g.component(component{ns: "cert-manager", name: name, kind: "Deployment", image: "quay.io/jetstack/" + name + ":v1.14.4", replicas: 1, hardened: true,
			runAsUser: ptr.To(int64(1000)), rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"cert-manager.io"}, Resources: []string{"*"}, Verbs: []string{"*"}},
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: writeVerbs},
			}})
	}
}
