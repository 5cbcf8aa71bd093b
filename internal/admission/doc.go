// Package admission decides AdmissionReviews with the rules of moat scan: it decodes the
// object under review with the inventory decoder, runs the object checks of the rule
// engine on it, applies the exceptions and inline ignore annotations of the config file
// (internal/exceptions), and turns each remaining finding into a denial, a warning or an
// audit annotation according to the admission: section of that file.
//
// The package is pure: it does no I/O and reads no clock of its own (the Reviewer is
// given one). The HTTPS server is in admission/webhook, the deployment manifests in
// admission/manifests and the ValidatingAdmissionPolicy export in admission/vap.
//
// Only object checks run at admission: a rule over the whole inventory (a namespace
// with no NetworkPolicy) cannot be judged from one object, so it is left to scan.
package admission
