package report

// The escapers of XML attributes and text and of YAML scalars (JSON strings are
// internal/jsonenc's) pass over runs of bytes that need no escaping eight at a time: a
// word of eight bytes is tested for all of them at once with the bit tricks of "Bit Twiddling Hacks" (Sean Eron
// Anderson: "determine if a word has a byte less than n", "... has a zero byte").
// A word that fails goes byte by byte, as before, so the output is the same.

const (
	lowBits  = 0x0101010101010101 // 0x01 in every byte
	highBits = 0x8080808080808080 // 0x80 in every byte
)

// load64 reads s[i:i+8] as a little-endian word; the compiler makes it one load.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load64b is load64 of a byte slice.
func load64b(s []byte, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// belowSpace has the high bit of each byte below 0x20 set, and perhaps of bytes after
// such a byte: non-zero exactly when x has one, if x is ASCII.
func belowSpace(x uint64) uint64 { return (x - 0x20*lowBits) &^ x }

// equalTo is non-zero exactly when a byte of x is c, if x is ASCII.
func equalTo(x uint64, c byte) uint64 {
	y := x ^ (uint64(c) * lowBits)
	return (y - lowBits) &^ y
}

// xmlAttrPlainWord reports eight bytes that appendXMLAttr copies as they are: printable
// ASCII other than the five markup characters.
func xmlAttrPlainWord(x uint64) bool {
	return (belowSpace(x)|equalTo(x, '"')|equalTo(x, '\'')|equalTo(x, '&')|equalTo(x, '<')|equalTo(x, '>')|x)&highBits == 0
}

// xmlTextPlainWord reports eight bytes of printable ASCII, which appendXMLText copies.
func xmlTextPlainWord(x uint64) bool { return (belowSpace(x)|x)&highBits == 0 }
