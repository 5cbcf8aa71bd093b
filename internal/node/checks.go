package node

import (
	"fmt"
	"strconv"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// MITRE ATT&CK and NSA/CISA references the node checks share.
const (
	nsaControlPlane = "control-plane-hardening"
	nsaAuthn        = "authentication-authorization"
	nsaLogging      = "audit-logging"
	mitreExposed    = "T1133" // External Remote Services: an API open to anyone
	mitreValidAcct  = "T1078" // Valid Accounts
	mitreCredFiles  = "T1552.001"
	mitreEscape     = "T1611"
	mitreImpairLogs = "T1562.008"
)

// flagRule is a check of one component's flags: fails returns the message of the
// failure and the flag it is about ("" when it passes).
type flagRule struct {
	kind  string
	meta  rule.Meta
	fails func(c *Component) (message, flag string)
}

// registerFlagRules registers each check as a rule.
func registerFlagRules(rs ...flagRule) {
	for _, r := range rs {
		r := r
		rule.Register(componentRule(r.kind, r.meta, func(c *Component) []rule.Result {
			if c.ArgsUnknown {
				return nil // the command line was not seen
			}
			msg, flag := r.fails(c)
			if msg == "" {
				return nil
			}
			path := ""
			if flag != "" {
				path = "--" + flag
			}
			return []rule.Result{{Message: msg, Path: path, Source: c.FlagSource(flag)}}
		}))
	}
}

// describe says what a flag's value is and where it comes from, for messages:
// "--profiling is true (the default)" or "--profiling=true".
func describe(c *Component, flag string) string {
	if v, ok := c.Flags.Lookup(flag); ok {
		return fmt.Sprintf("--%s=%s", flag, v)
	}
	d := c.Flags.Value(flag)
	if d == "" {
		return fmt.Sprintf("--%s is not set", flag)
	}
	return fmt.Sprintf("--%s is not set (default %s)", flag, d)
}

// wantBool fails unless a boolean flag's effective value is want.
func wantBool(flag string, want bool) func(c *Component) (string, string) {
	return func(c *Component) (string, string) {
		v, err := c.Flags.Bool(flag)
		if err != nil {
			return err.Error(), flag
		}
		if v != want {
			return fmt.Sprintf("%s; want --%s=%t", describe(c, flag), flag, want), flag
		}
		return "", ""
	}
}

// wantSet fails unless every flag is given a non-empty value.
func wantSet(flags ...string) func(c *Component) (string, string) {
	return func(c *Component) (string, string) {
		for _, f := range flags {
			if v, ok := c.Flags.Lookup(f); !ok || v == "" {
				return fmt.Sprintf("--%s is not set", f), f
			}
		}
		return "", ""
	}
}

// wantUnset fails when a flag is given.
func wantUnset(flag string) func(c *Component) (string, string) {
	return func(c *Component) (string, string) {
		if v, ok := c.Flags.Lookup(flag); ok && v != "" {
			return fmt.Sprintf("--%s=%s is set", flag, v), flag
		}
		return "", ""
	}
}

// wantAtLeast fails unless an integer flag is set to min or more.
func wantAtLeast(flag string, min int) func(c *Component) (string, string) {
	return func(c *Component) (string, string) {
		v, ok := c.Flags.Lookup(flag)
		if !ok {
			return fmt.Sprintf("--%s is not set; want %d or more", flag, min), flag
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Sprintf("--%s=%q is not a number", flag, v), flag
		}
		if n < min {
			return fmt.Sprintf("--%s=%d; want %d or more", flag, n, min), flag
		}
		return "", ""
	}
}

// wantLoopback fails unless a bind address flag is a loopback address.
func wantLoopback(flag string) func(c *Component) (string, string) {
	return func(c *Component) (string, string) {
		v := c.Flags.Value(flag)
		if isLoopback(v) {
			return "", ""
		}
		return fmt.Sprintf("%s: the component's port is reachable from other machines; want 127.0.0.1", describe(c, flag)), flag
	}
}

// manualRule lists a recommendation that needs a person: a finding of severity info
// with the guidance, once per component, so that it is never counted as passed.
func manualRule(kind string, m rule.Meta) *rule.Rule {
	m.Severity = finding.Info
	manualIDs[m.ID] = true
	return componentRule(kind, m, func(c *Component) []rule.Result {
		return []rule.Result{{Message: "manual check (CIS " + m.Frameworks.CIS + "): " + m.Remediation, Source: c.FlagSource("")}}
	})
}
