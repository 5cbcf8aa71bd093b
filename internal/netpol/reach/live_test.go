package reach

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

// Read from a cluster, a Deployment's pods (through their ReplicaSet) lend it their
// IPs, so that an ipBlock naming a pod IP matches the Deployment; the pods themselves
// are not nodes of the graph.
const liveFixture = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, uid: d-1}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-5d8f
  namespace: shop
  uid: rs-1
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: d-1, controller: true}]
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-5d8f-abcde
  namespace: shop
  labels: {app: api}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-5d8f, uid: rs-1, controller: true}]
spec: {containers: [{name: api, image: api}]}
status: {podIP: 10.244.1.7, podIPs: [{ip: 10.244.1.7}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c, image: c}]}
status: {podIP: 10.244.2.9}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.244.1.0/24}}]
    ports: [{port: 443}]
`

func TestLivePodIPs(t *testing.T) {
	objs, errs := inventory.Decode(strings.NewReader(liveFixture), "live.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	m := FromInventory(inventory.NewInventory(objs))
	var names []string
	for _, w := range m.Workloads {
		names = append(names, w.Kind+"/"+w.Name)
	}
	if strings.Join(names, " ") != "Deployment/api Pod/client" {
		t.Fatalf("workloads %v, want the Deployment and the bare pod", names)
	}
	if got := m.Workloads[0].IPs; len(got) != 1 || got[0].String() != "10.244.1.7" {
		t.Errorf("api IPs %v, want its pod's", got)
	}
	a := Analyze(m, Options{})
	client, api := a.Index(Endpoint{Namespace: "shop", Kind: "Pod", Name: "client"}), a.Index(Endpoint{Namespace: "shop", Kind: "Deployment", Name: "api"})
	if got := a.Ports(client, api).String(); got != "TCP/443" {
		t.Errorf("client → api = %s, want TCP/443 through the ipBlock", got)
	}
	if got := a.Index(Endpoint{IPBlock: "10.244.1.7"}); got != api {
		t.Errorf("the pod IP names endpoint %d, want the Deployment %d", got, api)
	}
	e, err := a.Explain(Endpoint{Namespace: "shop", Kind: "Pod", Name: "client"}, Endpoint{IPBlock: "10.244.1.7"}, nil)
	if err != nil || !strings.Contains(e.Verdict, "shop/Deployment/api on TCP/443 only") {
		t.Errorf("explain to the pod IP: %v\n%v", err, e)
	}
}
