// Package scan is Moat's one pipeline: input → inventory → evaluate → result. Every
// command that reads inputs (scan, rbac, netpol, paths) loads them with Load; every
// evaluation of rules — a whole inventory in CI or a cluster, one object at admission —
// goes through an Evaluator, so that a rule gives the same verdict everywhere; and the
// exit code of every command is decided by Code.
//
// It must not render (internal/report does) nor parse flags (cmd/moat does).
package scan
