package audit

import _ "embed"

// Policy is the audit Policy (audit.k8s.io/v1) Moat's rules need, with comments: give it
// to the API server with --audit-policy-file.
//
//go:embed policy.yaml
var Policy []byte
