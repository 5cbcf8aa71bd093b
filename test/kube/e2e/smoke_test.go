// Package e2e holds Moat's end-to-end tests against a real control plane
// started by kubetest.
package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// The control plane is the real thing: the pinned release, default admission,
// RBAC authorization, service-account tokens and client certificates.
func TestSmoke(t *testing.T) {
	c := kubetest.Start(t, kubetest.WithControllerManager())
	ctx := t.Context()
	admin := kubernetes.NewForConfigOrDie(c.RESTConfig())

	v, err := admin.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != kubetest.KubernetesVersion {
		t.Errorf("server version %s, want %s", v.GitVersion, kubetest.KubernetesVersion)
	}

	const ns = "smoke"
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The service-account controller gives the namespace its "default"
	// account; the ServiceAccount admission plugin refuses pods without it.
	eventually(t, "service account smoke/default", func() (bool, error) {
		_, err := admin.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "nginx", Image: "nginx:1.27",
			SecurityContext: &corev1.SecurityContext{Privileged: new(true)},
		}}},
	}
	created, err := admin.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Admission ran: the service account and its token volume were added.
	if created.Spec.ServiceAccountName != "default" {
		t.Errorf("pod serviceAccountName = %q, want default set by admission", created.Spec.ServiceAccountName)
	}
	if !hasProjectedToken(created) {
		t.Errorf("pod has no projected service-account token volume: %+v", created.Spec.Volumes)
	}

	// A SubjectAccessReview answers for the admin and for a bare service account.
	reader := "system:serviceaccount:" + ns + ":reader"
	for _, tc := range []struct {
		user   string
		groups []string
		want   bool
	}{
		{kubetest.AdminUser, []string{"system:masters"}, true},
		{reader, []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}, false},
	} {
		sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{
				User: tc.user, Groups: tc.groups,
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "list", Resource: "pods"},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sar.Status.Allowed != tc.want {
			t.Errorf("SubjectAccessReview list pods for %s: allowed=%v (%s), want %v", tc.user, sar.Status.Allowed, sar.Status.Reason, tc.want)
		}
	}

	// The service account, authenticated by a TokenRequest token, may not
	// list pods until RBAC binds it to a role that allows it.
	saCfg, err := c.ServiceAccountConfig(ctx, ns, "reader")
	if err != nil {
		t.Fatal(err)
	}
	sa := kubernetes.NewForConfigOrDie(saCfg)
	checkIdentity(t, ctx, saCfg, reader, "system:serviceaccounts:"+ns)
	_, err = sa.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("service account without bindings listing pods: err = %v, want Forbidden", err)
	}
	bindPodReader(t, ctx, admin, ns, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "reader", Namespace: ns})
	eventually(t, "service account lists pods once bound", func() (bool, error) {
		pods, err := sa.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if apierrors.IsForbidden(err) {
			return false, nil
		}
		return err == nil && len(pods.Items) == 1, err
	})

	// A user with a client certificate from the cluster's CA is who the
	// certificate says, and is not allowed anything either.
	userCfg, err := c.UserConfig("alice", "devs")
	if err != nil {
		t.Fatal(err)
	}
	checkIdentity(t, ctx, userCfg, "alice", "devs")
	if _, err := kubernetes.NewForConfigOrDie(userCfg).CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("user alice listing pods: err = %v, want Forbidden", err)
	}

	// ClusterRole aggregation ran: "view" holds the rules of system:aggregate-to-view.
	view, err := admin.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Rules) == 0 {
		t.Error("ClusterRole view has no rules: aggregation did not run")
	}
}

func hasProjectedToken(p *corev1.Pod) bool {
	for _, v := range p.Spec.Volumes {
		if strings.HasPrefix(v.Name, "kube-api-access-") && v.Projected != nil {
			return true
		}
	}
	return false
}

// checkIdentity asks the API server who cfg authenticates as.
func checkIdentity(t *testing.T, ctx context.Context, cfg *rest.Config, user, group string) {
	t.Helper()
	r, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectReview as %s: %v", user, err)
	}
	got := r.Status.UserInfo
	if got.Username != user || !slices.Contains(got.Groups, group) {
		t.Errorf("authenticated as %s %v, want %s in group %s", got.Username, got.Groups, user, group)
	}
}

func bindPodReader(t *testing.T, ctx context.Context, admin kubernetes.Interface, ns string, subject rbacv1.Subject) {
	t.Helper()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-reader"},
		Subjects:   []rbacv1.Subject{subject},
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond for up to 30 seconds: controllers and the RBAC
// authorizer's caches act shortly after a write, not during it.
func eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		var ok bool
		if ok, err = cond(); ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not true after 30s (last error: %v)", what, err)
}
