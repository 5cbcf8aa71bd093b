// Package apiversion holds the rules on API versions: objects written with versions that
// are deprecated or already removed from the Kubernetes release Moat targets.
package apiversion

// nsaUpgrading is the NSA/CISA Kubernetes Hardening Guide section these rules refer to.
const nsaUpgrading = "upgrading-and-application-security-practices"
