package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// TestNetpolConnsCluster reads a live cluster: a Deployment whose pod (through its
// ReplicaSet) has an IP inside an ipBlock that a client pod's egress policy allows, so
// `moat netpol conns --cluster` must show client -> Deployment on that port, with the
// pods and the ReplicaSet folded into the Deployment, and `explain` must accept the
// pod's IP. No kubelet runs: the pods' IPs are written into their status.
func TestNetpolConnsCluster(t *testing.T) {
	c := kubetest.Start(t)
	cfg := c.RESTConfig()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const ns = "shop"
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	must(err)
	// No controller manager runs: the default service account that pods need is created here.
	_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	must(err)
	labels := map[string]string{"app": "api"}
	podSpec := corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "registry.example.com/api:1.0", Ports: []corev1.ContainerPort{{Name: "https", ContainerPort: 8443}}}}}
	dep, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec}},
	}, metav1.CreateOptions{})
	must(err)
	yes := true
	rs, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "api-5d8f", OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: &yes}}},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec}},
	}, metav1.CreateOptions{})
	must(err)
	pod := func(name string, l map[string]string, ip string, owner *metav1.OwnerReference) {
		t.Helper()
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}, Spec: podSpec}
		if owner != nil {
			p.OwnerReferences = []metav1.OwnerReference{*owner}
		}
		p, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		must(err)
		p.Status.PodIP = ip
		p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
		_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		must(err)
	}
	pod("api-5d8f-x7k2p", labels, "10.244.1.7", &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes})
	pod("client", map[string]string{"app": "client"}, "10.244.2.9", nil)
	tcp := corev1.ProtocolTCP
	port := intstr.FromInt32(8443)
	_, err = cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "client"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.244.1.0/24"}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
			}},
		},
	}, metav1.CreateOptions{})
	must(err)

	kc := kubeconfigFor(t, cfg)
	r := moat(t, "netpol", "conns", "--cluster", "--kubeconfig", kc, "-o", "json")
	if r.code != 0 {
		t.Fatalf("conns: exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Connections []struct {
			Src, Dst map[string]any
			Ports    json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("conns output: %v\n%s", err, r.stdout)
	}
	got := map[string]string{}
	for _, c := range doc.Connections {
		// Endpoints hold strings and, for a group of pods, their count.
		str := func(e map[string]any, k string) string { s, _ := e[k].(string); return s }
		for _, e := range []map[string]any{c.Src, c.Dst} {
			if str(e, "kind") == "ReplicaSet" || str(e, "name") == "api-5d8f-x7k2p" {
				t.Errorf("the ReplicaSet or pod of the Deployment is a node: %v", e)
			}
		}
		if str(c.Src, "ipBlock") == "" && str(c.Dst, "ipBlock") == "" {
			got[str(c.Src, "kind")+"/"+str(c.Src, "name")+" -> "+str(c.Dst, "kind")+"/"+str(c.Dst, "name")] = string(c.Ports)
		}
	}
	if p := got["Pod/client -> Deployment/api"]; p != `["TCP/8443"]` {
		t.Errorf("client -> api: ports %s, want [\"TCP/8443\"] (the ipBlock holds the api pod's IP); connections:\n%v", p, got)
	}
	r = moat(t, "netpol", "explain", "shop/pod/client", "10.244.1.7", "--port", "8443", "--cluster", "--kubeconfig", kc)
	// An IP names the pod that holds it, and its owner.
	if r.code != 0 || !strings.Contains(r.stdout, "Allowed: shop/Pod/client may connect to shop/Pod/api-5d8f-x7k2p (of Deployment/api) on TCP/8443.") ||
		!strings.Contains(r.stdout, "NetworkPolicy shop/client rule spec.egress[0] allows to shop/Pod/api-5d8f-x7k2p (of Deployment/api) on TCP/8443.") {
		t.Errorf("explain: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
