package exposure

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestSensitiveUI(t *testing.T) { ruletest.Fixtures(t, "exposure/sensitive-ui") }

func TestMatchUI(t *testing.T) {
	for _, tc := range []struct {
		name string
		ct   corev1.Container
		want string
		open bool
	}{
		{"Prometheus from a mirror", corev1.Container{Image: "mirror.example.com/hub/prom/prometheus:v2.54.1"}, "Prometheus", true},
		{"Argo CD server by args", corev1.Container{Image: "quay.io/argoproj/argocd:v2.12.3", Args: []string{"/usr/local/bin/argocd-server", "--insecure"}}, "Argo CD", false},
		{"Argo CD server with auth off", corev1.Container{Image: "quay.io/argoproj/argocd:v2.12.3", Command: []string{"argocd-server"}, Args: []string{"--disable-auth"}}, "Argo CD", true},
		{"Argo CD controller", corev1.Container{Image: "quay.io/argoproj/argocd:v2.12.3", Command: []string{"argocd-application-controller"}}, "", false},
		{"Grafana with anonymous admins", corev1.Container{Image: "grafana/grafana-oss:11.2.0", Env: []corev1.EnvVar{{Name: "GF_AUTH_ANONYMOUS_ENABLED", Value: "true"}, {Name: "GF_AUTH_ANONYMOUS_ORG_ROLE", Value: "Admin"}}}, "Grafana", true},
		{"Grafana with anonymous viewers", corev1.Container{Image: "grafana/grafana-oss:11.2.0", Env: []corev1.EnvVar{{Name: "GF_AUTH_ANONYMOUS_ENABLED", Value: "true"}}}, "Grafana", false},
		{"Jupyter without a token", corev1.Container{Image: "quay.io/jupyter/scipy-notebook:2024-09-02", Args: []string{"start-notebook.py", "--ServerApp.token="}}, "a Jupyter notebook server", true},
		{"Kubeflow dashboard", corev1.Container{Image: "ghcr.io/kubeflow/kubeflow/central-dashboard:v1.9.0"}, "the Kubeflow central dashboard", true},
		{"Tekton dashboard", corev1.Container{Image: "gcr.io/tekton-releases/github.com/tektoncd/dashboard/cmd/dashboard:v0.50.0"}, "the Tekton Dashboard", true},
		{"a look-alike name", corev1.Container{Image: "example/prometheus-exporter:1"}, "", false},
		{"an invalid image", corev1.Container{Image: "Prom/Prometheus"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ui := matchUI(&tc.ct)
			got, open := "", false
			if ui != nil {
				got, open = ui.Name, ui.openFor(&tc.ct)
			}
			if got != tc.want || open != tc.open {
				t.Errorf("matchUI = %q (open %v), want %q (open %v)", got, open, tc.want, tc.open)
			}
		})
	}
}
