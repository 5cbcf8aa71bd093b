package main

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// posture is how carefully a team writes its manifests; it steers every security
// setting of its pods.
type posture int

const (
	sloppy posture = iota
	partial
	hardened
)

func (g *generator) posture() posture {
	switch r := g.rnd.Float64(); {
	case r < 0.30:
		return sloppy
	case r < 0.75:
		return partial
	default:
		return hardened
	}
}

// family is the kind of software a container runs.
type family struct {
	repo string
	tags []string
	// port is the main port, named portName.
	port     int32
	portName string
	// uid is the user the image runs as; 0 for root images.
	uid int64
	// stateful software runs as a StatefulSet with a volume claim.
	stateful bool
	// probe is "http", "tcp" or "exec".
	probe string
	// command, when set, is the exec probe.
	command []string
}

var thirdParty = []family{
	{repo: "docker.io/library/nginx", tags: []string{"1.25.3", "1.25.4", "1.27.0", "1.27-alpine"}, port: 80, portName: "http", uid: 0, probe: "http"},
	{repo: "docker.io/library/redis", tags: []string{"7.2.4", "7.2.5-alpine", "6.2.14"}, port: 6379, portName: "redis", uid: 999, stateful: true, probe: "tcp"},
	{repo: "docker.io/library/postgres", tags: []string{"15.6", "16.2", "16.4-alpine"}, port: 5432, portName: "postgres", uid: 999, stateful: true, probe: "exec", command: []string{"pg_isready", "-U", "postgres"}},
	{repo: "docker.io/bitnami/rabbitmq", tags: []string{"3.12.13", "3.13.0"}, port: 5672, portName: "amqp", uid: 1001, stateful: true, probe: "exec", command: []string{"rabbitmq-diagnostics", "-q", "ping"}},
	{repo: "docker.io/library/memcached", tags: []string{"1.6.23", "1.6-alpine"}, port: 11211, portName: "memcached", uid: 11211, probe: "tcp"},
	{repo: "docker.elastic.co/elasticsearch/elasticsearch", tags: []string{"8.12.2", "8.13.0"}, port: 9200, portName: "http", uid: 1000, stateful: true, probe: "http"},
	{repo: "docker.io/library/mongo", tags: []string{"7.0.6", "6.0.14"}, port: 27017, portName: "mongo", uid: 999, stateful: true, probe: "tcp"},
	{repo: "quay.io/keycloak/keycloak", tags: []string{"24.0.1", "23.0.7"}, port: 8080, portName: "http", uid: 1000, probe: "http"},
	{repo: "docker.io/grafana/grafana", tags: []string{"10.4.0", "10.3.3"}, port: 3000, portName: "http", uid: 472, probe: "http"},
	{repo: "docker.io/bitnami/kafka", tags: []string{"3.6.1", "3.7.0"}, port: 9092, portName: "kafka", uid: 1001, stateful: true, probe: "tcp"},
}

var appNames = []string{
	"api", "web", "frontend", "backend", "worker", "gateway", "auth", "orders", "cart",
	"search", "catalog", "inventory", "billing", "notifications", "scheduler", "reporting",
	"checkout", "accounts", "profile", "recommendations", "pricing", "shipping", "media",
	"export", "import", "webhooks", "admin", "graphql", "events", "ledger",
}

// customFamily is the team's own service: built in CI and pushed to the company
// registry, usually a Go, Java or Node HTTP service on 8080.
func (g *generator) customFamily(team, app string) family {
	f := family{
		repo:     fmt.Sprintf("registry.example.com/%s/%s", team, app),
		port:     pick(g, []int32{8080, 8080, 8080, 3000, 8000, 9000}),
		portName: "http",
		uid:      pick(g, []int64{0, 0, 1000, 10001, 65532}),
		probe:    "http",
	}
	for range 3 {
		f.tags = append(f.tags, fmt.Sprintf("v%d.%d.%d", g.between(0, 4), g.between(0, 30), g.between(0, 12)))
	}
	if strings.Contains(app, "worker") || app == "scheduler" || app == "export" || app == "import" {
		f.port, f.portName, f.probe = 9090, "metrics", "http"
	}
	return f
}

// imageRef writes an image reference as a team of that posture would: latest or no
// tag from the careless, digests from the careful.
func (g *generator) imageRef(f family, p posture) string {
	tag := pick(g, f.tags)
	switch p {
	case sloppy:
		switch r := g.rnd.Float64(); {
		case r < 0.30:
			return f.repo + ":latest"
		case r < 0.40:
			return f.repo
		}
	case partial:
		if g.chance(0.10) {
			return f.repo + ":latest"
		}
	case hardened:
		if g.chance(0.80) {
			return f.repo + ":" + tag + "@sha256:" + g.hex(64)
		}
	}
	return f.repo + ":" + tag
}

func quantity(s string) resource.Quantity { return resource.MustParse(s) }

func (g *generator) resources(p posture) corev1.ResourceRequirements {
	cpus := []string{"50m", "100m", "200m", "250m", "500m", "1"}
	i := g.rnd.IntN(len(cpus))
	cpu := cpus[i]
	mem := pick(g, []string{"64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi"})
	req := corev1.ResourceList{corev1.ResourceCPU: quantity(cpu), corev1.ResourceMemory: quantity(mem)}
	switch p {
	case sloppy:
		if g.chance(0.5) {
			return corev1.ResourceRequirements{}
		}
		return corev1.ResourceRequirements{Requests: req}
	case partial:
		r := corev1.ResourceRequirements{Requests: req}
		if g.chance(0.6) {
			r.Limits = corev1.ResourceList{corev1.ResourceMemory: quantity(mem)}
		}
		return r
	default:
		// A CPU limit of one to four times the request, never below it.
		limCPU := cpus[min(i+g.between(0, 2), len(cpus)-1)]
		if g.chance(0.3) {
			limCPU = "2"
		}
		lim := corev1.ResourceList{corev1.ResourceCPU: quantity(limCPU), corev1.ResourceMemory: quantity(mem)}
		return corev1.ResourceRequirements{Requests: req, Limits: lim}
	}
}

func (g *generator) probe(f family, initialDelay int32) *corev1.Probe {
	pr := &corev1.Probe{PeriodSeconds: pick(g, []int32{5, 10, 10, 15, 30}), InitialDelaySeconds: initialDelay}
	switch f.probe {
	case "http":
		pr.HTTPGet = &corev1.HTTPGetAction{Path: pick(g, []string{"/healthz", "/health", "/ready", "/-/ready", "/actuator/health"}), Port: intstr.FromString(f.portName)}
	case "exec":
		pr.Exec = &corev1.ExecAction{Command: f.command}
	default:
		pr.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromString(f.portName)}
	}
	return pr
}

func (g *generator) containerSecurity(f family, p posture) *corev1.SecurityContext {
	switch p {
	case hardened:
		uid := f.uid
		if uid == 0 {
			uid = 10001
		}
		return &corev1.SecurityContext{
			RunAsNonRoot:             ptr.To(true),
			RunAsUser:                ptr.To(uid),
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(g.chance(0.9)),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
	case partial:
		if g.chance(0.3) {
			return nil
		}
		sc := &corev1.SecurityContext{}
		if g.chance(0.5) {
			sc.RunAsNonRoot = ptr.To(true)
		}
		if g.chance(0.5) {
			sc.AllowPrivilegeEscalation = ptr.To(false)
		}
		if g.chance(0.3) {
			sc.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}
		}
		return sc
	default:
		switch r := g.rnd.Float64(); {
		case r < 0.06:
			return &corev1.SecurityContext{Privileged: ptr.To(true)}
		case r < 0.16:
			return &corev1.SecurityContext{RunAsUser: ptr.To(int64(0))}
		case r < 0.22:
			return &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{pick(g, []corev1.Capability{"NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "NET_RAW"})}}}
		case r < 0.30:
			return &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true)}
		}
		return nil
	}
}

// podInputs are what a pod of an app refers to.
type podInputs struct {
	ns, team, app  string
	labels         map[string]string
	fam            family
	posture        posture
	serviceAccount string
	configMaps     []string
	secrets        []string
	claim          string // volumeClaimTemplate name, for StatefulSets
}

var plainEnv = []corev1.EnvVar{
	{Name: "LOG_LEVEL", Value: "info"},
	{Name: "LOG_FORMAT", Value: "json"},
	{Name: "TZ", Value: "UTC"},
	{Name: "GOMAXPROCS", Value: "2"},
	{Name: "JAVA_TOOL_OPTIONS", Value: "-XX:MaxRAMPercentage=75"},
	{Name: "NODE_ENV", Value: "production"},
	{Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Value: "http://otel-collector.monitoring:4317"},
	{Name: "FEATURE_FLAGS", Value: "new-checkout,dark-mode"},
	{Name: "HTTP_TIMEOUT", Value: "30s"},
}

func (g *generator) env(in podInputs) []corev1.EnvVar {
	var env []corev1.EnvVar
	for _, i := range g.rnd.Perm(len(plainEnv))[:g.between(1, 5)] {
		env = append(env, plainEnv[i])
	}
	env = append(env, corev1.EnvVar{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}})
	fromSecret := in.posture != hardened && len(in.secrets) > 0 && g.chance(0.5)
	if fromSecret {
		env = append(env, corev1.EnvVar{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: in.secrets[0]}, Key: "password"}}})
	}
	if in.posture == sloppy {
		switch r := g.rnd.Float64(); {
		case r < 0.15 && !fromSecret:
			env = append(env, corev1.EnvVar{Name: "DB_PASSWORD", Value: g.token(alnum, 16)})
		case r < 0.22:
			env = append(env, corev1.EnvVar{Name: "API_KEY", Value: g.token(alnum, 32)})
		case r < 0.27:
			env = append(env, corev1.EnvVar{Name: "AWS_SECRET_ACCESS_KEY", Value: g.token(alnum, 40)})
		}
	}
	return env
}

func (g *generator) mainContainer(in podInputs) corev1.Container {
	f, p := in.fam, in.posture
	c := corev1.Container{
		Name:      in.app,
		Image:     g.imageRef(f, p),
		Ports:     []corev1.ContainerPort{{Name: f.portName, ContainerPort: f.port, Protocol: corev1.ProtocolTCP}},
		Env:       g.env(in),
		Resources: g.resources(p),
	}
	if len(c.Name) > 63 {
		c.Name = c.Name[:63]
	}
	switch r := g.rnd.Float64(); {
	case r < 0.3:
		c.ImagePullPolicy = corev1.PullAlways
	case r < 0.7:
		c.ImagePullPolicy = corev1.PullIfNotPresent
	}
	if strings.HasPrefix(f.repo, "registry.example.com/") && g.chance(0.4) {
		c.Args = []string{"--config=/etc/" + in.app + "/config.yaml", fmt.Sprintf("--listen=:%d", f.port)}
	}
	if len(in.configMaps) > 0 && g.chance(0.6) {
		c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: in.configMaps[0]}}})
	}
	if p == sloppy && len(in.secrets) > 0 && g.chance(0.3) {
		c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: in.secrets[0]}}})
	}
	switch {
	case p == hardened || (p == partial && g.chance(0.7)) || g.chance(0.3):
		c.ReadinessProbe = g.probe(f, 0)
		if p != sloppy && g.chance(0.8) {
			c.LivenessProbe = g.probe(f, pick(g, []int32{0, 10, 30}))
		}
	}
	c.SecurityContext = g.containerSecurity(f, p)
	return c
}

type sidecar struct {
	name, image string
	port        int32
}

var sidecars = []sidecar{
	{name: "istio-proxy", image: "docker.io/istio/proxyv2:1.21.0", port: 15090},
	{name: "cloud-sql-proxy", image: "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.9.0"},
	{name: "fluent-bit", image: "docker.io/fluent/fluent-bit:2.2.2"},
	{name: "oauth2-proxy", image: "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0", port: 4180},
	{name: "envoy", image: "docker.io/envoyproxy/envoy:v1.29.2", port: 9901},
}

func (g *generator) sidecar(p posture) corev1.Container {
	s := pick(g, sidecars)
	c := corev1.Container{Name: s.name, Image: s.image, Resources: g.resources(p)}
	if s.port != 0 {
		c.Ports = []corev1.ContainerPort{{Name: "sidecar", ContainerPort: s.port, Protocol: corev1.ProtocolTCP}}
	}
	if p == hardened {
		c.SecurityContext = &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(int64(1337)), AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem: ptr.To(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	}
	return c
}

func (g *generator) initContainer(in podInputs) corev1.Container {
	if g.chance(0.4) {
		// A service-mesh init container programs iptables: it needs NET_ADMIN and NET_RAW.
		return corev1.Container{
			Name: "istio-init", Image: "docker.io/istio/proxyv2:1.21.0",
			Args: []string{"istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337"},
			SecurityContext: &corev1.SecurityContext{RunAsUser: ptr.To(int64(0)), RunAsNonRoot: ptr.To(false),
				Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}, Drop: []corev1.Capability{"ALL"}}},
			Resources: g.resources(in.posture),
		}
	}
	c := corev1.Container{
		Name:      "migrate",
		Image:     g.imageRef(in.fam, in.posture),
		Command:   []string{"/app/migrate", "up"},
		Resources: g.resources(in.posture),
	}
	c.SecurityContext = g.containerSecurity(in.fam, in.posture)
	return c
}

// podTemplate builds the pod of one app.
func (g *generator) podTemplate(in podInputs) corev1.PodTemplateSpec {
	p := in.posture
	spec := corev1.PodSpec{ServiceAccountName: in.serviceAccount}
	main := g.mainContainer(in)
	var volumes []corev1.Volume
	if len(in.configMaps) > 0 && g.chance(0.5) {
		volumes = append(volumes, corev1.Volume{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: in.configMaps[len(in.configMaps)-1]}}}})
		main.VolumeMounts = append(main.VolumeMounts, corev1.VolumeMount{Name: "config", MountPath: "/etc/" + in.app, ReadOnly: true})
	}
	if len(in.secrets) > 0 && (p == hardened || g.chance(0.3)) {
		volumes = append(volumes, corev1.Volume{Name: "credentials", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: in.secrets[0], DefaultMode: ptr.To(int32(0o440))}}})
		main.VolumeMounts = append(main.VolumeMounts, corev1.VolumeMount{Name: "credentials", MountPath: "/var/run/secrets/" + in.app, ReadOnly: true})
	}
	if main.SecurityContext != nil && main.SecurityContext.ReadOnlyRootFilesystem != nil && *main.SecurityContext.ReadOnlyRootFilesystem {
		volumes = append(volumes, corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(quantity("64Mi"))}}})
		main.VolumeMounts = append(main.VolumeMounts, corev1.VolumeMount{Name: "tmp", MountPath: "/tmp"})
	}
	if in.claim != "" {
		main.VolumeMounts = append(main.VolumeMounts, corev1.VolumeMount{Name: in.claim, MountPath: "/data"})
	}
	if p == sloppy && g.chance(0.05) {
		path := pick(g, []string{"/var/run/docker.sock", "/var/log", "/etc/ssl/certs", "/", "/var/lib/kubelet"})
		volumes = append(volumes, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}})
		main.VolumeMounts = append(main.VolumeMounts, corev1.VolumeMount{Name: "host", MountPath: "/host" + strings.TrimSuffix(path, "/")})
	}
	spec.Containers = []corev1.Container{main}
	if g.chance(0.2) {
		spec.Containers = append(spec.Containers, g.sidecar(p))
	}
	if g.chance(0.15) {
		spec.InitContainers = []corev1.Container{g.initContainer(in)}
	}
	spec.Volumes = volumes
	switch p {
	case hardened:
		spec.AutomountServiceAccountToken = ptr.To(false)
		spec.SecurityContext = &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			FSGroup:        ptr.To(int64(10001)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
	case partial:
		if g.chance(0.4) {
			spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), FSGroup: ptr.To(int64(2000))}
		}
		if g.chance(0.3) {
			spec.AutomountServiceAccountToken = ptr.To(false)
		}
	default:
		if g.chance(0.03) {
			spec.HostNetwork = true
		}
		if g.chance(0.01) {
			spec.HostPID = true
		}
	}
	if g.chance(0.2) {
		spec.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	}
	if g.chance(0.1) {
		spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: in.team, Effect: corev1.TaintEffectNoSchedule}}
	}
	ann := map[string]string{}
	if g.chance(0.4) {
		ann["prometheus.io/scrape"] = "true"
		ann["prometheus.io/port"] = fmt.Sprint(in.fam.port)
	}
	if len(ann) == 0 {
		ann = nil
	}
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: in.labels, Annotations: ann}, Spec: spec}
}
