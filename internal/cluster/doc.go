// Package cluster loads the inventory of a live cluster through its API: the scan source
// behind `moat scan --cluster`.
//
// It lists every kind that Moat's rules read (Kinds), page by page (limit/continue), a
// few kinds at a time, decoding each page straight into typed client-go objects that go
// into the inventory; no raw response is kept. Objects read from a cluster carry no
// source position.
//
// What it reads, and what it leaves out, is part of its contract:
//   - Secrets are listed as metadata only (PartialObjectMetadata: names, labels,
//     annotations, owner references; no data, no type) unless Options.ReadSecrets is
//     set. A security scanner must not pull every credential of a cluster into memory
//     by default. Annotations are metadata, so a kubectl.kubernetes.io/last-applied-
//     configuration annotation that repeats a Secret's data is still read: it is one of
//     the things the secret rules look for.
//   - Objects whose controller is itself in the scan (the Pods of a ReplicaSet, Job,
//     StatefulSet or DaemonSet, the ReplicaSets of a Deployment, the Jobs of a CronJob)
//     are left out and counted in Stats.Owned: the controller's pod template says what
//     they run, and reporting both would report every problem once per replica. A live
//     scan thus gives the same findings as a scan of the manifests that were applied.
//     Bare pods, static (mirror) pods, and pods of controllers Moat does not list are
//     kept. What this misses: changes made to pods after the template, by mutating
//     admission webhooks (sidecar injection) or during a rollout of a StatefulSet or
//     DaemonSet whose old revision is not listed.
//   - A kind the credentials may not list (403) is a warning that names the kind and the
//     missing RBAC permission; the scan goes on without it and the inventory is marked
//     Partial. Any other failure of a list is an error of the inventory.
//   - With a namespace (-n), namespaced kinds are listed in that namespace only; the
//     cluster-scoped kinds (ClusterRoles, ClusterRoleBindings) are listed whole, since
//     they grant rights in every namespace, and Namespaces is narrowed to the one.
//
// The package does I/O and nothing else: it decides no finding.
package cluster
