package vap

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// TestAgreesOnEdgeCases evaluates rules whose CEL reimplements a parser or a
// normalization (image references, capability names, port names, Ingress hosts) on
// inputs beyond their fixtures: the policy denies exactly the pods the rule reports.
func TestAgreesOnEdgeCases(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	hex128 := strings.Repeat("0123456789abcdef", 8)
	var images []string
	for _, img := range []string{
		"nginx", "nginx:1.27.3", "nginx:latest", "bitnami/redis:7.2", "registry.k8s.io/pause:3.10",
		"registry.example.com:5000/team/app", "registry.example.com:5000/team/app:v2", "registry.example.com:5000/app:1.0@sha256:" + hex64,
		"nginx:latest@sha256:" + hex64, "localhost:5000/app", "localhost/app:dev", "localhost:5000", "[fd00::1]:5000/app:1",
		"10.0.0.7:5000/ns/app", "Registry/app:1", "ghcr.io/org/team/tool/sub:2024.01.02", "quay.io/my_org/my-app__x.y:1",
		"app@sha512:" + hex128, "nginx:latest-alpine", "nginx:LATEST", "", "nginx: 1.2", "library/Nginx", "nginx@sha256:abc",
		"nginx@sha256:" + strings.ToUpper(hex64), "nginx@" + hex64, "nginx:", "nginx:.1", "registry.example.com:5000/", "{{ .Values.image }}",
		"ghcr.io//app", "a.b_c/x:1", "a_b/x:1", "a--b/x", "a-/x", "app:1.0/x", "a:b/c", "a/b:c:d", "app@md5:abc", "app@sha256:" + hex64 + "@x",
		"app:" + strings.Repeat("a", 128), "app:" + strings.Repeat("a", 129), "registry.example.com:5000:1/app", "host.:5000/app", "x/latest",
		"repo:latest@sha512:" + hex128, "app@sha256:" + hex64 + "0", "UPPER.io/app", "[::1]/app", "localhost", "app:v1\n",
		hex64, "Nginx", "index.docker.io/nginx:1", "docker.io/nginx", "docker.io/library/nginx@sha384:" + hex64 + hex64[:32], "app@sha384:" + hex64,
		"app@SHA256:" + hex64, "ghcr.io/" + strings.Repeat("a", 255), "ghcr.io/" + strings.Repeat("a", 256), strings.Repeat("a", 247), strings.Repeat("a", 248),
		"docker.io/" + strings.Repeat("a", 247), "localhost/" + strings.Repeat("a", 256), "k8s.gcr.io/pause:3.9", "K8S.GCR.IO/pause:3.9", "gcr.io/google_containers/pause:3.1",
		"gcr.io/google-containers/busybox", "registry.k8s.io/pause:3.9", "k8s.gcr.io:443/pause", "ghcr.io/Org/app", "host.io/a:b@sha256:" + hex64,
	} {
		images = append(images, img)
	}
	var pods []map[string]any
	for _, img := range images {
		for _, pull := range []string{"", "Always", "IfNotPresent", "Never"} {
			c := map[string]any{"name": "app", "image": img}
			if pull != "" {
				c["imagePullPolicy"] = pull
			}
			pods = append(pods, pod(c))
		}
	}
	for _, caps := range [][2][]string{
		{{"SYS_ADMIN"}, nil}, {{"cap_sys_admin"}, nil}, {{" CAP_NET_RAW "}, nil}, {{"NET_RAW"}, {"net_raw"}}, {{"ALL"}, {"ALL"}},
		{{"\u017fys_admin"}, nil}, {{"SYS_ADM\u0131N"}, nil}, {{"CHOWN"}, nil}, {{"cap_"}, nil}, {{"SYS_PTRACE"}, {"CAP_SYS_PTRACE"}},
	} {
		pods = append(pods, pod(map[string]any{"name": "app", "image": "app:1", "securityContext": map[string]any{
			"capabilities": map[string]any{"add": caps[0], "drop": caps[1]}}}))
	}
	for _, port := range []map[string]any{
		{"containerPort": 22}, {"containerPort": 22, "protocol": "UDP"}, {"containerPort": 2222, "name": "SSH"},
		{"containerPort": 2222, "name": "\u017f\u017fh"}, {"containerPort": 22, "protocol": "SCTP", "name": "x"}, {"containerPort": 80},
	} {
		pods = append(pods, pod(map[string]any{"name": "app", "image": "app:1", "ports": []any{port}}))
	}
	for _, hp := range []string{
		"/var/run/../run/docker.sock", "etc", "/etc/../opt", "/opt/../../etc/passwd", "//var///lib/kubelet/", "/etc/localtime",
		"/etc/./localtime", `\\.\pipe\docker_engine`, "//./pipe/Docker_Engine", `\\.\pipe\other`, "/var", "/opt/data", "/run",
		"/run/foo", "/var/lib", "/var/lib/kubeletx", "..", "/..", "a/b/../..", "/home/user/.ssh", "/tmp", "", ".",
		"/etc/kubernetes/../../tmp", "\\\\.\\pipe\\doc\u212aer_engine", "/a/b/c/../../../etc", "/a/../b/../var/log", "/x/y/../../../../tmp",
		"/usr", "/usr/", "/usr/share/zoneinfo", "/usr/src", "/lib/modules", "/lib", "/opt", "/opt/cni", "/opt/cni/bin/", "/opt/cni/bin/bridge",
		"/opt/cni/binaries", "/etc/ssl/certs/ca.crt", "/etc/ssl", "/etc/ssl/certs/../private/key.pem", "/etc/pki/tls/certs", "/run/dbus",
		"/var/run/dbus/system_bus_socket", "/run/systemd", "/var/lib/rancher", "/var/lib/rancher/k3s/storage/pvc-1", "/var/lib/rancher/rke2/agent/x",
		"/var/snap/microk8s/common/run", "/run/k0s", "/dev/kmsg",
	} {
		pods = append(pods, map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": map[string]any{
			"containers": []any{map[string]any{"name": "app", "image": "app:1", "volumeMounts": []any{map[string]any{"name": "h", "mountPath": "/h"}}}},
			"volumes":    []any{map[string]any{"name": "h", "hostPath": map[string]any{"path": hp}}},
		}})
	}
	dir := t.TempDir()
	var files []string
	for i, p := range pods {
		b, _ := json.Marshal(p)
		f := filepath.Join(dir, strings.Repeat("p", 1)+string(rune('a'+i/26/26%26))+string(rune('a'+i/26%26))+string(rune('a'+i%26))+".json")
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	inv := inventory.Load(files, inventory.Options{})
	ids := []string{"image/invalid-reference", "image/frozen-registry", "image/latest-tag", "image/not-pinned-by-digest", "image/pull-policy-not-always", "pod/dangerous-capabilities", "pod/ssh-port-exposed", "pod/sensitive-host-path", "pod/writable-host-path"}
	ps, _ := Export(rule.All(), Options{})
	checked, denials := 0, 0
	for _, p := range ps {
		if !contains(ids, p.Rule.ID) {
			continue
		}
		checked++
		v := compile(t, p.Policy)
		for _, o := range inv.Objects {
			reported := reports(t, p.Rule, o)
			denied, msgs := verdict(t, v, o)
			if denied {
				denials++
			}
			if reported != denied {
				b, _ := json.Marshal(o.Obj)
				t.Errorf("%s: rule reports %v, policy denies %v %q on %s", p.Rule.ID, reported, denied, msgs, b)
			}
		}
	}
	if checked != len(ids) || denials == 0 {
		t.Errorf("%d of %d rules checked, %d denials", checked, len(ids), denials)
	}
	t.Logf("%d pods, %d rules, %d denials agree", len(pods), checked, denials)
	if len(inv.Objects) != len(pods) {
		t.Errorf("%d objects loaded of %d: %v", len(inv.Objects), len(pods), inv.Errors)
	}
}

func pod(c map[string]any) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"},
		"spec": map[string]any{"containers": []any{c}}}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
