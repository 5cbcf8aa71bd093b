// Rule api/deprecated-version: objects should not be written with an API version that
// is deprecated: still served by the latest Kubernetes release Moat knows, but marked
// for removal. The finding names the release that stops serving it and the version to
// move to. Versions already removed are api/removed-version's.
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
			ID:       "api/deprecated-version",
			Title:    "Object uses a deprecated API version",
			Severity: finding.Low,
			Description: fmt.Sprintf(`An object is written with an API version that Kubernetes 1.%d still serves but has
deprecated; a later release stops serving it and then rejects the manifest. Moving
before the removal keeps upgrades, and the security fixes they bring, unblocked. The
table follows the Kubernetes Deprecated API Migration Guide and the API lifecycle tags
of k8s.io/api, which kube-apiserver uses for its deprecation warnings. NSA/CISA
Kubernetes Hardening Guide, upgrading and application security practices.`, LatestMinor),
			Remediation: "Rewrite the manifest with the replacement API version named in the finding before upgrading to the release that removes the old one.",
			Frameworks:  finding.Frameworks{NSA: nsaUpgrading},
			Kinds:       []string{"*"},
		},
		Object: checkDeprecatedVersion,
		CEL:    &rule.CEL{Unexportable: "a policy sees the object converted to the version it matches, not the version the client wrote"},
	})
}

func checkDeprecatedVersion(_ *rule.Context, o *inventory.Object) []rule.Result {
	l, ok := lifecycleOf(o.GVK)
	if !ok || !l.deprecated() {
		return nil
	}
	until := "a future release"
	if l.Removed != 0 {
		until = fmt.Sprintf("Kubernetes 1.%d", l.Removed)
	}
	return []rule.Result{{
		Message: fmt.Sprintf("%s %s is deprecated since Kubernetes 1.%d and will not be served from %s; %s", o.GVK.GroupVersion(), o.GVK.Kind, l.Deprecated, until, l.migrateTo()),
		Path:    "apiVersion",
	}}
}
