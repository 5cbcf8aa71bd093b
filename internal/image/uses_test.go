package image

import (
	"fmt"
	"slices"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

func TestUsesGroupsContainersByImage(t *testing.T) {
	objs, errs := inventory.DecodeFile("testdata/uses.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	uses := Uses(inventory.NewInventory(objs))
	type want struct {
		image       string
		workloads   []string
		pullSecrets []string
	}
	wants := []want{
		{"registry.example/proxy@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
			[]string{"Deployment/shop/web proxy testdata/uses.yaml:20"}, []string{"shop/pod-pull", "shop/sa-pull"}},
		{"registry.example/web:1.2", []string{
			"Deployment/shop/web migrate testdata/uses.yaml:17",
			"Deployment/shop/web web testdata/uses.yaml:19",
			"CronJob/tools/report report testdata/uses.yaml:33",
		}, []string{"shop/pod-pull", "shop/sa-pull"}},
	}
	if len(uses) != len(wants) {
		t.Fatalf("%d images, want %d: %+v", len(uses), len(wants), uses)
	}
	for i, w := range wants {
		u := uses[i]
		var got []string
		for _, wl := range u.Workloads {
			got = append(got, fmt.Sprintf("%s/%s/%s %s %s", wl.Resource.Kind, wl.Resource.Namespace, wl.Resource.Name, wl.Container, wl.Source))
		}
		if u.Image != w.image || !slices.Equal(got, w.workloads) || !slices.Equal(u.PullSecrets, w.pullSecrets) {
			t.Errorf("image %d:\n got %s %q %q\nwant %s %q %q", i, u.Image, got, u.PullSecrets, w.image, w.workloads, w.pullSecrets)
		}
	}
}
