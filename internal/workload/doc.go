// Package workload holds pod-spec hardening rules beyond the Pod Security Standards:
// resources, image references, service-account tokens, host paths, capabilities.
package workload
