// Package pss turns every Pod Security Standards check of the official
// k8s.io/pod-security-admission policy package into a Moat rule, evaluated at a
// selectable version. It must not re-implement a check the library has.
package pss
