package rule

// CEL is a rule's Object check written in CEL, the expression language of the API
// server's ValidatingAdmissionPolicies, which `moat vap export` (package admission/vap)
// turns into a policy so that a cluster enforces the rule with no webhook. Tests there
// hold the expression to the rule's verdict on its fixtures. A rule whose verdict CEL
// cannot reach over the one object under review says why in Unexportable instead.
type CEL struct {
	// Pod is true for a check of a pod spec: the policy matches Pods, PodTemplates and
	// every pod controller, and the expressions read these variables:
	//
	//	variables.spec           the pod spec, wherever the kind keeps it
	//	variables.meta           the pod's metadata (its template's for a controller)
	//	variables.containers     init, regular and ephemeral containers, in that order
	//	variables.userNamespace  the pod runs in a user namespace (hostUsers: false)
	//	variables.windows        spec.os.name is windows
	Pod bool
	// Resources are the resources the policy matches when Pod is false.
	Resources []APIResources
	// Expression is true when the object passes.
	Expression string
	// Message is a CEL string expression saying what is wrong (the messageExpression).
	Message string
	// Unexportable, set instead of the other fields, says why CEL cannot express the
	// check: the rule is then listed as not exported, with this reason.
	Unexportable string
}

// APIResources are resources of one API group and version, as a policy matches them:
// {Group: "apps", Version: "v1", Resources: {"deployments"}}.
type APIResources struct {
	Group, Version string
	Resources      []string
}
