package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// TestAdmissionRequiresSignatures runs the webhook with a signing policy that requires
// the loopback registry's images to be signed by a key: through the real API server, a
// pod of the unsigned image is denied naming image/signature-missing, and a pod of the
// signed one is admitted.
func TestAdmissionRequiresSignatures(t *testing.T) {
	ctx := context.Background()
	c := kubetest.Start(t)
	cs := kubernetes.NewForConfigOrDie(c.RESTConfig())
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "release.pub")
	host, _ := startImageServe(t, "-sign-key", keyFile)
	port := freePort(t)
	wh := startWebhook(t, c, dir, port, fmt.Sprintf(`
images:
  signatures:
    rules:
    - images: ["%s/shop/**"]
      keys: [%s]
admission:
  exempt:
    namespaces: [kube-system]
`, host, keyFile), "--insecure-registry")
	vwc := printedWebhookConfiguration(t, wh.url+"/validate", c.CACert())
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ensureNamespace(t, cs, "shop")
	withImage := func(img string) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Spec.Containers[0].Image = host + "/" + img }
	}

	var denial error
	eventuallyNil(t, "the webhook never denied the unsigned image", func() error {
		_, denial = cs.CoreV1().Pods("shop").Create(ctx, pod("shop", "unsigned", withImage("shop/unsigned:1")), metav1.CreateOptions{})
		if denial == nil {
			_ = cs.CoreV1().Pods("shop").Delete(ctx, "unsigned", metav1.DeleteOptions{})
			return fmt.Errorf("admitted")
		}
		return nil
	})
	if msg := denial.Error(); !strings.Contains(msg, "image/signature-missing") {
		t.Errorf("the denial does not name image/signature-missing: %s\nwebhook log:\n%s", msg, wh.stderr)
	}
	if _, err := cs.CoreV1().Pods("shop").Create(ctx, pod("shop", "signed", withImage("shop/signed:1")), metav1.CreateOptions{}); err != nil {
		t.Errorf("the signed image was refused: %v\nwebhook log:\n%s", err, wh.stderr)
	}
}
