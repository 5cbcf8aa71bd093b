// Package rules links every built-in rule package into the binary. Importing it
// fills the rule registry.
package rules

import (
	_ "github.com/moat-dev/moat/internal/exposure"
	_ "github.com/moat-dev/moat/internal/netpol"
	_ "github.com/moat-dev/moat/internal/policy" // the config/* findings about exceptions and annotations
	_ "github.com/moat-dev/moat/internal/pss"
	_ "github.com/moat-dev/moat/internal/rbac"
	_ "github.com/moat-dev/moat/internal/secrets"
	_ "github.com/moat-dev/moat/internal/workload"
)
