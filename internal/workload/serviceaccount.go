package workload

// Service-account lookups shared by the pod/default-service-account,
// pod/service-account-token-automount and sa/token-automount rules.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// serviceAccountName is the service account a pod runs as, after API defaulting:
// serviceAccountName, else the deprecated serviceAccount field, else "default".
// field is the field of the pod spec that names it, or that would ("serviceAccountName"):
// its path is only made for a finding.
func serviceAccountName(p podspec.Pod) (name, field string) {
	switch {
	case p.Spec.ServiceAccountName != "":
		return p.Spec.ServiceAccountName, "serviceAccountName"
	case p.Spec.DeprecatedServiceAccount != "":
		return p.Spec.DeprecatedServiceAccount, "serviceAccount"
	}
	return "default", "serviceAccountName"
}

// findServiceAccount returns the ServiceAccount of the inventory with this name in the
// object's namespace, or nil. At admission the inventory holds only the object under
// review and the result is nil.
func findServiceAccount(c *rule.Context, o *inventory.Object, name string) *corev1.ServiceAccount {
	if c.Inventory == nil {
		return nil
	}
	// By name, not by a walk over every ServiceAccount: once per pod, that walk made
	// the rules quadratic in a large cluster.
	for _, so := range c.Inventory.Named("ServiceAccount", o.EffectiveNamespace(), name) {
		if sa, ok := so.Obj.(*corev1.ServiceAccount); ok {
			return sa
		}
	}
	return nil
}
