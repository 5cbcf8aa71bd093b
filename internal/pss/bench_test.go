package pss

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

const benchCompliant = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      initContainers:
      - name: migrate
        image: ghcr.io/example/migrate:1.0
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
      containers:
      - name: web
        image: ghcr.io/example/web:1.0
        ports: [{containerPort: 8080}]
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
      - name: proxy
        image: envoyproxy/envoy:v1.31.0
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
      volumes:
      - {name: config, configMap: {name: web}}
      - {name: tmp, emptyDir: {}}
`

const benchViolating = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      hostPID: true
      securityContext:
        sysctls: [{name: kernel.msgmax, value: "65536"}]
      initContainers:
      - name: setup
        image: busybox:1.36
        securityContext: {privileged: true}
      containers:
      - name: agent
        image: ghcr.io/example/agent:1.0
        ports: [{containerPort: 9100, hostPort: 9100}]
        securityContext:
          runAsUser: 0
          capabilities: {add: [SYS_ADMIN, NET_ADMIN]}
          seccompProfile: {type: Unconfined}
      - name: shipper
        image: ghcr.io/example/shipper:1.0
      volumes:
      - {name: root, hostPath: {path: /}}
      - {name: tmp, emptyDir: {}}
`

// BenchmarkPSS evaluates every PSS rule on one Deployment: a compliant one (the verdict
// only) and one that fails most checks (verdict plus locating every failing part).
func BenchmarkPSS(b *testing.B) {
	for _, bc := range []struct{ name, yaml string }{{"compliant", benchCompliant}, {"violating", benchViolating}} {
		b.Run(bc.name, func(b *testing.B) {
			objs, errs := inventory.Decode(strings.NewReader(bc.yaml), "bench.yaml")
			if len(errs) > 0 || len(objs) != 1 {
				b.Fatalf("decode: %v", errs)
			}
			ctx := &rule.Context{Options: rule.Options{PSSVersion: "latest"}}
			results := 0
			b.ReportAllocs()
			for b.Loop() {
				results = 0
				for _, r := range registered {
					results += len(r.Object(ctx, objs[0]))
				}
			}
			b.ReportMetric(float64(results), "results/op")
		})
	}
}
