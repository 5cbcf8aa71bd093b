// Package namespace holds the rules on Namespaces themselves: Pod Security admission
// labels that are missing or that allow privileged pods.
package namespace

// Framework references of this package's rules.
const (
	nsaPodSecurity = "pod-security/pod-security-enforcement"
	mitreEscape    = "T1611" // Escape to Host
)
