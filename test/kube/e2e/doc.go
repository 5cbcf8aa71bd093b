// Package e2e holds Moat's end-to-end tests: they start a real control plane with
// kubetest, build the moat command from the repository, and run it as a user would,
// against the API server and against the same objects as files.
//
// The tests skip when the Kubernetes binaries are not built (see kubetest), unless
// MOAT_E2E=1 makes that a failure.
package e2e
