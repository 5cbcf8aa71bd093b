package netpol

import (
	"net/netip"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/netpol/reach"
)

func TestIsPublic(t *testing.T) {
	tests := []struct {
		cidr string
		want bool
	}{
		{"8.8.8.0/24", true},
		{"0.0.0.0/5", false}, // holds 0.0.0.0/8
		{"11.0.0.0/8", true},
		{"10.0.0.0/8", false},
		{"169.254.169.254/32", false},
		{"172.32.0.0/11", true},
		{"172.16.0.0/13", false},
		{"128.0.0.0/3", true},
		{"128.0.0.0/2", false}, // holds 169.254.0.0/16 and 172.16.0.0/12
		{"224.0.0.0/3", false},
		{"2001:db8::/32", false}, // IPv6 is not judged
	}
	for _, tt := range tests {
		if got := isPublic(netip.MustParsePrefix(tt.cidr)); got != tt.want {
			t.Errorf("isPublic(%s) = %v, want %v", tt.cidr, got, tt.want)
		}
	}
}

func TestNamedNamespaces(t *testing.T) {
	tests := []struct {
		sel   string
		want  []string
		known bool
	}{
		{"kubernetes.io/metadata.name=shop", []string{"shop"}, true},
		{"kubernetes.io/metadata.name in (a,b)", []string{"a", "b"}, true},
		{"kubernetes.io/metadata.name notin (a)", nil, false},
		{"team=edge", nil, false},
		{"kubernetes.io/metadata.name=shop,team=edge", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		s, err := labels.Parse(tt.sel)
		if err != nil {
			t.Fatal(err)
		}
		got, known := namedNamespaces(s)
		if known != tt.known || len(got) != len(tt.want) {
			t.Errorf("namedNamespaces(%q) = %v, %v", tt.sel, got, known)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("namedNamespaces(%q) = %v", tt.sel, got)
			}
		}
	}
}

func TestOpensAll(t *testing.T) {
	tests := []struct {
		name  string
		rules []*reach.Rule
		want  bool
	}{
		{"no rules: deny all", nil, false},
		{"an empty rule: allow all", []*reach.Rule{{AnyPeer: true}}, true},
		{"any peer on one port", []*reach.Rule{{AnyPeer: true, Ports: reach.PortSpecs{{Protocol: reach.UDP, Port: 53}}}}, false},
		{"some peers on every port", []*reach.Rule{{Peers: []reach.Peer{{Pod: labels.Everything()}}}}, false},
	}
	for _, tt := range tests {
		if got := opensAll(tt.rules); got != tt.want {
			t.Errorf("%s: opensAll = %v, want %v", tt.name, got, tt.want)
		}
	}
}
