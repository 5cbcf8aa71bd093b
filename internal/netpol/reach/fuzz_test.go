package reach

import (
	"strings"
	"testing"
)

// FuzzParseAdmin feeds AdminNetworkPolicy and BaselineAdminNetworkPolicy JSON to the
// parser, and what parses to the engine over a small world: neither may panic, and the
// engine's answers stay within its port universe.
func FuzzParseAdmin(f *testing.F) {
	seeds := []string{
		`{"metadata":{"name":"p"},"spec":{"priority":10,"subject":{"namespaces":{"matchLabels":{"ns":"x"}}},"ingress":[{"name":"d","action":"Deny","from":[{"namespaces":{"matchLabels":{"ns":"y"}}}]}]}}`,
		`{"spec":{"priority":1,"subject":{"pods":{"namespaceSelector":{},"podSelector":{"matchLabels":{"pod":"a"}}}},"egress":[{"action":"Pass","to":[{"networks":["10.0.0.0/8","fd00::/8"]}],"ports":[{"portRange":{"protocol":"UDP","start":1,"end":65535}}]}]}}`,
		`{"spec":{"priority":3,"subject":{"namespaces":{}},"egress":[{"action":"Allow","to":[{"nodes":{}}],"ports":[{"namedPort":"serve-80-tcp"},{"portNumber":{"protocol":"SCTP","port":80}}]}]}}`,
		`{"spec":{"subject":{"namespaces":{}},"ingress":[{"action":"Allow","from":[{"pods":{"namespaceSelector":{"matchExpressions":[{"key":"ns","operator":"NotIn","values":["x"]}]},"podSelector":{}}}]}]}}`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), i == 3)
	}
	for _, tt := range []string{`{"spec":{"priority":1001}}`, `{}`, `[]`, `{"spec":{"priority":1,"subject":{"namespaces":{"matchExpressions":[{"key":"a","operator":"Bogus"}]}}}}`} {
		f.Add([]byte(tt), false)
	}
	w := world{pods: []string{"x/a", "x/b", "y/a"}, protocols: tcpOnly, ports: []int32{80}}
	base := FromInventory(w.inventory())
	f.Fuzz(func(t *testing.T, data []byte, baseline bool) {
		p, err := ParseAdmin(data, baseline)
		if err != nil {
			return
		}
		m := *base
		if baseline {
			m.Baseline = []*AdminPolicy{p}
		} else {
			m.Admin = []*AdminPolicy{p}
		}
		a := Analyze(&m, Options{})
		for s := 0; s < a.NumEndpoints(); s++ {
			for d := 0; d < a.NumEndpoints(); d++ {
				if s >= a.NumClasses() && d >= a.NumClasses() {
					continue
				}
				ps := a.Ports(s, d)
				if !AllPorts().Intersect(ps).Equal(ps) {
					t.Fatalf("ports %s outside the universe", ps)
				}
			}
		}
	})
}

// FuzzParsePortFlag checks that --port either fails or gives a valid range that reads
// back the same.
func FuzzParsePortFlag(f *testing.F) {
	for _, s := range []string{"80", "80/TCP", "udp/53", "53/udp", "8000-9000/SCTP", "0", "65536", "80/ICMP", "90-80", "", "http", "-", "/", "1-", "TCP/", "9-9/tcp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, lo, hi, err := ParsePortFlag(s)
		if err != nil {
			return
		}
		if lo < MinPort || hi > MaxPort || lo > hi || p >= numProtocols {
			t.Fatalf("ParsePortFlag(%q) = %v %d-%d", s, p, lo, hi)
		}
		for _, again := range PortRange(p, lo, hi).Strings() {
			p2, lo2, hi2, err := ParsePortFlag(again)
			if err != nil || p2 != p || lo2 != lo || hi2 != hi {
				t.Fatalf("%q → %q reads back as %v %d-%d %v", s, again, p2, lo2, hi2, err)
			}
		}
	})
}

// FuzzParseEndpoint checks that SRC/DST either fail or give an endpoint whose printed
// form reads back the same.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"shop/deploy/api", "sts/db", "169.254.169.254", "10.0.0.0/8", "fd00::1", "default/pod/cafe.de", "api", "a//b", "", "a/b/c/d", "::/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEndpoint(s)
		if err != nil {
			return
		}
		if e.IsExternal() {
			if e.IPBlock != s {
				t.Fatalf("address %q became %q", s, e.IPBlock)
			}
			return
		}
		if e.Namespace == "" || e.Kind == "" || e.Name == "" || strings.Contains(e.Name, "/") {
			t.Fatalf("ParseEndpoint(%q) = %+v", s, e)
		}
		again, err := ParseEndpoint(e.String())
		if err != nil || again != e {
			t.Fatalf("%q → %q reads back as %+v, %v", s, e.String(), again, err)
		}
	})
}
