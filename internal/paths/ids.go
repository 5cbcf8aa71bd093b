package paths

import "github.com/moat-dev/moat/internal/finding"

// Well-known nodes.
const (
	// InternetID is the entry of everything exposed to the internet.
	InternetID = "entry:internet"
	// PowerClusterAdmin and PowerReadSecrets are the RBAC goals (package rbac/paths).
	PowerClusterAdmin = "cluster-admin"
	PowerReadSecrets  = "read-all-secrets"
)

// WorkloadID is the ID of a workload's node.
func WorkloadID(r finding.Resource) string {
	return "workload:" + r.Namespace + "/" + r.Kind + "/" + r.Name
}

// ServiceAccountID is the ID of a service account's node.
func ServiceAccountID(namespace, name string) string {
	return "serviceaccount:" + namespace + "/" + name
}

// SecretID is the ID of a Secret's node.
func SecretID(namespace, name string) string { return "secret:" + namespace + "/" + name }

// PowerID is the ID of an RBAC power's node.
func PowerID(name string) string { return "power:" + name }

// NodeHostID is the ID of the node a workload runs on: "node:*" when any node may run
// it (the default assumption), "node:NAME" when pinned.
func NodeHostID(name string) string { return "node:" + name }

// BreachID is the entry of a workload assumed breached.
func BreachID(workload string) string { return "entry:breach:" + workload }
