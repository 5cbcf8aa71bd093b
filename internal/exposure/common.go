package exposure

// Framework references shared by the rules of this package: sections of the NSA/CISA
// Kubernetes Hardening Guide and MITRE ATT&CK techniques.
const (
	nsaNetworkSeparation = "network-separation"
	nsaEncryption        = "network-separation/encryption"

	mitrePublicFacing = "T1190" // Exploit Public-Facing Application
	mitreAiTM         = "T1557" // Adversary-in-the-Middle
	mitreSniffing     = "T1040" // Network Sniffing
)
