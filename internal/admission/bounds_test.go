package admission

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// hugePod is a pod with n containers: 60,000 made an 2.4 MB request that took 23 s of CPU
// and 1 GB to judge, long after the API server had given up on the answer.
func hugePod(t testing.TB, n int) *admissionv1.AdmissionRequest {
	t.Helper()
	cs := make([]map[string]any, n)
	for i := range cs {
		cs[i] = map[string]any{"name": fmt.Sprintf("c%d", i), "image": "busybox:1.36"}
	}
	raw, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "huge", "namespace": "ops"}, "spec": map[string]any{"containers": cs}})
	if err != nil {
		t.Fatal(err)
	}
	return &admissionv1.AdmissionRequest{UID: "u-huge", Operation: admissionv1.Create, Namespace: "ops", Object: runtime.RawExtension{Raw: raw}}
}

func TestAHugeObjectIsRefusedNotJudgedForever(t *testing.T) {
	r := reviewer(t, "")
	for _, c := range []struct {
		name       string
		containers int
		deadline   time.Duration
		says       string
	}{
		{"more findings than a review holds", 60000, time.Minute, "too many findings"},
		{"past the deadline", 60000, time.Millisecond, "deadline exceeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), c.deadline)
			defer cancel()
			d := r.DecideContext(ctx, hugePod(t, c.containers))
			resp := d.Response
			if resp.Allowed || resp.Result == nil || resp.Result.Code != 500 || !strings.Contains(resp.Result.Message, c.says) {
				t.Fatalf("response %+v: want a refusal (500) saying %q", resp.Result, c.says)
			}
			if resp.UID != "u-huge" {
				t.Errorf("uid %q", resp.UID)
			}
		})
	}
}

// A big but plausible pod is still judged: the limit is far above real objects.
func TestAPodOf100ContainersIsJudged(t *testing.T) {
	d := reviewer(t, "").Decide(hugePod(t, 100))
	if d.Response.Result != nil && d.Response.Result.Code == 500 {
		t.Fatalf("not judged: %s", d.Response.Result.Message)
	}
	if len(d.Findings) == 0 {
		t.Error("no findings on 100 containers without securityContext")
	}
}
