package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// startImageServe runs the fixture registry (internal/image/imagescan/imageserve) and
// returns its host:port and the OSV database directory it wrote.
func startImageServe(t *testing.T, extra ...string) (host, db string) {
	return startImageServeTB(t, extra...)
}

func startImageServeTB(t testing.TB, extra ...string) (host, db string) {
	t.Helper()
	db = t.TempDir()
	cmd := exec.Command(tool(t, "imageserve"), append([]string{"-db", db}, extra...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("imageserve: %v", err)
	}
	return strings.TrimSpace(line), db
}

// TestImageScanCluster applies workloads whose images are in a registry on loopback to
// a real API server: `moat image scan --cluster` reads each distinct image once, finds
// each vulnerable image once and names every workload that runs it; a second scan takes
// every image from the cache.
func TestImageScanCluster(t *testing.T) {
	ctx := context.Background()
	c := kubetest.Start(t, kubetest.WithControllerManager())
	cs := kubernetes.NewForConfigOrDie(c.RESTConfig())
	host, db := startImageServe(t)
	ensureNamespace(t, cs, "shop")
	workloads := map[string]string{ // Deployment → image
		"api-a": "shop/api:1", "api-b": "shop/api:1", "api-c": "shop/api:1",
		"api-prod": "shop/api:prod", "worker": "shop/worker:2", "web": "shop/web:3",
	}
	for name, img := range workloads {
		d := newDeployment("shop", name, 1, map[string]string{"app": name}, corev1.PodSpec{
			Containers: []corev1.Container{{Name: "app", Image: host + "/" + img}},
		})
		if _, err := cs.AppsV1().Deployments("shop").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kc := kubeconfigFor(t, c.RESTConfig())
	cache := t.TempDir()
	scanImages := func() (report, run) {
		r := moat(t, "image", "scan", "--cluster", "--kubeconfig", kc, "--insecure-registry", "--db", db, "--cache-dir", cache, "-o", "json")
		if r.code != 1 {
			t.Fatalf("moat image scan --cluster: exit %d, want 1\n%s", r.code, r.stderr)
		}
		var rep report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep, r
	}
	rep, r := scanImages()
	byImage := map[string][]finding{}
	for _, f := range rep.Findings {
		byImage[f.Resource.Name] = append(byImage[f.Resource.Name], f)
	}
	want := map[string][]string{ // image → workloads its finding names
		host + "/shop/api:1":    {"Deployment/shop/api-a", "Deployment/shop/api-b", "Deployment/shop/api-c"},
		host + "/shop/api:prod": {"Deployment/shop/api-prod"},
		host + "/shop/worker:2": {"Deployment/shop/worker"},
	}
	for img, ws := range want {
		fs := byImage[img]
		if len(fs) != 1 || fs[0].RuleID != "image/vulnerability" {
			t.Errorf("%s: findings %+v, want one image/vulnerability", img, fs)
			continue
		}
		if !strings.Contains(fs[0].Message, "run by "+strings.Join(ws, ", ")) {
			t.Errorf("%s: %q does not name %v", img, fs[0].Message, ws)
		}
	}
	if fs := byImage[host+"/shop/web:3"]; len(fs) != 0 {
		t.Errorf("the clean Alpine image has findings %+v", fs)
	}
	if !strings.Contains(r.stderr, "4 image references, 3 distinct images: 3 read, 0 from the cache") {
		t.Errorf("first scan: %s", r.stderr)
	}
	start := time.Now()
	_, r = scanImages()
	if !strings.Contains(r.stderr, "4 image references, 3 distinct images: 0 read, 3 from the cache") {
		t.Errorf("second scan: %s", r.stderr)
	}
	t.Logf("warm-cache rescan of the cluster: %s", time.Since(start))
}
