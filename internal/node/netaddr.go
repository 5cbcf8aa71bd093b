package node

import (
	"net"
	"net/netip"
	"strings"
)

// isLoopback says whether a bind address (an IP, or host:port) is a loopback address.
func isLoopback(addr string) bool {
	if addr == "" {
		return false
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
