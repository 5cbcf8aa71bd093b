package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestDangerousCapabilities(t *testing.T) { ruletest.Fixtures(t, "pod/dangerous-capabilities") }

func TestCapabilityName(t *testing.T) {
	for in, want := range map[string]string{
		"SYS_ADMIN":     "SYS_ADMIN",
		"sys_admin":     "SYS_ADMIN",
		"CAP_SYS_ADMIN": "SYS_ADMIN",
		"cap_net_raw":   "NET_RAW",
		"all":           "ALL",
		" NET_ADMIN ":   "NET_ADMIN",
	} {
		if got := capabilityName(in); got != want {
			t.Errorf("capabilityName(%q) = %q, want %q", in, got, want)
		}
	}
}
