package report

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/netpol/reach"
)

// Endpoints that stand for pods: an owner's pods on one row, an owner shown on two
// rows, a pod on its own, and a workload from manifests.
func ownedConnsFixture() []reach.Connection {
	reviews := reach.Endpoint{Namespace: "shop", Kind: "Deployment", Name: "reviews", Group: "Deployment/reviews", Pods: 3}
	dbPrimary := reach.Endpoint{Namespace: "shop", Kind: "StatefulSet", Name: "db", Variant: "pod db-0", Group: "StatefulSet/db", Pods: 1}
	dbRest := reach.Endpoint{Namespace: "shop", Kind: "StatefulSet", Name: "db", Variant: "pods db-1,db-2", Group: "StatefulSet/db", Pods: 2}
	debug := reach.Endpoint{Namespace: "shop", Kind: "Pod", Name: "debug", Group: "Pod/debug", Pods: 1}
	web := reach.Endpoint{Namespace: "shop", Kind: "Deployment", Name: "web"}
	return []reach.Connection{
		{Src: web, Dst: reviews, Ports: reach.Port(reach.TCP, 9080)},
		{Src: reviews, Dst: dbPrimary, Ports: reach.Port(reach.TCP, 5432)},
		{Src: reviews, Dst: dbRest, Ports: reach.Port(reach.TCP, 5432)},
		{Src: debug, Dst: dbPrimary, Ports: reach.Port(reach.TCP, 5432)},
	}
}

func TestConnectionsOfPods(t *testing.T) {
	tests := []struct {
		format string
		want   []string
	}{
		{"table", []string{
			"shop/Deployment/web                 shop/Deployment/reviews (3 pods)          TCP/9080",
			"shop/Deployment/reviews (3 pods)    shop/StatefulSet/db [pod db-0] (1 pod)    TCP/5432",
			"shop/Deployment/reviews (3 pods)    shop/StatefulSet/db [pods db-1,db-2] (2 pods)  TCP/5432",
			"shop/Pod/debug                      shop/StatefulSet/db [pod db-0] (1 pod)    TCP/5432",
		}},
		{"csv", []string{
			`shop/Deployment/reviews (3 pods),"shop/StatefulSet/db [pods db-1,db-2] (2 pods)",TCP/5432`,
			"shop/Pod/debug,shop/StatefulSet/db [pod db-0] (1 pod),TCP/5432",
		}},
		{"dot", []string{
			`"shop/StatefulSet/db [pod db-0]" [label="StatefulSet/db [pod db-0] (1 pod)"];`,
			`"shop/Deployment/reviews" [label="Deployment/reviews (3 pods)"];`,
			`"shop/Deployment/web" [label="Deployment/web"];`,
			`"shop/Pod/debug" -> "shop/StatefulSet/db [pod db-0]" [label="TCP/5432"];`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			out := string(render(t, newRenderer(t, Connections, tt.format, Options{}), connSeq(ownedConnsFixture())))
			for _, w := range tt.want {
				if tt.format == "table" {
					w = strings.Join(strings.Fields(w), " ")
					out = strings.Join(strings.Fields(strings.ReplaceAll(out, "\n", " | ")), " ")
				}
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// JSON keeps namespace, kind and name, and adds group, pods, variant and pod only
// where they say something.
func TestConnectionsJSONOfPods(t *testing.T) {
	out := render(t, newRenderer(t, Connections, "json", Options{}), connSeq(ownedConnsFixture()))
	var doc struct {
		Connections []struct{ Src, Dst map[string]any }
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return strings.Fields(strings.Join(k, " "))
	}
	tests := []struct {
		name string
		e    map[string]any
		want string
	}{
		{"a workload from manifests", doc.Connections[0].Src, "kind name namespace"},
		{"an owner's pods", doc.Connections[0].Dst, "group kind name namespace pods"},
		{"an owner on two rows", doc.Connections[1].Dst, "group kind name namespace pods variant"},
	}
	for _, tt := range tests {
		if got := strings.Join(keys(tt.e), " "); got != tt.want {
			t.Errorf("%s: keys %s, want %s", tt.name, got, tt.want)
		}
	}
	if doc.Connections[0].Dst["pods"] != float64(3) || doc.Connections[1].Dst["variant"] != "pod db-0" {
		t.Errorf("values: %v %v", doc.Connections[0].Dst, doc.Connections[1].Dst)
	}
}
