package reach

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

// FuzzOwnerRows reads pods and owners as a pod list gives them (ownerReferences,
// labels and IPs are whatever the input says) and groups them: no panic, and every
// workload is on exactly one row.
func FuzzOwnerRows(f *testing.F) {
	// Small seeds: the fuzzer makes little headway mutating the 7 kB of
	// testdata/owners.yaml (a few executions a minute), and much with these.
	f.Add("apiVersion: v1\nkind: Pod\nmetadata: {name: p, ownerReferences: [{kind: ReplicaSet, name: p, controller: true}]}\nspec: {containers: [{name: c}]}\nstatus: {podIP: '::1'}\n")
	f.Add(`apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: a-1, namespace: n, ownerReferences: [{kind: Deployment, name: a, controller: true}]}
spec: {template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c}]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: a-1-x, namespace: n, labels: {app: a, pod-template-hash: "1"}, ownerReferences: [{kind: ReplicaSet, name: a-1, controller: true}]}
spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: a-1-y, namespace: n, labels: {app: a, pod-template-hash: "1", x: y}, ownerReferences: [{kind: ReplicaSet, name: a-1, controller: true}]}
spec: {containers: [{name: c}]}
status: {podIP: 10.1.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: n}
spec: {podSelector: {matchLabels: {x: y}}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16}}]}]}
`)
	f.Fuzz(func(t *testing.T, doc string) {
		objs, _ := inventory.Decode(strings.NewReader(doc), "fuzz.yaml")
		a := Analyze(FromInventoryWith(inventory.NewInventory(objs), ModelOptions{PodsApart: true}), Options{})
		rows, _ := a.OwnerRows()
		seen := map[*Workload]int{}
		for _, r := range rows {
			for _, w := range r.Members {
				seen[w]++
			}
		}
		for _, w := range a.Model.Workloads {
			if seen[w] != 1 {
				t.Errorf("%s is on %d rows", w.Ref(), seen[w])
			}
		}
		for range a.ConnectionsOf(rows).All() {
		}
	})
}
