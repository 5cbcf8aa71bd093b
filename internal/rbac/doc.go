// Package rbac holds Moat's RBAC analysis and its rules.
//
//   - model.go reads any version of Role, ClusterRole, RoleBinding and ClusterRoleBinding
//     into the rbac/v1 shape with the field path of every rule and subject;
//   - policy.go builds the authorizer's view of an inventory (package authz evaluates it
//     exactly as kube-apiserver does: who-can, can, single questions), the built-in
//     roles and bindings of the target release (inventory.Inventory.Builtin, for a file
//     scan) after the scanned ones, which replace a built-in object of the same name.
//     Built-in objects resolve references (a RoleBinding to edit is judged by edit's
//     rules) but are never reported on: SourceObject is nil for them;
//   - grants.go is the catalogue's machinery: a Primitive is a risky permission (a set of
//     verb/resource asks) that a rule file registers as rbac/<slug>. A role is judged by
//     what the authorizer lets it do ("*" allows what it covers), gives one finding per
//     rule ID listing what it allows, and its message says only the consequences
//     (Clauses) that what it allows supports; roleCEL builds the same check in CEL;
//   - one file per rule: the basics (wildcards, cluster-admin bindings, bindings to the
//     anonymous and all-authenticated groups), the catalogue of risky and escalation
//     primitives (Object checks on Roles and ClusterRoles), and the rules that need the
//     bindings (Inventory checks: create-workloads, kube-system-configmaps,
//     cluster-admin-equivalent, dangling-reference).
//
// Like every analyzer it is pure: it reads the inventory and nothing else.
package rbac
