// Package namespace holds the rules on Namespaces: Pod Security admission labels that
// are missing or that allow privileged pods, and objects placed in the default
// namespace.
package namespace

// Framework references of this package's rules.
const (
	nsaPodSecurity = "pod-security/pod-security-enforcement"
	nsaNamespaces  = "network-separation/namespaces"
	mitreEscape    = "T1611" // Escape to Host
)
