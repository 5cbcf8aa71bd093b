package exposure

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestGatewayListenerWithoutTLS(t *testing.T) {
	ruletest.Fixtures(t, "gateway/listener-without-tls")
}

func TestTLSCovered(t *testing.T) {
	https := func(h string) gatewayListener { return gatewayListener{Protocol: "HTTPS", Hostname: h} }
	for _, tc := range []struct {
		host string
		by   []gatewayListener
		want bool
	}{
		{"shop.example.com", []gatewayListener{https("shop.example.com")}, true},
		{"shop.example.com", []gatewayListener{https("")}, true},
		{"shop.example.com", []gatewayListener{https("*.example.com")}, true},
		{"a.b.example.com", []gatewayListener{https("*.example.com")}, true},
		{"example.com", []gatewayListener{https("*.example.com")}, false},
		{"shop.example.org", []gatewayListener{https("*.example.com")}, false},
		{"", []gatewayListener{https("shop.example.com")}, true},
		{"", []gatewayListener{{Protocol: "TCP"}}, false},
		{"db.example.net", []gatewayListener{{Protocol: "TLS", Hostname: "db.example.net"}}, true},
	} {
		if got := tlsCovered(gatewayListener{Protocol: "HTTP", Hostname: tc.host}, tc.by); got != tc.want {
			t.Errorf("tlsCovered(%q, %+v) = %v, want %v", tc.host, tc.by, got, tc.want)
		}
	}
}
