package cluster

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ListError is a list that failed. Lost says whether it only lost coverage (the
// credentials may not list the kind, or the API server does not serve it): the scan goes
// on without the kind and reports it as partial. Any other failure is an input error.
type ListError struct {
	Kind      Kind
	Namespace string
	Err       error
}

func (e *ListError) Error() string {
	return fmt.Sprintf("cannot list %s %s: %s", e.Kind, scope(e.Kind, e.Namespace), e.reason())
}

func (e *ListError) Unwrap() error { return e.Err }

// Lost reports a failure that cost coverage rather than a failure of the scan: the
// kind is forbidden to the scanner or not served by the API server.
func (e *ListError) Lost() bool {
	return apierrors.IsForbidden(e.Err) || apierrors.IsNotFound(e.Err)
}

func (e *ListError) reason() string {
	switch {
	case apierrors.IsForbidden(e.Err):
		return fmt.Sprintf("missing RBAC %q on %q; %s objects are not in the scan", "list", e.Kind.String(), e.Kind.GVK.Kind)
	case apierrors.IsNotFound(e.Err):
		return fmt.Sprintf("the API server does not serve %s in %s; %s objects are not in the scan", e.Kind.Resource, e.Kind.GVK.GroupVersion(), e.Kind.GVK.Kind)
	default:
		return e.Err.Error()
	}
}

// scope says where a list looked: "in namespace \"shop\"", "in all namespaces", or
// "(cluster-scoped)".
func scope(k Kind, ns string) string {
	switch {
	case !k.Namespaced:
		return "(cluster-scoped)"
	case ns == "":
		return "in all namespaces"
	default:
		return fmt.Sprintf("in namespace %q", ns)
	}
}
