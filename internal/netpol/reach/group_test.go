package reach

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

func loadOwnersFixture(t *testing.T) *inventory.Inventory {
	t.Helper()
	f, err := os.Open("testdata/owners.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs, errs := inventory.Decode(f, "testdata/owners.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return inventory.NewInventory(objs)
}

func rowNames(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s (%d)", r.Endpoint, r.Pods))
	}
	return out
}

func TestOwnerRows(t *testing.T) {
	a := Analyze(FromInventoryWith(loadOwnersFixture(t), ModelOptions{PodsApart: true}), Options{})
	rows, notes := a.OwnerRows()
	want := []string{
		"app/Deployment/api [!track] (2)",
		"app/Deployment/api [track=canary] (1)",
		"app/Deployment/front (1)",
		"app/Deployment/web (0)",
		"app/StatefulSet/cache [pod cache-0] (1)",
		"app/StatefulSet/cache [pod cache-1] (1)",
		"mon/DaemonSet/agent [ip in 10.1.0.0/16] (1)",
		"mon/DaemonSet/agent [ip in no ipBlock] (2)",
		"mon/DaemonSet/logs (2)",
	}
	if got := rowNames(rows); !slices.Equal(got, want) {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantNotes := []string{
		"app/Deployment/api: shown on 2 rows: its pods have different labels; [!track] 2 pods, [track=canary] 1 pod",
		"app/StatefulSet/cache: shown on 2 rows: policies treat some of its pods differently (they differ in the per-pod labels apps.kubernetes.io/pod-index, statefulset.kubernetes.io/pod-name); [pod cache-0] 1 pod, [pod cache-1] 1 pod",
		"mon/DaemonSet/agent: shown on 2 rows: an ipBlock holds the IPs of some of its pods only; [ip in 10.1.0.0/16] 1 pod, [ip in no ipBlock] 2 pods",
	}
	if !slices.Equal(notes, wantNotes) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(wantNotes, "\n"))
	}
	for _, r := range rows {
		if (r.Pods > 0) != (r.Group != "") || (r.Group != "" && r.Group != r.Kind+"/"+r.Name) {
			t.Errorf("%s: group %q with %d pods", r.Endpoint, r.Group, r.Pods)
		}
	}
}

// A row never hides a difference: every pod of a row has, towards every pod of every
// row and every outside range, the ports the row's connection gives.
func TestOwnerRowsAreExact(t *testing.T) {
	a := Analyze(FromInventoryWith(loadOwnersFixture(t), ModelOptions{PodsApart: true}), Options{})
	rows, _ := a.OwnerRows()
	byRow := map[[2]string]PortSet{}
	for c := range a.ConnectionsOf(rows).All() {
		byRow[[2]string{c.Src.String(), c.Dst.String()}] = c.Ports
	}
	nc := a.NumClasses()
	endpoints := func(r Row) []int {
		var out []int
		for _, w := range r.Members {
			out = append(out, a.Workload(w))
		}
		return out
	}
	checked := 0
	for _, s := range rows {
		for _, d := range rows {
			want := byRow[[2]string{s.String(), d.String()}]
			for _, si := range endpoints(s) {
				for _, di := range endpoints(d) {
					checked++
					if got := a.Ports(si, di); !got.Equal(want) {
						t.Errorf("%s -> %s: a member pair has %s, the row %s", s.Endpoint, d.Endpoint, got, want)
					}
				}
			}
		}
		for i := nc; i < a.NumEndpoints(); i++ {
			ext := a.Outside(i).String()
			for _, si := range endpoints(s) {
				if got, want := a.Ports(si, i), byRow[[2]string{s.String(), ext}]; !got.Equal(want) {
					t.Errorf("%s -> %s: a member has %s, the row %s", s.Endpoint, ext, got, want)
				}
				if got, want := a.Ports(i, si), byRow[[2]string{ext, s.String()}]; !got.Equal(want) {
					t.Errorf("%s -> %s: a member has %s, the row %s", ext, s.Endpoint, got, want)
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d member pairs checked", checked)
	}
}

// Without PodsApart the rows are the workloads as before: a controller read with its
// pods stands for them, other pods are rows of their own, and the connections are
// those of ConnectionSet.
func TestWorkloadRowsAreTheWorkloads(t *testing.T) {
	a := Analyze(FromInventory(loadOwnersFixture(t)), Options{})
	var got, want []string
	for c := range a.ConnectionsOf(a.WorkloadRows()).All() {
		got = append(got, c.Src.String()+" "+c.Dst.String()+" "+c.Ports.String())
	}
	for c := range a.ConnectionSet().All() {
		want = append(want, c.Src.String()+" "+c.Dst.String()+" "+c.Ports.String())
	}
	if !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("WorkloadRows connections differ from ConnectionSet:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rows := a.WorkloadRows()
	find := func(name string) Endpoint {
		for _, r := range rows {
			if r.String() == name {
				return r.Endpoint
			}
		}
		t.Fatalf("no row %s", name)
		return Endpoint{}
	}
	if e := find("app/Pod/cache-0"); e.Pod != "cache-0" || e.Group != "StatefulSet/cache" || e.Pods != 0 {
		t.Errorf("pod row %+v: want its pod and group, no count", e)
	}
	if e := find("app/Deployment/front"); e.Pod != "" || e.Group != "Deployment/front" {
		t.Errorf("controller row with pods %+v: want its group", e)
	}
	if e := find("app/Deployment/web"); e.Group != "" || e.Pod != "" {
		t.Errorf("manifest row %+v: want no group or pod", e)
	}
}

// Pod IPs enter a class by the outside range that holds them: pods of one template
// whose IPs no policy tells apart are one class, however many IPs they have.
func TestClassesByAddressRange(t *testing.T) {
	a := Analyze(FromInventoryWith(loadOwnersFixture(t), ModelOptions{PodsApart: true}), Options{})
	class := func(pod string) int {
		for _, w := range a.Model.Workloads {
			if w.Kind == "Pod" && w.Name == pod {
				return a.Workload(w)
			}
		}
		t.Fatalf("no pod %s", pod)
		return -1
	}
	tests := []struct {
		a, b string
		same bool
	}{
		{"logs-x", "logs-y", true},    // 10.3.0.1 and 10.4.0.1: no CIDR between them
		{"agent-y", "agent-z", true},  // 10.2.0.5 and 10.2.0.6
		{"agent-x", "agent-y", false}, // 10.1.0.0/16 holds one of them
		{"api-7f-a", "api-7f-b", true},
		{"cache-0", "cache-1", false}, // labels differ
	}
	for _, tt := range tests {
		if got := class(tt.a) == class(tt.b); got != tt.same {
			t.Errorf("%s and %s in one class: %t, want %t", tt.a, tt.b, got, tt.same)
		}
	}
	// Every pod's IP still names its class.
	for _, pod := range []string{"logs-x", "logs-y"} {
		for _, w := range a.Model.Workloads {
			if w.Name == pod {
				if got := a.Index(Endpoint{IPBlock: w.IPs[0].String()}); got != class(pod) {
					t.Errorf("the IP of %s names endpoint %d, want its class %d", pod, got, class(pod))
				}
			}
		}
	}
}

func TestExplainByOwner(t *testing.T) {
	a := Analyze(FromInventoryWith(loadOwnersFixture(t), ModelOptions{PodsApart: true}), Options{})
	tests := []struct {
		name     string
		src, dst Endpoint
		verdict  string // a part of the verdict; "" for an error
		err      string
	}{
		{"by the Deployment whose pods stand for it", Endpoint{Namespace: "app", Kind: "Deployment", Name: "front"}, Endpoint{Namespace: "app", Kind: "Pod", Name: "cache-0"}, "Allowed", ""},
		{"by a pod", Endpoint{Namespace: "app", Kind: "Pod", Name: "front-1-a"}, Endpoint{Namespace: "app", Kind: "Pod", Name: "cache-1"}, "Denied", ""},
		{"by the ReplicaSet between pods and Deployment", Endpoint{Namespace: "app", Kind: "ReplicaSet", Name: "front-1"}, Endpoint{Namespace: "app", Kind: "Pod", Name: "cache-0"}, "Allowed", ""},
		{"by an owner whose labels differ but whose pods policies treat alike as sources", Endpoint{Namespace: "mon", Kind: "DaemonSet", Name: "logs"}, Endpoint{Namespace: "app", Kind: "Pod", Name: "api-9c-a"}, "Allowed", ""},
		{"by an owner whose pods policies treat differently", Endpoint{Namespace: "app", Kind: "Deployment", Name: "front"}, Endpoint{Namespace: "app", Kind: "StatefulSet", Name: "cache"}, "", "name one of its pods, such as app/Pod/cache-1"},
		{"by an owner not in the input", Endpoint{Namespace: "app", Kind: "Deployment", Name: "nope"}, Endpoint{Namespace: "app", Kind: "Pod", Name: "cache-0"}, "", "app/Deployment/nope is not a workload or address of the inputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := a.Explain(tt.src, tt.dst, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(e.Verdict, tt.verdict) {
				t.Errorf("verdict %q, want %s", e.Verdict, tt.verdict)
			}
		})
	}
}

// Explained by a pod's IP, with pods apart, the pod is named with its owner.
func TestExplainByPodIPNamesTheOwner(t *testing.T) {
	a := Analyze(FromInventoryWith(loadOwnersFixture(t), ModelOptions{PodsApart: true}), Options{})
	e, err := a.Explain(Endpoint{Namespace: "app", Kind: "Pod", Name: "front-1-a"}, Endpoint{IPBlock: "10.9.1.1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "app/Pod/cache-0 (of StatefulSet/cache)"; !strings.Contains(e.Verdict, want) {
		t.Errorf("verdict %q does not name %s", e.Verdict, want)
	}
}
