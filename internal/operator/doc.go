// Package operator is Moat in the cluster: a controller that watches every kind the
// rules read (Secrets as metadata only), judges the cluster through the same pipeline
// as `moat scan --cluster` (cluster.Assemble, scan.Incremental), and keeps one report
// per namespace and one for the cluster current (package reports).
//
// Why client-go informers and not controller-runtime: Moat's unit of work is not an
// object but the inventory — the cross-object analyses (RBAC, NetworkPolicy) read the
// whole of it — so the operator needs the caches and the events, not per-object
// reconcilers and their work queues; client-go gives exactly that (informers, the
// Lease elector) with no further module.
//
// How a change flows: an informer event records the object's kind and namespace
// (watcher); changes are gathered for a debounce counted from the first one; the
// snapshot of the caches is evaluated incrementally (the namespaces that changed, the
// inventory checks that read a changed kind); the reports whose content changed are
// written. A periodic full evaluation catches what no event says (an exception
// expiring) and counts any difference from the incremental state as drift.
//
// Only the leader (a Lease) writes; every replica keeps warm caches, so a new leader
// writes at once. A leader that loses the lease exits, and restarts as a candidate.
package operator
