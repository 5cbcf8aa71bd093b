// Package paths joins Moat's layers into attack paths: from an entry point (a workload
// exposed to the internet, or one the user assumes breached) through the network, a
// node escape or a service account's RBAC powers, to secrets, nodes and cluster-admin.
//
// The graph's nodes are entry points, workloads, service accounts, secrets, nodes and
// RBAC powers; every edge carries the evidence that makes it real (the finding and rule
// behind it, with file and line where known) and the fix that removes it. Paths are
// shortest paths from each entry to each target, ranked; choke points are the fewest
// fixes that cut the most paths, chosen greedily.
//
// Builders (build_*.go) add the edges of one layer each from the inventory; like every
// analyzer the package is pure: no I/O.
package paths
