// Rule api/removed-version: objects should not be written with an API version that
// Kubernetes no longer serves. The version is the one written in the manifest (the
// inventory keeps it even when it decodes the object into a newer type). Such a
// manifest is rejected by an up-to-date cluster, so its security settings never apply;
// an object of that version read from a cluster means the cluster runs an end-of-life
// release. The table of versions is in apis.go, with its sources.
package apiversion

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "api/removed-version",
			Title:    "Object uses a removed API version",
			Severity: finding.Medium,
			Description: fmt.Sprintf(`An object is written with an API version that Kubernetes 1.%d no longer serves, such as
extensions/v1beta1 Deployments and Ingresses, policy/v1beta1 PodSecurityPolicy and
PodDisruptionBudget, batch/v1beta1 CronJob or autoscaling/v2beta2. An API server that
does not serve the version rejects the manifest, so the controls it carries are not
applied, and clusters that still accept it run an unsupported release without security
fixes. The table follows the Kubernetes Deprecated API Migration Guide, the release
notes, and the API lifecycle tags of k8s.io/api. NSA/CISA Kubernetes Hardening Guide,
upgrading and application security practices.`, LatestMinor),
			Remediation: "Rewrite the manifest with the replacement API version named in the finding (kubectl convert helps), review the fields that changed, and upgrade clusters that still serve the old version.",
			Frameworks:  finding.Frameworks{NSA: nsaUpgrading},
			Kinds:       []string{"*"},
		},
		Object: checkRemovedVersion,
		CEL:    &rule.CEL{Unexportable: "a removed API version is refused by the API server before admission"},
	})
}

func checkRemovedVersion(_ *rule.Context, o *inventory.Object) []rule.Result {
	l, ok := lifecycleOf(o.GVK)
	if !ok || !l.removed() {
		return nil
	}
	return []rule.Result{{
		Message: fmt.Sprintf("%s %s is no longer served since Kubernetes 1.%d%s; %s", o.GVK.GroupVersion(), o.GVK.Kind, l.Removed, deprecatedSince(l), l.migrateTo()),
		Path:    "apiVersion",
	}}
}

func deprecatedSince(l apiLifecycle) string {
	if l.Deprecated == 0 {
		return ""
	}
	return fmt.Sprintf(" (deprecated in 1.%d)", l.Deprecated)
}
