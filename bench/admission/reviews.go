package main

import (
	"encoding/json"
	"fmt"
)

// reviews builds n AdmissionReviews of pod creates shaped like what a real API server
// sends: pods after defaulting (terminationMessagePath, dnsPolicy, tolerations, the
// projected service-account token volume), from a few realistic families — a hardened
// service, a typical unhardened web app with a sidecar, a batch pod with an init
// container, and a privileged node agent — so that the webhook allows, warns and
// denies in realistic proportions.
func reviews(n int) [][]byte {
	out := make([][]byte, n)
	for i := range n {
		ns := fmt.Sprintf("team-%d", i%17)
		name := fmt.Sprintf("app-%d-7d9f8c6b5-x%04d", i%23, i)
		var pod map[string]any
		switch i % 8 {
		case 0, 1, 2:
			pod = hardened(ns, name)
		case 3, 4, 5:
			pod = webApp(ns, name)
		case 6:
			pod = batch(ns, name)
		default:
			pod = nodeAgent(ns, name)
		}
		review := map[string]any{
			"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
			"request": map[string]any{
				"uid":             fmt.Sprintf("5b0a7c1e-%04x-4c2d-9e8f-%012x", i, i),
				"kind":            map[string]any{"group": "", "version": "v1", "kind": "Pod"},
				"resource":        map[string]any{"group": "", "version": "v1", "resource": "pods"},
				"requestKind":     map[string]any{"group": "", "version": "v1", "kind": "Pod"},
				"requestResource": map[string]any{"group": "", "version": "v1", "resource": "pods"},
				"namespace":       ns, "name": name, "operation": "CREATE",
				"userInfo": map[string]any{"username": "system:serviceaccount:kube-system:replicaset-controller",
					"uid": "3f1c", "groups": []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}},
				"object":  pod,
				"dryRun":  false,
				"options": map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
			},
		}
		b, err := json.Marshal(review)
		if err != nil {
			panic(err)
		}
		out[i] = b
	}
	return out
}

func meta(ns, name, app string) map[string]any {
	return map[string]any{
		"name": name, "namespace": ns, "generateName": name[:len(name)-5],
		"labels":      map[string]any{"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "shop", "pod-template-hash": "7d9f8c6b5"},
		"annotations": map[string]any{"kubectl.kubernetes.io/restartedAt": "2026-11-20T10:12:01Z", "prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
		"ownerReferences": []any{map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name[:len(name)-6],
			"uid": "a1b2c3d4-e5f6-4a5b-8c7d-0e1f2a3b4c5d", "controller": true, "blockOwnerDeletion": true}},
	}
}

func defaults(spec map[string]any, ns string) map[string]any {
	spec["restartPolicy"] = "Always"
	spec["terminationGracePeriodSeconds"] = 30
	spec["dnsPolicy"] = "ClusterFirst"
	spec["schedulerName"] = "default-scheduler"
	spec["enableServiceLinks"] = true
	spec["preemptionPolicy"] = "PreemptLowerPriority"
	spec["priority"] = 0
	spec["tolerations"] = []any{
		map[string]any{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
		map[string]any{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
	}
	vols, _ := spec["volumes"].([]any)
	spec["volumes"] = append(vols, map[string]any{"name": "kube-api-access-x2k9p", "projected": map[string]any{
		"defaultMode": 420, "sources": []any{
			map[string]any{"serviceAccountToken": map[string]any{"expirationSeconds": 3607, "path": "token"}},
			map[string]any{"configMap": map[string]any{"name": "kube-root-ca.crt", "items": []any{map[string]any{"key": "ca.crt", "path": "ca.crt"}}}},
			map[string]any{"downwardAPI": map[string]any{"items": []any{map[string]any{"path": "namespace", "fieldRef": map[string]any{"apiVersion": "v1", "fieldPath": "metadata.namespace"}}}}},
		}}})
	return spec
}

func container(name, image string, extra map[string]any) map[string]any {
	c := map[string]any{
		"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
		"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
		"env": []any{
			map[string]any{"name": "LOG_LEVEL", "value": "info"},
			map[string]any{"name": "POD_NAME", "valueFrom": map[string]any{"fieldRef": map[string]any{"apiVersion": "v1", "fieldPath": "metadata.name"}}},
			map[string]any{"name": "DATABASE_URL", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "db", "key": "url"}}},
		},
		"volumeMounts": []any{map[string]any{"name": "kube-api-access-x2k9p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}},
	}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func probes(port int) map[string]any {
	probe := func(path string) map[string]any {
		return map[string]any{"httpGet": map[string]any{"path": path, "port": port, "scheme": "HTTP"},
			"periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
	}
	return map[string]any{"readinessProbe": probe("/ready"), "livenessProbe": probe("/healthz"),
		"ports": []any{map[string]any{"name": "http", "containerPort": port, "protocol": "TCP"}}}
}

func resources() map[string]any {
	return map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}, "limits": map[string]any{"cpu": "1", "memory": "256Mi"}}
}

func hardened(ns, name string) map[string]any {
	extra := probes(8080)
	extra["resources"] = resources()
	extra["securityContext"] = map[string]any{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": map[string]any{"drop": []any{"ALL"}}}
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta(ns, name, "catalog"),
		"spec": defaults(map[string]any{
			"serviceAccountName": "catalog", "automountServiceAccountToken": false,
			"securityContext": map[string]any{"runAsNonRoot": true, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001, "seccompProfile": map[string]any{"type": "RuntimeDefault"}},
			"containers":      []any{container("catalog", "registry.example.com/shop/catalog@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", extra)},
			"volumes":         []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}},
		}, ns)}
}

func webApp(ns, name string) map[string]any {
	extra := probes(3000)
	extra["resources"] = map[string]any{"requests": map[string]any{"cpu": "250m", "memory": "256Mi"}}
	sidecar := container("envoy", "envoyproxy/envoy:v1.31.2", map[string]any{"args": []any{"-c", "/etc/envoy/envoy.yaml", "--log-level", "warn"}})
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta(ns, name, "storefront"),
		"spec": defaults(map[string]any{
			"serviceAccountName": "default", "serviceAccount": "default",
			"securityContext": map[string]any{},
			"containers":      []any{container("storefront", "registry.example.com/shop/storefront:2.14.1", extra), sidecar},
			"volumes":         []any{map[string]any{"name": "envoy-config", "configMap": map[string]any{"name": "envoy", "defaultMode": 420}}},
		}, ns)}
}

func batch(ns, name string) map[string]any {
	extra := map[string]any{"resources": resources(), "command": []any{"/bin/report", "--since=24h"},
		"securityContext": map[string]any{"allowPrivilegeEscalation": false, "runAsNonRoot": true, "runAsUser": 1000}}
	init := container("migrate", "registry.example.com/shop/migrate:1.9.0", map[string]any{"command": []any{"/migrate", "up"}})
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta(ns, name, "nightly-report"),
		"spec": defaults(map[string]any{
			"serviceAccountName": "reports", "restartPolicy": "OnFailure",
			"initContainers": []any{init},
			"containers":     []any{container("report", "registry.example.com/shop/report:latest", extra)},
		}, ns)}
}

func nodeAgent(ns, name string) map[string]any {
	extra := map[string]any{"resources": resources(), "securityContext": map[string]any{"privileged": true, "capabilities": map[string]any{"add": []any{"SYS_ADMIN", "NET_ADMIN"}}},
		"volumeMounts": []any{map[string]any{"name": "host-root", "mountPath": "/host", "readOnly": false}}}
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta(ns, name, "node-exporter"),
		"spec": defaults(map[string]any{
			"hostNetwork": true, "hostPID": true, "serviceAccountName": "node-exporter",
			"containers": []any{container("agent", "quay.io/prometheus/node-exporter:v1.8.2", extra)},
			"volumes":    []any{map[string]any{"name": "host-root", "hostPath": map[string]any{"path": "/", "type": ""}}},
		}, ns)}
}
