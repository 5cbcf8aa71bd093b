package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// TestClusterScanReadsMirrorPods checks what `moat scan --cluster` tells of the control
// plane without node access: the flags of its static pods, read from their mirror pods
// in kube-system. No kubelet runs here (no container runtime), so the test writes the
// mirror pods a kubelet would: a pod in kube-system with the kubernetes.io/config.mirror
// annotation, bound to a node. The checks that need the node's files must not run.
func TestClusterScanReadsMirrorPods(t *testing.T) {
	c := kubetest.Start(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mirror := func(name, node string, command ...string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name + "-" + node, Namespace: metav1.NamespaceSystem,
				Annotations: map[string]string{"kubernetes.io/config.mirror": "0123abcd", "kubernetes.io/config.source": "file"},
				Labels:      map[string]string{"component": name, "tier": "control-plane"}},
			Spec: corev1.PodSpec{NodeName: node, HostNetwork: true,
				Containers: []corev1.Container{{Name: name, Image: "registry.k8s.io/" + name + ":v1.37.2", Command: command}}},
		}
	}
	pods := []*corev1.Pod{
		// An insecure API server on cp-1 and a hardened one on cp-2.
		mirror("kube-apiserver", "cp-1", "kube-apiserver", "--authorization-mode=AlwaysAllow", "--profiling=true",
			"--encryption-provider-config=/etc/kubernetes/enc.yaml"),
		mirror("kube-apiserver", "cp-2", "kube-apiserver", "--authorization-mode=Node,RBAC", "--anonymous-auth=false"),
		mirror("etcd", "cp-1", "etcd", "--client-cert-auth=false"),
	}
	for _, p := range pods {
		if _, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", p.Name, err)
		}
	}
	// A pod that only looks like one: not a mirror pod, so not a node component. (The
	// ServiceAccount admission plugin wants its account; mirror pods are exempt.)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: metav1.NamespaceSystem}}
	if _, err := cs.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fake := mirror("kube-apiserver", "cp-3", "kube-apiserver", "--authorization-mode=AlwaysAllow")
	fake.Annotations = nil
	if _, err := cs.CoreV1().Pods(fake.Namespace).Create(ctx, fake, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	rep, _ := scanJSON(t, []int{1}, "--cluster", "--kubeconfig", kubeconfigFor(t, c.RESTConfig()), "-n", "kube-system")
	got := map[string]bool{}
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Resource.APIVersion, "node.moat.dev/") {
			got[f.RuleID+" "+f.Resource.String()] = true
		}
	}
	for _, want := range []string{
		"apiserver/authorization-always-allow KubeAPIServer/cp-1",
		"apiserver/profiling KubeAPIServer/cp-1",
		"apiserver/anonymous-auth KubeAPIServer/cp-1",
		"etcd/client-cert-auth Etcd/cp-1",
	} {
		if !got[want] {
			t.Errorf("missing %s", want)
		}
	}
	for k := range got {
		switch {
		case strings.HasSuffix(k, "/cp-3"):
			t.Errorf("a pod without the mirror annotation was read as a component: %s", k)
		case strings.HasPrefix(k, "node/"), strings.HasPrefix(k, "apiserver/encryption"):
			t.Errorf("a check of the node's files ran on a component read through the API: %s", k)
		case strings.HasPrefix(k, "apiserver/authorization-always-allow KubeAPIServer/cp-2"),
			strings.HasPrefix(k, "apiserver/anonymous-auth KubeAPIServer/cp-2"):
			t.Errorf("hardened API server failed: %s", k)
		}
	}
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "files") && strings.Contains(w, "not examined") }) {
		t.Errorf("no warning that the node files were not examined: %q", rep.Warnings)
	}
}
