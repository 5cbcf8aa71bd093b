package reach

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

// genCluster writes a synthetic cluster as YAML: nsCount namespaces of perNS
// Deployments each (five tiers: web, api, worker, cache, db, with their ports) and
// polPerNS NetworkPolicies per namespace: a default deny, DNS egress, and policies per
// app that allow its tier's clients in the namespace, web from the edge namespaces,
// metrics from monitoring, and egress to a few ranges outside, some with excepts.
// kube-system runs kube-dns.
func genCluster(w io.Writer, nsCount, perNS, polPerNS int) {
	tiers := []struct {
		name string
		port int
	}{{"web", 8080}, {"api", 9000}, {"worker", 8081}, {"cache", 6379}, {"db", 5432}}
	fmt.Fprint(w, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-system\n---\n")
	fmt.Fprint(w, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: coredns\n  namespace: kube-system\nspec:\n  selector:\n    matchLabels: {k8s-app: kube-dns}\n  template:\n    metadata:\n      labels: {k8s-app: kube-dns}\n    spec:\n      containers:\n      - name: coredns\n        image: coredns:1.11\n        ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]\n---\n")
	for n := range nsCount {
		ns := fmt.Sprintf("team-%03d", n)
		edge := "false"
		if n%10 == 0 {
			edge = "true"
		}
		fmt.Fprintf(w, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels: {edge: %q, env: prod, team: t%d}\n---\n", ns, edge, n%7)
		for i := range perNS {
			t := tiers[i%len(tiers)]
			fmt.Fprintf(w, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%d
  namespace: %s
spec:
  selector:
    matchLabels: {app: app-%d}
  template:
    metadata:
      labels: {app: app-%d, tier: %s, version: v%d}
    spec:
      containers:
      - name: main
        image: registry.example.com/%s/app-%d:1.0
        ports: [{name: main, containerPort: %d}, {name: metrics, containerPort: 9102}]
---
`, i, ns, i, i, t.name, i%3, ns, i, t.port)
		}
		fmt.Fprintf(w, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: %s}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: %s}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
---
`, ns, ns)
		for p := range polPerNS - 2 {
			i := p % perNS
			t := tiers[i%len(tiers)]
			client := tiers[(i+len(tiers)-1)%len(tiers)].name
			fmt.Fprintf(w, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: app-%d-%d, namespace: %s}
spec:
  podSelector: {matchLabels: {app: app-%d}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {tier: %s}}
    ports: [{port: main}]
  - from:
    - namespaceSelector: {matchLabels: {edge: "true"}}
      podSelector: {matchExpressions: [{key: tier, operator: In, values: [web]}]}
    ports: [{protocol: TCP, port: %d}]
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
    ports: [{port: metrics}]
  egress:
  - to:
    - podSelector: {matchLabels: {tier: %s}}
  - to:
    - ipBlock: {cidr: 10.%d.0.0/16, except: [10.%d.%d.0/24]}
    ports: [{protocol: TCP, port: 443}, {protocol: TCP, port: 8000, endPort: 8100}]
`, i, p, ns, i, client, t.port, tiers[(i+1)%len(tiers)].name, n%50, n%50, p%200)
			fmt.Fprint(w, "---\n")
		}
	}
}

// TestWriteBenchManifests writes the benchmark's cluster to a file for timing the CLI:
//
//	MOAT_NETPOL_BENCH_OUT=/tmp/netpol-5k.yaml go test ./internal/netpol/reach -run WriteBenchManifests
func TestWriteBenchManifests(t *testing.T) {
	out := os.Getenv("MOAT_NETPOL_BENCH_OUT")
	if out == "" {
		t.Skip("set MOAT_NETPOL_BENCH_OUT to write the benchmark manifests")
	}
	var buf bytes.Buffer
	genCluster(&buf, 100, 50, 20)
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkConns5k is the full `conns` of 5,000 workloads in 100 namespaces with 2,000
// NetworkPolicies: model, analysis and every connection, from a decoded inventory.
//
//	go test ./internal/netpol/reach -run '^$' -bench Conns5k -benchmem -count 5
func BenchmarkConns5k(b *testing.B) {
	var buf bytes.Buffer
	genCluster(&buf, 100, 50, 20)
	objs, errs := inventory.Decode(&buf, "bench.yaml")
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	inv := inventory.NewInventory(objs)
	if n := len(inv.Kind("Deployment")); n != 5001 {
		b.Fatalf("%d deployments", n)
	}
	if n := len(inv.Kind("NetworkPolicy")); n != 2000 {
		b.Fatalf("%d policies", n)
	}
	b.ReportAllocs()
	var conns int
	for b.Loop() {
		m := FromInventory(inv)
		conns = len(Analyze(m, Options{}).Connections())
	}
	b.ReportMetric(float64(conns), "conns")
}
