// Package rbac holds RBAC rules. The basics (wildcards, cluster-admin bindings,
// bindings to anonymous groups) come first; deep analysis builds on them.
package rbac
