// Package workload holds pod-spec hardening rules beyond the Pod Security Standards
// (which package pss owns): writable root filesystems, resource requests and limits,
// image references and pull policy, service accounts and their tokens, host paths,
// dangerous capabilities, the root group, process-namespace sharing, SSH ports and
// probes, plus the ServiceAccount rule sa/token-automount.
//
// Each rule is one file that opens with the rule in words and registers it in init();
// walk.go holds the shared pod and container walks, imageref.go the image reference
// parser, hostpath.go the sensitive host locations. Rules are pure functions of the
// object and the inventory: they must not read files, the network, the clock or
// mutable globals, and must not repeat a check the PSS rules make.
package workload
