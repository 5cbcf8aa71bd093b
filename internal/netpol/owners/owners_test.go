package owners

import (
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

func loadFixture(t *testing.T) *inventory.Inventory {
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

func TestOf(t *testing.T) {
	inv := loadFixture(t)
	ix := NewIndex(inv)
	tests := []struct {
		name, ns, kind, obj string
		group               Ref
		via                 []Ref
	}{
		{"a pod of a ReplicaSet in the input belongs to the ReplicaSet's Deployment", "shop", "Pod", "web-7c9d-aaaaa", Ref{"Deployment", "web"}, []Ref{{"ReplicaSet", "web-7c9d"}}},
		{"a pod of a ReplicaSet not in the input belongs to the ReplicaSet", "shop", "Pod", "api-5f6b-bbbbb", Ref{"ReplicaSet", "api-5f6b"}, nil},
		{"a pod of a Job in the input belongs to the Job's CronJob", "shop", "Pod", "backup-29001440-ccccc", Ref{"CronJob", "backup"}, []Ref{{"Job", "backup-29001440"}}},
		{"a pod of a StatefulSet belongs to it", "shop", "Pod", "db-0", Ref{"StatefulSet", "db"}, nil},
		{"a bare pod is its own group", "shop", "Pod", "debug", Ref{"Pod", "debug"}, nil},
		{"an owner that is not the controller groups nothing", "shop", "Pod", "toolbox", Ref{"Pod", "toolbox"}, nil},
		{"a namesake ReplicaSet with another uid says nothing about the pod", "shop", "Pod", "cart-6d8f-ddddd", Ref{"ReplicaSet", "cart-6d8f"}, nil},
		{"a ReplicaSet of the same name in another namespace says nothing", "other", "Pod", "web-7c9d-eeeee", Ref{"ReplicaSet", "web-7c9d"}, nil},
		{"a ReplicaSet belongs to its Deployment", "shop", "ReplicaSet", "web-7c9d", Ref{"Deployment", "web"}, nil},
		{"a Job belongs to its CronJob", "shop", "Job", "backup-29001440", Ref{"CronJob", "backup"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := inv.Find(tt.kind, tt.ns, tt.obj)
			if o == nil {
				t.Fatalf("fixture lacks %s %s/%s", tt.kind, tt.ns, tt.obj)
			}
			group, via := ix.Of(o)
			if group != tt.group || !slices.Equal(via, tt.via) {
				t.Errorf("Of = %v via %v, want %v via %v", group, via, tt.group, tt.via)
			}
		})
	}
}

func TestTemplateLabels(t *testing.T) {
	tests := []struct {
		name     string
		in, want map[string]string
	}{
		{"a Deployment's pod loses its ReplicaSet's hash",
			map[string]string{"app": "web", "pod-template-hash": "7c9d"}, map[string]string{"app": "web"}},
		{"a StatefulSet's pod loses its name, ordinal and revision",
			map[string]string{"app": "db", "statefulset.kubernetes.io/pod-name": "db-0", "apps.kubernetes.io/pod-index": "0", "controller-revision-hash": "db-6f8d"},
			map[string]string{"app": "db"}},
		{"a Job's pod loses its Job's name and uid, old and new keys",
			map[string]string{"app": "b", "batch.kubernetes.io/job-name": "b-1", "batch.kubernetes.io/controller-uid": "u", "job-name": "b-1", "controller-uid": "u"},
			map[string]string{"app": "b"}},
		{"a DaemonSet's pod loses its generation",
			map[string]string{"app": "agent", "pod-template-generation": "3", "controller-revision-hash": "7b5d"}, map[string]string{"app": "agent"}},
		{"deployment is per pod beside deploymentconfig (OpenShift)",
			map[string]string{"deploymentconfig": "web", "deployment": "web-3"}, map[string]string{"deploymentconfig": "web"}},
		{"deployment alone is an ordinary label",
			map[string]string{"deployment": "web"}, map[string]string{"deployment": "web"}},
		{"labels a person wrote stay", map[string]string{"app": "web", "release": "canary"}, map[string]string{"app": "web", "release": "canary"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := maps.Clone(tt.in)
			if got := TemplateLabels(tt.in); !maps.Equal(got, tt.want) {
				t.Errorf("TemplateLabels = %v, want %v", got, tt.want)
			}
			if !maps.Equal(tt.in, in) {
				t.Errorf("TemplateLabels changed its argument: %v", tt.in)
			}
		})
	}
}

// Every per-pod label says why it is one.
func TestPerPodLabelsSayWhy(t *testing.T) {
	for _, l := range PerPodLabels {
		if l.Key == "" || l.Why == "" || !IsPerPod(l.Key) {
			t.Errorf("%+v: key and reason wanted", l)
		}
	}
}
