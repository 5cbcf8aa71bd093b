// Package workload holds pod-spec hardening rules beyond the Pod Security Standards
// (which package pss owns): writable root filesystems, resource requests and limits,
// image references (valid, pinned, from allowed and maintained registries) and pull
// policy, service accounts (existing ones, and their tokens), host paths, dangerous
// capabilities, the root group, process-namespace sharing, SSH ports and probes, plus
// the ServiceAccount rule sa/token-automount.
//
// Each rule is one file that opens with the rule in words and registers it in init();
// walk.go holds the shared pod and container walks, imageref.go the image reference
// parser (distribution/reference, as the kubelet parses), hostpath.go the sensitive
// host locations. Rules are pure functions of the object, the inventory and
// rule.Options (the config file's registry lists come that way): they must not read
// files, the network, the clock or mutable globals, and must not repeat a check the
// PSS rules make.
package workload
