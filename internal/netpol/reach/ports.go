package reach

import (
	"fmt"
	"strconv"
	"strings"
)

// Protocol is one of the three protocols NetworkPolicy knows.
type Protocol uint8

const (
	TCP Protocol = iota
	UDP
	SCTP
	numProtocols
)

var protocolNames = [numProtocols]string{"TCP", "UDP", "SCTP"}

func (p Protocol) String() string {
	if p < numProtocols {
		return protocolNames[p]
	}
	return "Protocol(" + strconv.Itoa(int(p)) + ")"
}

// ParseProtocol reads "TCP", "UDP" or "SCTP" (any case); empty is TCP, the API's default.
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToUpper(s) {
	case "", "TCP":
		return TCP, nil
	case "UDP":
		return UDP, nil
	case "SCTP":
		return SCTP, nil
	}
	return 0, fmt.Errorf("unknown protocol %q (want TCP, UDP or SCTP)", s)
}

// MinPort and MaxPort bound the port numbers a policy may name.
const (
	MinPort = 1
	MaxPort = 65535
)

// Range is an inclusive range of port numbers.
type Range struct{ Lo, Hi int32 }

// PortSet is a set of (protocol, port) pairs: per protocol, sorted disjoint ranges
// that never touch. The zero value is empty. Operations never modify their operands,
// so sets may be shared.
type PortSet struct {
	r [numProtocols][]Range
}

var fullRange = []Range{{MinPort, MaxPort}}

// AllPorts is every port of every protocol.
func AllPorts() PortSet { return PortSet{r: [numProtocols][]Range{fullRange, fullRange, fullRange}} }

// ProtocolPorts is every port of one protocol.
func ProtocolPorts(p Protocol) PortSet {
	var s PortSet
	s.r[p] = fullRange
	return s
}

// PortRange is ports lo..hi of one protocol (clamped to 1..65535).
func PortRange(p Protocol, lo, hi int32) PortSet {
	lo, hi = max(lo, MinPort), min(hi, MaxPort)
	var s PortSet
	if lo <= hi {
		s.r[p] = []Range{{lo, hi}}
	}
	return s
}

// Port is one port of one protocol.
func Port(p Protocol, port int32) PortSet { return PortRange(p, port, port) }

// IsEmpty reports the empty set.
func (s PortSet) IsEmpty() bool { return len(s.r[TCP])+len(s.r[UDP])+len(s.r[SCTP]) == 0 }

// IsAll reports the set of every port of every protocol.
func (s PortSet) IsAll() bool {
	for _, r := range s.r {
		if len(r) != 1 || r[0] != fullRange[0] {
			return false
		}
	}
	return true
}

// Has reports whether the set holds port of protocol p.
func (s PortSet) Has(p Protocol, port int32) bool {
	for _, r := range s.r[p] {
		if port < r.Lo {
			return false
		}
		if port <= r.Hi {
			return true
		}
	}
	return false
}

// Ranges returns the ranges of one protocol (shared: do not modify).
func (s PortSet) Ranges(p Protocol) []Range { return s.r[p] }

// Equal reports whether two sets hold the same ports.
func (s PortSet) Equal(t PortSet) bool {
	for p := range s.r {
		if len(s.r[p]) != len(t.r[p]) {
			return false
		}
		for i := range s.r[p] {
			if s.r[p][i] != t.r[p][i] {
				return false
			}
		}
	}
	return true
}

// Union is s ∪ t.
func (s PortSet) Union(t PortSet) PortSet {
	if s.IsEmpty() || t.IsAll() {
		return t
	}
	if t.IsEmpty() || s.IsAll() {
		return s
	}
	var u PortSet
	for p := range s.r {
		u.r[p] = unionRanges(s.r[p], t.r[p])
	}
	return u
}

// Intersect is s ∩ t.
func (s PortSet) Intersect(t PortSet) PortSet {
	if s.IsAll() {
		return t
	}
	if t.IsAll() {
		return s
	}
	var u PortSet
	for p := range s.r {
		u.r[p] = intersectRanges(s.r[p], t.r[p])
	}
	return u
}

// Subtract is s \ t.
func (s PortSet) Subtract(t PortSet) PortSet {
	if t.IsEmpty() {
		return s
	}
	var u PortSet
	for p := range s.r {
		u.r[p] = subtractRanges(s.r[p], t.r[p])
	}
	return u
}

func unionRanges(a, b []Range) []Range {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]Range, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var r Range
		if j == len(b) || (i < len(a) && a[i].Lo <= b[j].Lo) {
			r, i = a[i], i+1
		} else {
			r, j = b[j], j+1
		}
		if n := len(out); n > 0 && r.Lo <= out[n-1].Hi+1 {
			out[n-1].Hi = max(out[n-1].Hi, r.Hi)
		} else {
			out = append(out, r)
		}
	}
	return out
}

func intersectRanges(a, b []Range) []Range {
	var out []Range
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].Lo, b[j].Lo), min(a[i].Hi, b[j].Hi)
		if lo <= hi {
			out = append(out, Range{lo, hi})
		}
		if a[i].Hi < b[j].Hi {
			i++
		} else {
			j++
		}
	}
	return out
}

func subtractRanges(a, b []Range) []Range {
	if len(b) == 0 {
		return a
	}
	var out []Range
	j := 0
	for _, r := range a {
		lo := r.Lo
		for j < len(b) && b[j].Hi < lo {
			j++
		}
		k := j
		for k < len(b) && b[k].Lo <= r.Hi {
			if b[k].Lo > lo {
				out = append(out, Range{lo, b[k].Lo - 1})
			}
			lo = b[k].Hi + 1
			k++
		}
		if lo <= r.Hi {
			out = append(out, Range{lo, r.Hi})
		}
	}
	return out
}

// Strings lists the set as "TCP/80", "UDP/53", "TCP/8000-9000" ("UDP/1-65535" for
// every port of a protocol); nil for the empty set. Use IsAll first to say "all".
func (s PortSet) Strings() []string {
	var out []string
	for p, rs := range s.r {
		for _, r := range rs {
			switch {
			case r.Lo == r.Hi:
				out = append(out, fmt.Sprintf("%s/%d", protocolNames[p], r.Lo))
			default:
				out = append(out, fmt.Sprintf("%s/%d-%d", protocolNames[p], r.Lo, r.Hi))
			}
		}
	}
	return out
}

// String is "all", "none", or the comma-separated Strings.
func (s PortSet) String() string {
	switch {
	case s.IsAll():
		return "all"
	case s.IsEmpty():
		return "none"
	}
	return strings.Join(s.Strings(), ",")
}

// ParsePortFlag reads a port as given on the command line: "80", "80/TCP", "TCP/80",
// "53/udp", "8000-9000/TCP". A bare number is TCP.
func ParsePortFlag(s string) (Protocol, int32, int32, error) {
	num, proto := s, ""
	if a, b, ok := strings.Cut(s, "/"); ok {
		num, proto = a, b
		if _, err := ParseProtocol(a); err == nil && a != "" {
			num, proto = b, a
		}
	}
	p, err := ParseProtocol(proto)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("port %q: %w", s, err)
	}
	loS, hiS, isRange := strings.Cut(num, "-")
	lo, err := parsePortNumber(loS)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("port %q: %w", s, err)
	}
	hi := lo
	if isRange {
		if hi, err = parsePortNumber(hiS); err != nil {
			return 0, 0, 0, fmt.Errorf("port %q: %w", s, err)
		}
		if hi < lo {
			return 0, 0, 0, fmt.Errorf("port %q: range ends before it starts", s)
		}
	}
	return p, lo, hi, nil
}

// ParsePortQuestion reads the --port of an explain question: nil for "" (every port),
// else the one port or range ParsePortFlag reads.
func ParsePortQuestion(s string) (*PortSet, error) {
	if s == "" {
		return nil, nil
	}
	proto, lo, hi, err := ParsePortFlag(s)
	if err != nil {
		return nil, err
	}
	ps := PortRange(proto, lo, hi)
	return &ps, nil
}

func parsePortNumber(s string) (int32, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < MinPort || n > MaxPort {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return int32(n), nil
}
