package reach

import (
	"net/netip"
	"slices"
)

// partition splits the address space outside the cluster into the fewest CIDRs such
// that every ipBlock, except and admin network either holds a CIDR whole or misses it:
// each CIDR is then one node of the graph. IPv4 is always there (0.0.0.0/0 when no
// policy names an address); IPv6 only when a policy or boundary names an IPv6 address.
// It returns the CIDRs and the bounds they were cut at: the first address of each run
// of addresses that no named CIDR tells apart (IPv4 runs, then IPv6).
func partition(m *Model, extra []netip.Prefix) (nodes []netip.Prefix, bounds []netip.Addr) {
	bounds = boundsOf(append(slices.Clone(extra), namedPrefixes(m)...))
	for i, start := range bounds {
		var end netip.Addr
		if i+1 < len(bounds) && bounds[i+1].BitLen() == start.BitLen() {
			end = bounds[i+1].Prev()
		} else {
			end = lastAddr(netip.PrefixFrom(start, 0))
		}
		nodes = append(nodes, rangeToPrefixes(start, end)...)
	}
	return nodes, bounds
}

// namedPrefixes are the CIDRs the policies name: ipBlocks and their excepts, Cilium
// and Calico nets, network sets, admin networks.
func namedPrefixes(m *Model) []netip.Prefix {
	var pfx []netip.Prefix
	for _, p := range m.Policies {
		for _, rs := range [][]*Rule{p.IngressRules, p.EgressRules} {
			for _, r := range rs {
				for _, pe := range r.Peers {
					if pe.IPBlock != nil {
						pfx = append(pfx, pe.IPBlock.CIDR)
						pfx = append(pfx, pe.IPBlock.Except...)
					}
					pfx = append(pfx, pe.Nets...)
				}
			}
		}
	}
	for _, s := range m.NetworkSets {
		pfx = append(pfx, s.Nets...)
	}
	for _, group := range [][]*AdminPolicy{m.Admin, m.Baseline} {
		for _, p := range group {
			for _, r := range p.Egress {
				for _, pe := range r.Peers {
					pfx = append(pfx, pe.Networks...)
				}
			}
		}
	}
	return pfx
}

// boundsOf are the addresses where a prefix of pfx starts or ends, sorted, with the
// start of the IPv4 space (and of the IPv6 space when a prefix is IPv6).
func boundsOf(pfx []netip.Prefix) []netip.Addr {
	v4 := []netip.Addr{netip.IPv4Unspecified()}
	var v6 []netip.Addr
	for _, p := range pfx {
		if !p.IsValid() {
			continue
		}
		first := p.Masked().Addr()
		next := lastAddr(p).Next()
		if first.Is4() {
			v4 = append(v4, first)
			if next.IsValid() {
				v4 = append(v4, next)
			}
			continue
		}
		if v6 == nil {
			v6 = []netip.Addr{netip.IPv6Unspecified()}
		}
		v6 = append(v6, first)
		if next.IsValid() {
			v6 = append(v6, next)
		}
	}
	slices.SortFunc(v4, netip.Addr.Compare)
	slices.SortFunc(v6, netip.Addr.Compare)
	return append(slices.Compact(v4), slices.Compact(v6)...)
}

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		for i := p.Bits(); i < 32; i++ {
			b[i/8] |= 1 << (7 - uint(i%8))
		}
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 1 << (7 - uint(i%8))
	}
	return netip.AddrFrom16(b)
}

// rangeToPrefixes covers start..end (inclusive) with the fewest CIDRs.
func rangeToPrefixes(start, end netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for start.IsValid() && start.Compare(end) <= 0 {
		bitsLen := start.BitLen()
		best := netip.PrefixFrom(start, bitsLen)
		for b := bitsLen - 1; b >= 0; b-- {
			p := netip.PrefixFrom(start, b)
			if p.Masked().Addr() != start || lastAddr(p).Compare(end) > 0 {
				break
			}
			best = p
		}
		out = append(out, best)
		start = lastAddr(best).Next()
	}
	return out
}
