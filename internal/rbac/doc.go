// Package rbac holds the RBAC rules. The basics come first: wildcards in roles,
// cluster-admin bindings, bindings to the anonymous and all-authenticated groups.
// model.go reads any version of Role, ClusterRole, RoleBinding and ClusterRoleBinding
// into the rbac/v1 shape with the field path of every rule and subject, so that
// deeper analysis (who-can, escalation paths) builds on the same reader.
//
// Like every analyzer it is pure: it reads the inventory and nothing else.
package rbac
