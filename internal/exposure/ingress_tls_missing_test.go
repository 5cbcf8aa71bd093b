package exposure

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestIngressTLSMissing(t *testing.T) { ruletest.Fixtures(t, "ingress/tls-missing") }

func TestCoveredBy(t *testing.T) {
	tls := []string{"shop.example.com", "*.api.example.com"}
	for host, want := range map[string]bool{
		"shop.example.com":       true,
		"SHOP.example.com":       true,
		"v1.api.example.com":     true,
		"api.example.com":        false,
		"a.v1.api.example.com":   false,
		"*.api.example.com":      true,
		"admin.shop.example.com": false,
		"*.shop.example.com":     false,
		"other.example.com":      false,
	} {
		if got := coveredBy(host, tls); got != want {
			t.Errorf("coveredBy(%q) = %v, want %v", host, got, want)
		}
	}
}
