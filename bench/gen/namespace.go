package main

import (
	"encoding/base64"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

var (
	teams = []string{"payments", "checkout", "search", "identity", "growth", "platform", "data",
		"mobile", "catalog", "fulfillment", "support", "marketing", "risk", "ml", "media", "partners"}
	envs = []string{"prod", "prod", "staging", "dev", "qa"}
)

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// namespace writes a Namespace with the objects Kubernetes creates in every
// namespace: the default ServiceAccount and the kube-root-ca.crt ConfigMap.
func (g *generator) namespace(name string, labels map[string]string) {
	if labels == nil {
		labels = map[string]string{}
	}
	labels["kubernetes.io/metadata.name"] = name
	g.emit(&corev1.Namespace{TypeMeta: typeMeta("v1", "Namespace"), ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}})
	g.emit(&corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"), ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: name}})
	g.emit(&corev1.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"), ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt", Namespace: name},
		Data: map[string]string{"ca.crt": g.fakeCert()}})
}

// fakeCert is PEM-shaped random data: as large as a real CA certificate, but no certificate.
func (g *generator) fakeCert() string {
	raw := make([]byte, 800)
	for i := range raw {
		raw[i] = byte(g.rnd.IntN(256))
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	out := "-----BEGIN CERTIFICATE-----\n"
	for len(b64) > 64 {
		out += b64[:64] + "\n"
		b64 = b64[64:]
	}
	return out + b64 + "\n-----END CERTIFICATE-----\n"
}

// appNamespace writes one team's namespace and everything in it.
func (g *generator) appNamespace(i int) {
	team := pick(g, teams)
	env := pick(g, envs)
	name := fmt.Sprintf("%s-%s", team, env)
	for n := 2; g.nsSeen[name]; n++ {
		name = fmt.Sprintf("%s-%s-%d", team, env, n)
	}
	g.nsSeen[name] = true
	p := g.posture()
	labels := map[string]string{"team": team, "environment": env}
	switch {
	case p == hardened && g.chance(0.8):
		labels["pod-security.kubernetes.io/enforce"] = "restricted"
		labels["pod-security.kubernetes.io/enforce-version"] = "latest"
	case p != sloppy && g.chance(0.4):
		labels["pod-security.kubernetes.io/enforce"] = "baseline"
		labels["pod-security.kubernetes.io/warn"] = "restricted"
	}
	g.namespace(name, labels)

	apps := g.between(3, 14)
	var appLabels []map[string]string
	var ports []int32
	used := map[string]bool{}
	for range apps {
		if !g.more() {
			return
		}
		var app string
		var fam family
		if g.chance(0.25) {
			fam = pick(g, thirdParty)
			app = fam.repo[strings.LastIndex(fam.repo, "/")+1:]
		} else {
			app = pick(g, appNames)
			fam = g.customFamily(team, app)
		}
		if used[app] {
			continue
		}
		used[app] = true
		lbl := g.app(name, team, app, fam, p)
		appLabels = append(appLabels, lbl)
		ports = append(ports, fam.port)
	}
	if g.chance(0.05) {
		g.nodeAgent(name, team, p)
	}
	g.networkPolicies(name, p, appLabels, ports)
	g.namespaceRBAC(name, team, p)
	if g.chance(0.15) {
		g.operatorRBAC(name)
	}
}

// app writes one application: its configuration, credentials, workload, Service,
// Ingress and jobs. It returns the pod labels.
func (g *generator) app(ns, team, app string, fam family, p posture) map[string]string {
	labels := map[string]string{"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": team}
	if p == sloppy && g.chance(0.5) {
		labels = map[string]string{"app": app}
	}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
	}
	in := podInputs{ns: ns, team: team, app: app, labels: labels, fam: fam, posture: p}

	if p != sloppy || g.chance(0.3) {
		in.serviceAccount = app
		sa := &corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"), ObjectMeta: meta(app)}
		if p == hardened || g.chance(0.2) {
			sa.AutomountServiceAccountToken = ptr.To(false)
		}
		if g.chance(0.1) {
			sa.Annotations = map[string]string{"eks.amazonaws.com/role-arn": fmt.Sprintf("arn:aws:iam::111122223333:role/%s-%s", team, app)}
		}
		g.emit(sa)
	}
	for j := range g.between(0, 2) {
		cm := fmt.Sprintf("%s-config", app)
		if j > 0 {
			cm = fmt.Sprintf("%s-config-%d", app, j)
		}
		in.configMaps = append(in.configMaps, cm)
		g.emit(&corev1.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"), ObjectMeta: meta(cm), Data: g.configData(ns, app, p)})
	}
	if g.chance(0.55) {
		sec := app + "-credentials"
		in.secrets = append(in.secrets, sec)
		g.emit(&corev1.Secret{TypeMeta: typeMeta("v1", "Secret"), ObjectMeta: meta(sec), Type: corev1.SecretTypeOpaque, Data: g.secretData()})
	}
	if g.chance(0.1) {
		g.emit(&corev1.Secret{TypeMeta: typeMeta("v1", "Secret"), ObjectMeta: meta(app + "-registry"), Type: corev1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{".dockerconfigjson": fmt.Appendf(nil, `{"auths":{"registry.example.com":{"auth":%q}}}`, base64.StdEncoding.EncodeToString([]byte("ci:"+g.token(alnum, 24))))}})
	}

	selector := &metav1.LabelSelector{MatchLabels: labels}
	replicas := ptr.To(int32(pick(g, []int{1, 2, 2, 3, 3, 5})))
	headless := false
	if fam.stateful && g.chance(0.8) {
		headless = true
		in.claim = "data"
		tmpl := g.podTemplate(in)
		g.emit(&appsv1.StatefulSet{TypeMeta: typeMeta("apps/v1", "StatefulSet"), ObjectMeta: meta(app), Spec: appsv1.StatefulSetSpec{
			Replicas: replicas, Selector: selector, ServiceName: app, Template: tmpl,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: quantity(pick(g, []string{"10Gi", "20Gi", "50Gi", "100Gi"}))}}},
			}},
		}})
	} else {
		g.emit(&appsv1.Deployment{TypeMeta: typeMeta("apps/v1", "Deployment"), ObjectMeta: meta(app), Spec: appsv1.DeploymentSpec{
			Replicas: replicas, Selector: selector, Template: g.podTemplate(in), RevisionHistoryLimit: ptr.To(int32(10)),
		}})
	}

	if headless || g.chance(0.85) {
		svc := &corev1.Service{TypeMeta: typeMeta("v1", "Service"), ObjectMeta: meta(app), Spec: corev1.ServiceSpec{
			Selector: labels,
			Ports:    []corev1.ServicePort{{Name: fam.portName, Port: fam.port, TargetPort: intstr.FromString(fam.portName), Protocol: corev1.ProtocolTCP}},
		}}
		switch r := g.rnd.Float64(); {
		case headless:
			svc.Spec.ClusterIP = corev1.ClusterIPNone
		case r < 0.06:
			svc.Spec.Type = corev1.ServiceTypeNodePort
			svc.Spec.Ports[0].NodePort = g.nodePort()
		case r < 0.12:
			svc.Spec.Type = corev1.ServiceTypeLoadBalancer
		default:
			svc.Spec.Type = corev1.ServiceTypeClusterIP
		}
		g.emit(svc)
		if !headless && fam.portName == "http" && g.chance(0.35) {
			g.ingress(ns, app, fam.portName, labels, p)
		}
	}
	if g.chance(0.12) {
		g.cronJob(in)
	}
	if g.chance(0.08) {
		g.job(in)
	}
	return labels
}

func (g *generator) configData(ns, app string, p posture) map[string]string {
	d := map[string]string{
		"LOG_LEVEL":   pick(g, []string{"info", "debug", "warn"}),
		"SERVICE_URL": fmt.Sprintf("http://%s.%s.svc.cluster.local", app, ns),
		"config.yaml": fmt.Sprintf("server:\n  port: 8080\n  readTimeout: 15s\ncache:\n  ttl: %dm\nfeatures:\n  - search\n  - recommendations\n", g.between(1, 60)),
	}
	if p == sloppy && g.chance(0.2) {
		d["DATABASE_URL"] = fmt.Sprintf("postgres://%s:%s@postgres.%s.svc:5432/%s", app, g.token(alnum, 14), ns, app)
	}
	if p == sloppy && g.chance(0.08) {
		d["SLACK_WEBHOOK_URL"] = "https://hooks.slack.example.com/services/T0000/B0000/" + g.token(alnum, 24)
	}
	return d
}

func (g *generator) secretData() map[string][]byte {
	d := map[string][]byte{
		"username": []byte(pick(g, []string{"app", "admin", "service", "postgres"})),
		"password": []byte(g.token(alnum, 20)),
	}
	if g.chance(0.2) {
		d["AWS_ACCESS_KEY_ID"] = []byte("AKIA" + g.token(upper, 16))
		d["AWS_SECRET_ACCESS_KEY"] = []byte(g.token(alnum+"/+", 40))
	}
	if g.chance(0.2) {
		d["api-key"] = []byte(g.hex(40))
	}
	return d
}

func (g *generator) ingress(ns, app, port string, labels map[string]string, p posture) {
	host := fmt.Sprintf("%s.%s.example.com", app, ns)
	ing := &netv1.Ingress{TypeMeta: typeMeta("networking.k8s.io/v1", "Ingress"), ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: ns, Labels: labels},
		Spec: netv1.IngressSpec{
			IngressClassName: ptr.To(pick(g, []string{"nginx", "nginx", "alb", "traefik"})),
			Rules: []netv1.IngressRule{{Host: host, IngressRuleValue: netv1.IngressRuleValue{HTTP: &netv1.HTTPIngressRuleValue{Paths: []netv1.HTTPIngressPath{{
				Path: "/", PathType: ptr.To(netv1.PathTypePrefix),
				Backend: netv1.IngressBackend{Service: &netv1.IngressServiceBackend{Name: app, Port: netv1.ServiceBackendPort{Name: port}}},
			}}}}}},
		}}
	if p == hardened || g.chance(0.6) {
		ing.Spec.TLS = []netv1.IngressTLS{{Hosts: []string{host}, SecretName: app + "-tls"}}
		ing.Annotations = map[string]string{"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
	}
	g.emit(ing)
}

func (g *generator) jobPod(in podInputs, role string) corev1.PodTemplateSpec {
	in.app = in.app + "-" + role
	in.labels = map[string]string{"app.kubernetes.io/name": in.app}
	in.claim = ""
	t := g.podTemplate(in)
	t.Spec.RestartPolicy = pick(g, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever})
	for i := range t.Spec.Containers {
		t.Spec.Containers[i].ReadinessProbe, t.Spec.Containers[i].LivenessProbe = nil, nil
	}
	t.Spec.Containers[0].Command = []string{"/app/" + role}
	return t
}

func (g *generator) cronJob(in podInputs) {
	role := pick(g, []string{"cleanup", "report", "backup", "sync"})
	name := in.app + "-" + role
	cj := &batchv1.CronJob{TypeMeta: typeMeta("batch/v1", "CronJob"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: in.ns},
		Spec: batchv1.CronJobSpec{
			Schedule:          fmt.Sprintf("%d %d * * *", g.between(0, 59), g.between(0, 23)),
			ConcurrencyPolicy: pick(g, []batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}),
			JobTemplate:       batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{BackoffLimit: ptr.To(int32(g.between(0, 6))), Template: g.jobPod(in, role)}},
		}}
	g.emit(cj)
}

func (g *generator) job(in podInputs) {
	role := pick(g, []string{"migrate", "seed", "reindex"})
	name := fmt.Sprintf("%s-%s-%s", in.app, role, g.hex(5))
	g.emit(&batchv1.Job{TypeMeta: typeMeta("batch/v1", "Job"), ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: in.ns},
		Spec: batchv1.JobSpec{BackoffLimit: ptr.To(int32(3)), TTLSecondsAfterFinished: ptr.To(int32(86400)), Template: g.jobPod(in, role)}})
}

// nodeAgent is a DaemonSet a team runs on every node: a security or log agent that
// reads the host, written with the team's usual care.
func (g *generator) nodeAgent(ns, team string, p posture) {
	name := pick(g, []string{"log-agent", "security-agent", "node-problem-detector", "gpu-monitor"})
	c := component{ns: ns, name: name, kind: "DaemonSet", image: fmt.Sprintf("registry.example.com/%s/%s:v1.%d.0", team, name, g.between(0, 9)),
		hostPaths: []string{"/var/log"}, runAsUser: ptr.To(int64(0))}
	if p == sloppy {
		c.privileged, c.hostPID = true, g.chance(0.5)
		c.hostPaths = append(c.hostPaths, "/var/run/docker.sock", "/proc")
	}
	if p == hardened {
		c.runAsUser = nil
		c.hardened = true
	}
	g.component(c)
}
