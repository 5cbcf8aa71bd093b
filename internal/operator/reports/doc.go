// Package reports writes Moat's findings into the cluster as report objects: one report
// per namespace ("moat-NAMESPACE", in that namespace) and one cluster report
// ("moat-cluster") for cluster-scoped resources and input errors, in the
// openreports.io/v1alpha1 API (Report, ClusterReport) or the older wgpolicyk8s.io/v1alpha2
// API (PolicyReport, ClusterPolicyReport).
//
// Reports stay bounded: a report whose results would not fit in Options.MaxBytes is cut
// into numbered parts (NAME, NAME-part-2, ...), never into one object per workload. Every
// part carries the labels that say it is Moat's and which part of how many it is, and an
// annotation with the hash of its content, so that a Sync that would write the same
// content writes nothing.
//
// Build is a pure function of its arguments (the objects Sync would write); Writer talks to
// the API server, with NewWriterForConfig reading only the metadata of the reports there
// (their hashes) so that an unchanged Sync costs a small list request and no write. The package decides nothing about what is found: it only maps findings
// to results, with the same field meanings as `moat scan -o policyreport`
// (internal/report/policyreport.go).
//
// Reading is the inverse of Build, for `moat report`: Reader lists the reports of a
// namespace (or all) from whichever report API the cluster serves, Assemble puts each
// report's parts back together (a report caught mid-rewrite is read again), and Findings
// and ContentsOf turn the results back into findings and input errors.
package reports
