// Package deploychart holds the tests of the Helm chart deploy/charts/moat: it renders
// the chart with the Helm SDK as `helm install` would, lints it as `helm lint` does,
// checks values.schema.json against bad values, scans the rendered chart with Moat's own
// rules, and checks the operator's RBAC against the kinds a cluster scan reads; it also
// renders the krew plugin manifest deploy/krew/moat.yaml as the release job does. The
// chart has no Go code, so its tests live here; this package exports nothing.
package deploychart
