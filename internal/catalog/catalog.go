// Package catalog links every built-in rule package into the binary and renders the
// catalogue as docs/rules.md. Importing it fills the rule registry.
package catalog

import (
	_ "github.com/moat-dev/moat/internal/apiversion"
	_ "github.com/moat-dev/moat/internal/exceptions" // the config/* findings about exceptions and annotations
	_ "github.com/moat-dev/moat/internal/exposure"
	_ "github.com/moat-dev/moat/internal/image" // image/* rules: their findings come from image scans
	_ "github.com/moat-dev/moat/internal/namespace"
	_ "github.com/moat-dev/moat/internal/netpol"
	_ "github.com/moat-dev/moat/internal/node" // CIS checks of node components (moat node, and mirror pods in moat scan --cluster)
	_ "github.com/moat-dev/moat/internal/pss"
	_ "github.com/moat-dev/moat/internal/rbac"
	_ "github.com/moat-dev/moat/internal/secrets"
	_ "github.com/moat-dev/moat/internal/workload"
)
