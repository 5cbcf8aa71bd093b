package cluster

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestListErrorClassification(t *testing.T) {
	secrets := kindNamed(t, "Secret")
	deployments := kindNamed(t, "Deployment")
	clusterRoles := kindNamed(t, "ClusterRole")
	cronJobs := kindNamed(t, "CronJob")
	forbidden := func(k Kind) error {
		return apierrors.NewForbidden(k.GVR().GroupResource(), "", errors.New(`User "system:serviceaccount:moat-system:moat" cannot list resource`))
	}
	tests := []struct {
		name     string
		err      *ListError
		wantLost bool
		want     string
	}{
		{
			"secrets forbidden in one namespace",
			&ListError{Kind: secrets, Namespace: "shop", Err: forbidden(secrets)},
			true,
			`cannot list secrets in namespace "shop": missing RBAC "list" on "secrets"; Secret objects are not in the scan`,
		},
		{
			"deployments forbidden cluster-wide name their API group",
			&ListError{Kind: deployments, Err: forbidden(deployments)},
			true,
			`cannot list deployments.apps in all namespaces: missing RBAC "list" on "deployments.apps"; Deployment objects are not in the scan`,
		},
		{
			"a cluster-scoped kind has no namespace",
			&ListError{Kind: clusterRoles, Namespace: "shop", Err: forbidden(clusterRoles)},
			true,
			`cannot list clusterroles.rbac.authorization.k8s.io (cluster-scoped): missing RBAC "list" on "clusterroles.rbac.authorization.k8s.io"; ClusterRole objects are not in the scan`,
		},
		{
			"a kind the API server does not serve",
			&ListError{Kind: cronJobs, Err: apierrors.NewNotFound(schema.GroupResource{Group: "batch", Resource: "cronjobs"}, "")},
			true,
			`cannot list cronjobs.batch in all namespaces: the API server does not serve cronjobs in batch/v1; CronJob objects are not in the scan`,
		},
		{
			"a forbidden discovery wrapped in context still only loses coverage",
			&ListError{Kind: secrets, Err: fmt.Errorf("discovery of v1: %w", forbidden(secrets))},
			true,
			`cannot list secrets in all namespaces: missing RBAC "list" on "secrets"; Secret objects are not in the scan`,
		},
		{
			"a server timeout is an error of the scan",
			&ListError{Kind: secrets, Err: apierrors.NewServerTimeout(secrets.GVR().GroupResource(), "list", 1)},
			false,
			`cannot list secrets in all namespaces: The list operation against secrets could not be completed at this time, please try again.`,
		},
		{
			"an expired continue token is an error of the scan",
			&ListError{Kind: deployments, Namespace: "shop", Err: apierrors.NewResourceExpired("the provided continue parameter is too old")},
			false,
			`cannot list deployments.apps in namespace "shop": the provided continue parameter is too old`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Lost(); got != tc.wantLost {
				t.Errorf("Lost() = %v, want %v", got, tc.wantLost)
			}
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("message\n got %s\nwant %s", got, tc.want)
			}
			if !errors.Is(tc.err, tc.err.Err) {
				t.Error("the cause does not unwrap")
			}
		})
	}
}
