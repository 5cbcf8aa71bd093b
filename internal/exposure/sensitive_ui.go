package exposure

// The catalogue of sensitive dashboards and UIs that exposure/sensitive-ui looks for
// behind exposed Services, and how a container is recognised as one: by its image's
// repository path (any registry, so mirrors count), and where one image serves several
// roles, by its command or port.

import (
	"slices"
	"strings"

	_ "crypto/sha256" // digest algorithms for the reference parser, as in the kubelet
	_ "crypto/sha512"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
)

// sensitiveUI is one kind of dashboard or UI.
type sensitiveUI struct {
	Name string
	// Repos are repository paths the image's path equals or ends with
	// ("prometheus/prometheus" matches quay.io/prometheus/prometheus and
	// mirror.example.com/hub/prometheus/prometheus).
	Repos []string
	// Command, when set, is a word the container's command or args must hold: the image
	// serves other roles too (Argo CD's image runs every Argo CD component).
	Command string
	// Ports, when set, are the container ports that serve the UI; a Service must route
	// to one of them.
	Ports []int32
	// Open marks a UI that serves without authentication by default, or that trusts
	// whoever reaches it; such exposure is high, the others medium.
	Open bool
	// OpenIf, when set, tells from a container's settings that this instance serves
	// without authentication.
	OpenIf func(ct *corev1.Container) bool
	// What says what the UI gives whoever reaches it.
	What string
}

// sensitiveUIs is the catalogue, the UIs that peers (Kubescape C-0021 and C-0014,
// Checkov CKV_K8S_33) name and that incident reports show exposed.
var sensitiveUIs = []sensitiveUI{
	{Name: "the Kubernetes Dashboard", Repos: []string{"kubernetesui/dashboard", "kubernetesui/dashboard-web", "kubernetesui/dashboard-api", "kubernetes-dashboard-amd64"},
		OpenIf: argsHold("--enable-skip-login", "--enable-insecure-login"),
		What:   "a web console over the cluster's API with the dashboard's own grants, which its maintainers say not to expose publicly"},
	{Name: "Argo CD", Repos: []string{"argoproj/argocd"}, Command: "argocd-server",
		OpenIf: argsHold("--disable-auth"),
		What:   "the GitOps controller's UI and API, which deploys anything to the clusters it manages"},
	{Name: "Argo Workflows", Repos: []string{"argoproj/argocli"}, Command: "server",
		OpenIf: argsHold("--auth-mode=server", "--auth-mode server"),
		What:   "the workflow server, which runs workflows, that is pods, on request"},
	{Name: "Grafana", Repos: []string{"grafana/grafana", "grafana/grafana-oss", "grafana/grafana-enterprise", "bitnami/grafana"},
		OpenIf: grafanaAnonymousEditor,
		What:   "dashboards over every data source it holds credentials for"},
	{Name: "Prometheus", Repos: []string{"prometheus/prometheus", "prom/prometheus", "bitnami/prometheus"}, Open: true,
		What: "every metric of the cluster, its targets and labels, with no authentication"},
	{Name: "Alertmanager", Repos: []string{"prometheus/alertmanager", "prom/alertmanager", "bitnami/alertmanager"}, Open: true,
		What: "the alert routing, where anyone may silence alerts, with no authentication"},
	{Name: "Kibana", Repos: []string{"kibana/kibana", "bitnami/kibana", "opensearchproject/opensearch-dashboards"},
		What: "search over every log and document the cluster ships"},
	{Name: "a Jupyter notebook server", Repos: []string{"jupyter/base-notebook", "jupyter/minimal-notebook", "jupyter/scipy-notebook", "jupyter/datascience-notebook",
		"jupyter/tensorflow-notebook", "jupyter/pytorch-notebook", "jupyter/pyspark-notebook", "jupyter/all-spark-notebook", "jupyter/r-notebook", "jupyterhub/k8s-singleuser-sample"},
		OpenIf: argsHold("token=''", `token=""`, "--NotebookApp.token= ", "--ServerApp.token= "),
		What:   "a shell and code execution in the pod, under its service account"},
	{Name: "the Kubeflow central dashboard", Repos: []string{"centraldashboard", "central-dashboard"}, Open: true,
		What: "the Kubeflow UI, which trusts the user identity header its authenticating proxy sets, so anyone who reaches it directly names themselves"},
	{Name: "the Ray dashboard", Repos: []string{"rayproject/ray", "rayproject/ray-ml"}, Ports: []int32{8265}, Open: true,
		What: "Ray's job API, which runs any submitted code, with no authentication (ShadowRay, CVE-2023-48022)"},
	{Name: "the Tekton Dashboard", Repos: []string{"tektoncd/dashboard/cmd/dashboard"}, Open: true,
		What: "the pipelines UI, with no authentication of its own"},
	{Name: "Weave Scope", Repos: []string{"weaveworks/scope"}, Open: true,
		What: "a map of every container with a shell into each, with no authentication"},
	{Name: "the Longhorn UI", Repos: []string{"longhornio/longhorn-ui"}, Open: true,
		What: "the storage manager, where anyone may delete volumes and backups, with no authentication"},
	{Name: "Kafka UI", Repos: []string{"provectuslabs/kafka-ui", "kafbat/kafka-ui"}, Open: true,
		What: "every topic and message of the Kafka clusters it knows, with no authentication by default"},
	{Name: "the Jaeger UI", Repos: []string{"jaegertracing/jaeger-query", "jaegertracing/all-in-one", "jaegertracing/jaeger"}, Ports: []int32{16686},
		What: "every trace, with the requests' URLs, headers and parameters, with no authentication"},
	{Name: "Kiali", Repos: []string{"kiali/kiali"},
		What: "the service mesh's topology and configuration"},
	{Name: "Jenkins", Repos: []string{"jenkins/jenkins", "bitnami/jenkins"},
		What: "the build server, which runs code and holds deployment credentials"},
	{Name: "a database admin UI", Repos: []string{"phpmyadmin/phpmyadmin", "library/phpmyadmin", "dpage/pgadmin4", "library/adminer"},
		What: "a web client for the databases it can reach"},
	{Name: "Portainer", Repos: []string{"portainer/portainer-ce", "portainer/portainer-ee"},
		What: "container management; a fresh install lets its first visitor create the administrator"},
}

// matchUI returns the UI a container serves, by its image (and command), or nil.
func matchUI(ct *corev1.Container) *sensitiveUI {
	named, err := reference.ParseNormalizedNamed(ct.Image)
	if err != nil {
		return nil
	}
	path := reference.Path(named)
	for i := range sensitiveUIs {
		ui := &sensitiveUIs[i]
		if !slices.ContainsFunc(ui.Repos, func(r string) bool { return path == r || endsWithComponents(path, r) }) {
			continue
		}
		if ui.Command != "" && !slices.ContainsFunc(append(slices.Clone(ct.Command), ct.Args...), func(a string) bool {
			return a == ui.Command || strings.HasSuffix(a, "/"+ui.Command)
		}) {
			continue
		}
		return ui
	}
	return nil
}

// endsWithComponents reports a path that ends with "/" + tail, without joining them.
func endsWithComponents(path, tail string) bool {
	return len(path) > len(tail) && strings.HasSuffix(path, tail) && path[len(path)-len(tail)-1] == '/'
}

// openFor reports whether this instance of the UI serves without authentication.
func (ui *sensitiveUI) openFor(ct *corev1.Container) bool {
	return ui.Open || ui.OpenIf != nil && ui.OpenIf(ct)
}

// argsHold is an OpenIf that looks for flags in the command and args.
func argsHold(flags ...string) func(*corev1.Container) bool {
	return func(ct *corev1.Container) bool {
		all := strings.Join(append(slices.Clone(ct.Command), ct.Args...), " ") + " "
		for _, f := range flags {
			if strings.Contains(all, f) {
				return true
			}
		}
		return false
	}
}

// grafanaAnonymousEditor: anonymous users are enabled with a role that may edit.
func grafanaAnonymousEditor(ct *corev1.Container) bool {
	env := map[string]string{}
	for _, e := range ct.Env {
		env[e.Name] = strings.TrimSpace(e.Value)
	}
	return strings.EqualFold(env["GF_AUTH_ANONYMOUS_ENABLED"], "true") &&
		(env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Admin" || env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Editor")
}
