package node

import (
	"context"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// mirrorTestPod is a pod as the API returns it; mirror marks it as the kubelet's
// mirror of a static pod.
func mirrorTestPod(namespace, name, node string, mirror bool, ctr ...corev1.Container) *inventory.Object {
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       corev1.PodSpec{NodeName: node, Containers: ctr},
	}
	if mirror {
		pod.Annotations = map[string]string{mirrorAnnotation: "0123456789abcdef"}
	}
	return inventory.New(pod, pod.GroupVersionKind(), nil)
}

func mirrorTestContainer(command []string, args ...string) corev1.Container {
	return corev1.Container{Name: "c", Image: "registry.k8s.io/x", Command: command, Args: args}
}

// mirrorTestConfigz is the kubelet's /configz answer of the tests: the legacy
// defaults' insecure settings.
const mirrorTestConfigz = `{"kubeletconfig":{"authentication":{"anonymous":{"enabled":true},"webhook":{"enabled":false}},
	"authorization":{"mode":"AlwaysAllow"},"readOnlyPort":10255,"streamingConnectionIdleTimeout":"4h0m0s","seccompDefault":true,
	"podPidsLimit":4096,"tlsCertFile":"/var/lib/kubelet/pki/kubelet.crt","tlsPrivateKeyFile":"/var/lib/kubelet/pki/kubelet.key","makeIPTablesUtilChains":true}}`

// mirrorTestObjects are what a live cluster shows: mirror pods of two control-plane
// nodes, among pods and objects that are not.
func mirrorTestObjects() []*inventory.Object {
	sys := metav1.NamespaceSystem
	deploy := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: sys, Name: "kube-apiserver"}}
	etcd := mirrorTestContainer([]string{"etcd"}, "--cert-file=/pki/server.crt", "--client-cert-auth=false")
	etcd.Env = []corev1.EnvVar{
		{Name: "ETCD_PEER_CLIENT_CERT_AUTH", Value: "true"},
		{Name: "ETCD_CLIENT_CERT_AUTH", Value: "true"}, // the flag wins
		{Name: "ETCD_PEER_AUTO_TLS", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "auto"}}},
		{Name: "TOKEN", Value: "secret"},
	}
	return []*inventory.Object{
		mirrorTestPod(sys, "kube-apiserver-cp-1", "cp-1", true,
			mirrorTestContainer([]string{"kube-apiserver", "--anonymous-auth=true"}, "--profiling=false", "--authorization-mode=Node,RBAC")),
		mirrorTestPod(sys, "kube-controller-manager-cp-1", "cp-1", true,
			mirrorTestContainer([]string{"/usr/local/bin/hyperkube", "kube-controller-manager"}, "--bind-address=0.0.0.0")),
		mirrorTestPod(sys, "etcd-cp-1", "cp-1", true, etcd),
		// A second API server mirror pod on cp-1: the first is kept.
		mirrorTestPod(sys, "kube-apiserver-cp-1-old", "cp-1", true, mirrorTestContainer([]string{"kube-apiserver", "--anonymous-auth=false"})),
		mirrorTestPod(sys, "kube-apiserver-cp-2", "cp-2", true, mirrorTestContainer([]string{"kube-apiserver"}, "--anonymous-auth=false")),
		// Not mirror pods of this cluster's control plane:
		mirrorTestPod("default", "kube-apiserver-fake", "cp-1", true, mirrorTestContainer([]string{"kube-scheduler", "--profiling=true"})),
		mirrorTestPod(sys, "kube-scheduler-deployed", "cp-1", false, mirrorTestContainer([]string{"kube-scheduler", "--profiling=true"})),
		mirrorTestPod(sys, "kube-scheduler-unscheduled", "", true, mirrorTestContainer([]string{"kube-scheduler", "--profiling=true"})),
		mirrorTestPod(sys, "no-containers", "cp-1", true),
		mirrorTestPod(sys, "coredns", "cp-1", true, mirrorTestContainer([]string{"/coredns"}, "-conf", "/etc/coredns/Corefile")),
		inventory.New(deploy, deploy.GroupVersionKind(), nil),
	}
}

func TestMirrorFromCluster(t *testing.T) {
	comps, warnings := FromCluster(mirrorTestObjects(), map[string][]byte{
		"cp-1":     []byte(mirrorTestConfigz),
		"worker-1": []byte(`{"kubeletconfig": {"readOnlyPort": "ten"}}`),
	}, nil)
	var got []string
	byName := map[string]*Component{}
	for _, o := range comps {
		c, ok := o.Obj.(*Component)
		if !ok {
			t.Fatalf("object %T, want *Component", o.Obj)
		}
		key := o.Kind() + "/" + o.Name()
		got = append(got, key)
		byName[key] = c
		if c.Host == nil || c.Host.FilesExamined() || c.Host.Name != o.Name() {
			t.Errorf("%s: host %+v, want node %s without files", key, c.Host, o.Name())
		}
		if o.Source != nil {
			t.Errorf("%s: source %+v, want none for an object read from the cluster", key, o.Source)
		}
	}
	slices.Sort(got)
	want := []string{"Etcd/cp-1", "KubeAPIServer/cp-1", "KubeAPIServer/cp-2", "KubeControllerManager/cp-1", "Kubelet/cp-1"}
	if !slices.Equal(got, want) {
		t.Fatalf("components %q, want %q", got, want)
	}

	for _, tc := range []struct {
		comp, flag, value string
		set               bool
	}{
		{"KubeAPIServer/cp-1", "anonymous-auth", "true", true},
		{"KubeAPIServer/cp-1", "authorization-mode", "Node,RBAC", true},
		{"KubeAPIServer/cp-2", "anonymous-auth", "false", true},
		{"KubeControllerManager/cp-1", "bind-address", "0.0.0.0", true},
		{"Etcd/cp-1", "client-cert-auth", "false", true},     // the flag over ETCD_CLIENT_CERT_AUTH
		{"Etcd/cp-1", "peer-client-cert-auth", "true", true}, // from the pod's environment
		{"Etcd/cp-1", "peer-auto-tls", "", false},            // valueFrom: not readable through the pod
	} {
		v, ok := byName[tc.comp].Flags.Lookup(tc.flag)
		if ok != tc.set || v != tc.value {
			t.Errorf("%s --%s = %q (set %t), want %q (set %t)", tc.comp, tc.flag, v, ok, tc.value, tc.set)
		}
	}
	if k := byName["Kubelet/cp-1"].Kubelet; k == nil || k.ReadOnlyPort != 10255 || string(k.Authorization.Mode) != "AlwaysAllow" {
		t.Errorf("kubelet configuration from /configz: %+v", k)
	}

	for _, part := range []string{"node worker-1: /configz: ", "their files (modes, owners, certificates, encryption and audit configuration) are not examined"} {
		if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, part) }) {
			t.Errorf("warnings %q, want one containing %q", warnings, part)
		}
	}
}

func TestMirrorNothing(t *testing.T) {
	comps, warnings := FromCluster([]*inventory.Object{
		mirrorTestPod("default", "web", "worker-1", false, mirrorTestContainer([]string{"nginx"})),
	}, nil, nil)
	if len(comps) != 0 || len(warnings) != 0 {
		t.Errorf("components %v, warnings %q: want none from a cluster without mirror pods", comps, warnings)
	}
}

// TestMirrorRules runs every node rule over what the API shows: the flag checks
// run, and no check that needs a node's files does (no node/* finding, nothing about
// encryption or audit configuration, no CA comparison), since their files were not
// examined.
func TestMirrorRules(t *testing.T) {
	mirrorTestConfigRules := []string{"kubelet/anonymous-auth", "kubelet/authorization-always-allow", "kubelet/client-ca-file",
		"kubelet/read-only-port", "kubelet/streaming-connection-idle-timeout", "kubelet/make-iptables-util-chains",
		"kubelet/tls-certificate", "kubelet/tls-cipher-suites", "kubelet/pod-pids-limit", "kubelet/seccomp-default",
		"kubelet/event-record-qps"}
	objs := append(mirrorTestObjects(),
		mirrorTestPod(metav1.NamespaceSystem, "kube-scheduler-cp-1", "cp-1", true,
			mirrorTestContainer([]string{"kube-scheduler", "--config=/etc/kubernetes/scheduler-config.yaml", "--bind-address=127.0.0.1"})),
		mirrorTestPod(metav1.NamespaceSystem, "kube-apiserver-cp-3", "cp-3", true,
			mirrorTestContainer([]string{"kube-apiserver", "--authorization-config=/etc/kubernetes/authz.yaml", "--anonymous-auth=false",
				"--encryption-provider-config=/etc/kubernetes/enc.yaml", "--audit-policy-file=/etc/kubernetes/audit.yaml",
				"--audit-log-path=/var/log/audit.log", "--client-ca-file=/etc/kubernetes/pki/ca.crt"})),
	)
	comps, _ := FromCluster(objs, map[string][]byte{"cp-1": []byte(mirrorTestConfigz)}, nil)
	fs, errs := engine.Run(context.Background(), inventory.NewInventory(comps), Rules(), rule.Options{Now: fixtureNow})
	if len(errs) > 0 {
		t.Fatalf("engine: %v", errs)
	}
	seen := map[string]bool{}
	for _, f := range fs {
		key := f.RuleID + " " + f.Resource.Kind + "/" + f.Resource.Name
		seen[key] = true
		if readsFiles(f.RuleID) {
			t.Errorf("%s: a check of files ran without them: %s", key, f.Message)
		}
		if f.RuleID == "scheduler/profiling" || (f.Resource.Name == "cp-3" && strings.HasPrefix(f.RuleID, "apiserver/authorization-")) {
			t.Errorf("%s: judged a configuration file it could not read: %s", key, f.Message)
		}
		if slices.Contains(mirrorTestConfigRules, f.RuleID) && !strings.Contains(f.Message, "(the kubelet's /configz)") {
			t.Errorf("%s: message %q does not say the value came from /configz", key, f.Message)
		}
	}
	for _, want := range []string{
		"apiserver/anonymous-auth KubeAPIServer/cp-1",
		"controller-manager/bind-address KubeControllerManager/cp-1",
		"etcd/client-cert-auth Etcd/cp-1",
		"kubelet/anonymous-auth Kubelet/cp-1",
		"kubelet/read-only-port Kubelet/cp-1",
		"kubelet/authorization-always-allow Kubelet/cp-1",
	} {
		if !seen[want] {
			t.Errorf("no finding %s; got:\n%s", want, describeFindings(fs))
		}
	}
	for _, unwanted := range []string{
		"apiserver/anonymous-auth KubeAPIServer/cp-2",
		"scheduler/bind-address KubeScheduler/cp-1",
		"kubelet/seccomp-default Kubelet/cp-1",
		"kubelet/pod-pids-limit Kubelet/cp-1",
	} {
		if seen[unwanted] {
			t.Errorf("unexpected finding %s", unwanted)
		}
	}
}

func TestMirrorKubeletFromConfigz(t *testing.T) {
	for _, tc := range []struct {
		name, answer, err string
	}{
		{name: "the kubelet's answer", answer: mirrorTestConfigz},
		{name: "not JSON", answer: "<html>forbidden</html>", err: "invalid character"},
		{name: "no kubeletconfig", answer: `{"componentconfig": {}}`, err: "no kubeletconfig in the answer"},
		{name: "a field of the wrong type", answer: `{"kubeletconfig": {"readOnlyPort": "ten"}}`, err: "readOnlyPort"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := kubeletFromConfigz([]byte(tc.answer))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if where, src := k.Where("readOnlyPort", nil); where != "the kubelet's /configz" || src != nil {
					t.Errorf("Where = %q, %+v", where, src)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}
