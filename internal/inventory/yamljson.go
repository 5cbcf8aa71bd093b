package inventory

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	yaml3 "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// toJSON converts one YAML document to JSON, as sigs.k8s.io/yaml.YAMLToJSON does. It
// returns the object's apiVersion and kind when it could read them on the way (nil
// otherwise: the caller reads them from the JSON).
//
// Most manifests are written in a plain subset of YAML: block mappings and sequences
// indented with spaces, plain or simply quoted scalars, one-line flow collections,
// and literal or simply folded block scalars. fastYAML converts that subset directly,
// several times faster than the general parser, and gives up on anything else
// (anchors, tags, multi-line plain scalars, unusual escapes, tabs, CRLF...), which
// then goes through sigs.k8s.io/yaml. FuzzYAMLToJSON checks that whenever fastYAML
// accepts a document its JSON means the same as sigs.k8s.io/yaml's.
func toJSON(data []byte) ([]byte, *typeMeta, error) {
	js, tm, _, err := convert(data, false)
	return js, tm, err
}

// toJSONIndexed is toJSON that also returns the document's line index for SourceAt,
// or nil when the document cannot be indexed. The fast path builds the index in the
// same walk as the JSON; a document that needs the general parser is parsed once
// more for its index.
func toJSONIndexed(data []byte) ([]byte, *typeMeta, *lineIndex, error) {
	return convert(data, true)
}

func convert(data []byte, index bool) ([]byte, *typeMeta, *lineIndex, error) {
	if js, tm, idx, ok := fastConvert(data, index); ok {
		return js, tm, idx, nil
	}
	js, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		return nil, nil, nil, err
	}
	var idx *lineIndex
	if index {
		idx = slowIndex(data)
	}
	return bytes.TrimSpace(js), nil, idx, nil
}

var jsonPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// putJSON hands back a buffer toJSON returned, once nothing refers to it. Decoding
// copies every string it keeps, so the buffer is free once the object is decoded.
func putJSON(js []byte) {
	if cap(js) == 0 || cap(js) > 1<<20 {
		return
	}
	js = js[:0]
	jsonPool.Put(&js)
}

// fastYAML converts the common block subset of YAML to JSON, or reports false.
func fastYAML(data []byte) (js []byte, tm *typeMeta, ok bool) {
	js, tm, _, ok = fastConvert(data, false)
	return js, tm, ok
}

// fastIndex builds the line index of a document the fast path reads, or reports
// false.
func fastIndex(data []byte) (*lineIndex, bool) {
	js, _, idx, ok := fastConvert(data, true)
	putJSON(js)
	return idx, ok && idx != nil
}

// fastConvert is fastYAML, and with index also the document's line index (nil for
// a document without nodes).
func fastConvert(data []byte, index bool) (js []byte, tm *typeMeta, idx *lineIndex, ok bool) {
	c := newConv(data, index)
	defer c.release()
	if !c.run() {
		putJSON(c.out)
		return nil, nil, nil, false
	}
	if index {
		idx = c.idx.compact()
	}
	if c.notMeta {
		return c.out, nil, idx, true
	}
	return c.out, c.tm, idx, true
}

// convPool keeps converters, whose line, key and index tables are reused from one
// document to the next.
var convPool = sync.Pool{New: func() any { return &fastConv{scratch: &indexTables{}} }}

func newConv(data []byte, index bool) *fastConv {
	bp := jsonPool.Get().(*[]byte)
	c := convPool.Get().(*fastConv)
	scratch := c.scratch
	*c = fastConv{src: data, out: (*bp)[:0], tm: &typeMeta{}, lines: c.lines[:0], keys: c.keys[:0], stack: c.stack[:0], scratch: scratch}
	if index {
		scratch.nodes, scratch.edges = scratch.nodes[:0], scratch.edges[:0]
		c.idx = scratch
	}
	return c
}

func (c *fastConv) release() {
	c.src, c.out, c.tm, c.idx = nil, nil, nil, nil
	convPool.Put(c)
}

func (c *fastConv) run() bool {
	if !plainText(c.src) {
		return false
	}
	c.splitLines()
	return c.document()
}

// plainText reports input without what the fast path does not handle: invalid UTF-8,
// tabs, carriage returns, control characters and the Unicode line breaks and BOM
// that YAML treats specially.
func plainText(data []byte) bool {
	for i := 0; i < len(data); {
		b := data[i]
		if b < utf8.RuneSelf {
			if (b < 0x20 && b != '\n') || b == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError || r < 0xA0 || r == 0x2028 || r == 0x2029 || r == 0xFEFF || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

type fline struct {
	start, end int // the line in src, without its newline
	indent     int // leading spaces
	cstart     int // where the content starts (start+indent, or later for "- key: v")
	blank      bool
}

type fastConv struct {
	src     []byte
	lines   []fline
	pos     int
	out     []byte
	keys    []span // JSON-encoded keys of the mappings being written, for duplicates
	depth   int
	tm      *typeMeta
	notMeta bool // apiVersion or kind is not a plain string, or the document is a List

	// When idx is set, the converter also builds the document's line index: each
	// value it writes becomes a node (last is the latest), and the children of the
	// collections being written wait on stack until their collection ends.
	idx     *indexTables
	stack   []lineEdge
	last    int32
	scratch *indexTables // the pooled tables idx uses when indexing
}

// node adds an index node for a value starting on line (1-based in the document).
func (c *fastConv) node(line int, kind yaml3.Kind) int32 {
	if c.idx == nil {
		return -1
	}
	c.idx.nodes = append(c.idx.nodes, lineNode{line: int32(line), kind: kind})
	c.last = int32(len(c.idx.nodes) - 1)
	return c.last
}

// child records the latest value as a child of the collection being written.
func (c *fastConv) child(jsonKey []byte, keyLine int) {
	if c.idx == nil {
		return
	}
	e := lineEdge{keyLine: int32(keyLine), node: c.last}
	if jsonKey != nil {
		e.key = unquoteKey(jsonKey)
	}
	c.stack = append(c.stack, e)
}

// children moves the children waiting since mark to the index, as n's.
func (c *fastConv) children(n int32, mark int) {
	if c.idx == nil {
		return
	}
	first := len(c.idx.edges)
	c.idx.edges = append(c.idx.edges, c.stack[mark:]...)
	c.stack = c.stack[:mark]
	c.idx.nodes[n].first, c.idx.nodes[n].n = int32(first), int32(len(c.idx.edges)-first)
	c.last = n
}

// unquoteKey turns a JSON-encoded key back into its string, sharing the strings of
// the keys manifests use most.
func unquoteKey(js []byte) string {
	body := js[1 : len(js)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		if id, ok := commonKeys[string(body)]; ok {
			return commonKeyList[id]
		}
		return string(body)
	}
	var s string
	_ = json.Unmarshal(js, &s)
	return s
}

// commonKeys are the keys manifests write most, and their numbers in commonKeyList.
// Decoding shares their strings, and a line index refers to them by number rather
// than keep their bytes.
var commonKeys = func() map[string]uint32 {
	m := map[string]uint32{}
	for i, k := range commonKeyList {
		m[k] = uint32(i)
	}
	return m
}()

var commonKeyList = strings.Fields(`apiVersion kind metadata name namespace labels annotations spec
		template containers initContainers image imagePullPolicy args command env value valueFrom
		secretKeyRef configMapKeyRef key ports containerPort protocol port targetPort resources limits
		requests cpu memory securityContext runAsNonRoot runAsUser runAsGroup privileged
		allowPrivilegeEscalation readOnlyRootFilesystem capabilities drop add seccompProfile type
		volumeMounts mountPath volumes emptyDir hostPath path configMap secret secretName selector
		matchLabels replicas serviceAccountName livenessProbe readinessProbe httpGet periodSeconds
		data rules apiGroups verbs subjects roleRef items hostNetwork hostPID hostIPC nodeSelector
		tolerations affinity strategy status jobTemplate schedule restartPolicy
		creationTimestamp resourceVersion uid generation ownerReferences finalizers
		app app.kubernetes.io/name app.kubernetes.io/instance app.kubernetes.io/version
		app.kubernetes.io/component app.kubernetes.io/part-of app.kubernetes.io/managed-by
		kubernetes.io/metadata.name automountServiceAccountToken fieldRef fieldPath envFrom
		configMapRef secretRef readOnly subPath defaultMode persistentVolumeClaim claimName
		sizeLimit fsGroup supplementalGroups revisionHistoryLimit rollingUpdate maxSurge
		maxUnavailable serviceName volumeClaimTemplates accessModes storageClassName storage
		initialDelaySeconds timeoutSeconds failureThreshold successThreshold tcpSocket exec
		terminationGracePeriodSeconds dnsPolicy nodeName priorityClassName podSelector
		policyTypes ingress egress from to namespaceSelector ipBlock cidr apiGroup
		resourceNames clusterIP loadBalancer ingressClassName tls hosts host http paths
		pathType backend service number concurrencyPolicy backoffLimit`)

type span struct{ a, b int }

func (c *fastConv) splitLines() {
	src := c.src
	if n := bytes.Count(src, []byte("\n")) + 1; cap(c.lines) < n {
		c.lines = make([]fline, 0, n)
	}
	for start := 0; start < len(src); {
		end := bytes.IndexByte(src[start:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += start
		}
		ind := 0
		for start+ind < end && src[start+ind] == ' ' {
			ind++
		}
		l := fline{start: start, end: end, indent: ind, cstart: start + ind}
		l.blank = l.cstart == end || src[l.cstart] == '#'
		c.lines = append(c.lines, l)
		start = end + 1
	}
}

func (c *fastConv) content(l fline) []byte { return c.src[l.cstart:l.end] }

func (c *fastConv) skipBlank() {
	for c.pos < len(c.lines) && c.lines[c.pos].blank {
		c.pos++
	}
}

func (c *fastConv) document() bool {
	c.skipBlank()
	if c.pos >= len(c.lines) {
		c.out = append(c.out, "null"...)
		return true
	}
	l := c.lines[c.pos]
	if isSeqItem(c.content(l)) {
		return false
	}
	if !c.mapping(l.indent) {
		return false
	}
	c.skipBlank()
	return c.pos == len(c.lines)
}

func isSeqItem(b []byte) bool { return len(b) > 0 && b[0] == '-' && (len(b) == 1 || b[1] == ' ') }

// mapping writes the block mapping whose keys are at column indent.
func (c *fastConv) mapping(indent int) bool {
	if c.depth++; c.depth > 200 {
		return false
	}
	defer func() { c.depth-- }()
	keysStart := len(c.keys)
	defer func() { c.keys = c.keys[:keysStart] }()
	c.out = append(c.out, '{')
	c.skipBlank()
	n, mark := c.node(c.pos+1, yaml3.MappingNode), len(c.stack)
	first := true
	for {
		c.skipBlank()
		if c.pos >= len(c.lines) {
			break
		}
		l := c.lines[c.pos]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return false
		}
		line := c.content(l)
		if isSeqItem(line) {
			return false
		}
		keyEnd, valStart, quoted := mappingKey(line)
		if keyEnd < 0 {
			return false
		}
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
		ka := len(c.out)
		if quoted {
			var ok bool
			if c.out, ok = appendQuoted(c.out, line[:keyEnd]); !ok {
				return false
			}
		} else {
			key := bytes.TrimRight(line[:keyEnd], " ")
			if !plainKey(key) {
				return false
			}
			c.out = appendString(c.out, key)
		}
		kb := len(c.out)
		for _, k := range c.keys[keysStart:] {
			if bytes.Equal(c.out[k.a:k.b], c.out[ka:kb]) {
				return false // a duplicate key: sigs.k8s.io/yaml keeps the last, JSON decoding would merge
			}
		}
		c.keys = append(c.keys, span{ka, kb})
		c.out = append(c.out, ':')
		va := len(c.out)
		keyLine := c.pos + 1
		rest := trimLeftSpaces(line[valStart:])
		if len(rest) == 0 || rest[0] == '#' {
			c.pos++
			if !c.nested(indent, true, keyLine) {
				return false
			}
		} else if !c.inline(rest, indent) {
			return false
		}
		c.child(c.out[ka:kb], keyLine)
		if c.depth == 1 {
			c.noteMeta(c.out[ka:kb], c.out[va:])
		}
	}
	c.out = append(c.out, '}')
	c.children(n, mark)
	return true
}

// noteMeta records apiVersion and kind of the document's root mapping.
func (c *fastConv) noteMeta(key, val []byte) {
	var dst *string
	switch string(key) {
	case `"apiVersion"`:
		dst = &c.tm.APIVersion
	case `"kind"`:
		dst = &c.tm.Kind
	case `"items"`:
		c.notMeta = true // a List: the caller reads its items from the JSON
		return
	default:
		return
	}
	switch {
	case string(val) == "null":
		*dst = ""
	case len(val) >= 2 && val[0] == '"' && bytes.IndexByte(val, '\\') < 0:
		*dst = string(val[1 : len(val)-1])
	default:
		c.notMeta = true
	}
}

// mappingKey finds the key of a "key: value" line: the end of the key and where the
// value starts, or -1 when the line is not a mapping entry the fast path reads.
func mappingKey(line []byte) (keyEnd, valStart int, quoted bool) {
	if len(line) == 0 {
		return -1, 0, false
	}
	if line[0] == '"' || line[0] == '\'' {
		end := quotedEnd(line)
		if end < 0 {
			return -1, 0, false
		}
		i := end
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i < len(line) && line[i] == ':' && (i+1 == len(line) || line[i+1] == ' ') {
			return end, i + 1, true
		}
		return -1, 0, false
	}
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '#':
			if i > 0 && line[i-1] == ' ' {
				return -1, 0, false
			}
		case ':':
			if i+1 == len(line) || line[i+1] == ' ' {
				return i, i + 1, false
			}
		}
	}
	return -1, 0, false
}

// plainKey accepts a plain key that yaml.v2 reads as a string and that starts
// without an indicator.
func plainKey(key []byte) bool {
	if len(key) == 0 || bytes.IndexByte(key, '#') >= 0 || bytes.Contains(key, []byte(": ")) {
		return false
	}
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", key[0]) >= 0 || string(key) == "<<" {
		return false
	}
	return resolveTable[key[0]] == 0 || plainIsString(key)
}

// nested writes the value of a key (or sequence item) written on the following lines:
// a more indented block, a sequence at the key's own column (in a mapping), or null.
func (c *fastConv) nested(indent int, inMapping bool, line int) bool {
	c.skipBlank()
	if c.pos >= len(c.lines) {
		c.out = append(c.out, "null"...)
		c.node(line, yaml3.ScalarNode)
		return true
	}
	l := c.lines[c.pos]
	content := c.content(l)
	switch {
	case l.indent > indent && isSeqItem(content):
		return c.sequence(l.indent)
	case l.indent > indent:
		if k, _, _ := mappingKey(content); k < 0 {
			return false // a scalar on its own line, or something else
		}
		return c.mapping(l.indent)
	case l.indent == indent && inMapping && isSeqItem(content):
		return c.sequence(indent)
	}
	c.out = append(c.out, "null"...)
	c.node(line, yaml3.ScalarNode)
	return true
}

// sequence writes the block sequence whose dashes are at column indent.
func (c *fastConv) sequence(indent int) bool {
	if c.depth++; c.depth > 200 {
		return false
	}
	defer func() { c.depth-- }()
	c.out = append(c.out, '[')
	c.skipBlank()
	n, mark := c.node(c.pos+1, yaml3.SequenceNode), len(c.stack)
	first := true
	for {
		c.skipBlank()
		if c.pos >= len(c.lines) {
			break
		}
		l := c.lines[c.pos]
		line := c.content(l)
		if l.indent < indent || (l.indent == indent && !isSeqItem(line)) {
			break
		}
		if l.indent > indent {
			return false
		}
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
		col := 1
		for col < len(line) && line[col] == ' ' {
			col++
		}
		rest := line[col:]
		itemLine := c.pos + 1
		switch {
		case len(rest) == 0 || rest[0] == '#':
			c.pos++
			if !c.nested(indent, false, itemLine) {
				return false
			}
		case isSeqItem(rest):
			return false // "- - a"
		default:
			if k, _, _ := mappingKey(rest); k >= 0 && rest[0] != '[' && rest[0] != '{' {
				// "- key: value": a mapping whose keys are at the column of "key".
				c.lines[c.pos].indent = l.indent + col
				c.lines[c.pos].cstart = l.cstart + col
				if !c.mapping(l.indent + col) {
					return false
				}
			} else if !c.inline(rest, indent) {
				return false
			}
		}
		c.child(nil, 0)
	}
	c.out = append(c.out, ']')
	c.children(n, mark)
	return true
}

// inline writes a value that starts on the current line after "key: " or "- ", and
// moves past it. indent is the column of the key or dash.
func (c *fastConv) inline(rest []byte, indent int) bool {
	switch rest[0] {
	case '"', '\'':
		end := quotedEnd(rest)
		if end < 0 || !onlyComment(rest[end:]) {
			return false
		}
		var ok bool
		if c.out, ok = appendQuoted(c.out, rest[:end]); !ok {
			return false
		}
		c.node(c.pos+1, yaml3.ScalarNode)
		c.pos++
		return true
	case '[', '{':
		f := flow{src: rest, c: c, line: c.pos + 1}
		var ok bool
		if c.out, ok = f.value(c.out); !ok || !onlyComment(rest[f.i:]) {
			return false
		}
		c.pos++
		return true
	case '|', '>':
		return c.blockScalar(rest, indent)
	case '&', '*', '!', '%', '@', '`', '?', ':', '-', ',', ']', '}':
		if rest[0] != '-' || isSeqItem(rest) {
			return false
		}
	}
	// A plain scalar on one line.
	end := len(rest)
	for i := 1; i < len(rest); i++ {
		if rest[i] == '#' && rest[i-1] == ' ' {
			end = i
			break
		}
	}
	s := bytes.TrimRight(rest[:end], " ")
	if len(s) == 0 || s[len(s)-1] == ':' || bytes.Contains(s, []byte(": ")) {
		return false
	}
	var ok bool
	if c.out, ok = appendPlain(c.out, s); !ok {
		return false
	}
	c.node(c.pos+1, yaml3.ScalarNode)
	c.pos++
	return true
}

// onlyComment reports what may follow a value on its line: spaces and a comment.
func onlyComment(b []byte) bool {
	t := trimLeftSpaces(b)
	return len(t) == 0 || (t[0] == '#' && len(t) < len(b))
}

func trimLeftSpaces(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

// blockScalar writes a literal (|) or folded (>) block scalar with clip or strip
// chomping, whose header is rest, and moves past its lines.
func (c *fastConv) blockScalar(rest []byte, indent int) bool {
	literal := rest[0] == '|'
	strip := false
	h := rest[1:]
	if len(h) > 0 && h[0] == '-' {
		strip, h = true, h[1:]
	}
	if len(h) > 0 && h[0] != ' ' || !onlyComment(h) {
		return false // keep (+), an indentation indicator, or text after the header
	}
	c.node(c.pos+1, yaml3.ScalarNode)
	c.pos++
	// The content is indented like its first non-empty line, which must be deeper than
	// the key. Lines of spaces only are left to the general parser.
	first := c.pos
	for first < len(c.lines) && c.lines[first].start == c.lines[first].end {
		first++
	}
	var body [][]byte
	lastEnd := -1 // end of the last content line
	if first < len(c.lines) && c.lines[first].indent > indent {
		ci := c.lines[first].indent
		for c.pos < len(c.lines) {
			l := c.lines[c.pos]
			if l.start == l.end {
				body = append(body, nil)
				c.pos++
				continue
			}
			if l.cstart == l.end {
				return false // a line of spaces only
			}
			if l.indent < ci {
				break
			}
			body = append(body, c.src[l.start+ci:l.end])
			lastEnd = l.end
			c.pos++
		}
	} else {
		c.pos = first
		// Empty lines before a less indented line are the scalar's, which is empty.
	}
	for len(body) > 0 && body[len(body)-1] == nil {
		body = body[:len(body)-1]
	}
	var text []byte
	if literal {
		text = bytes.Join(body, []byte("\n"))
	} else {
		breaks := 0
		started := false
		for _, line := range body {
			if len(line) == 0 {
				breaks++
				continue
			}
			if line[0] == ' ' {
				return false // more indented lines keep their breaks; not handled here
			}
			switch {
			case !started:
				text = append(text, bytes.Repeat([]byte("\n"), breaks)...)
			case breaks == 0:
				text = append(text, ' ')
			default:
				text = append(text, bytes.Repeat([]byte("\n"), breaks)...)
			}
			text = append(text, line...)
			breaks, started = 0, true
		}
	}
	// Clip keeps the line break of the last content line, when it has one.
	if !strip && len(body) > 0 && lastEnd < len(c.src) {
		text = append(text, '\n')
	}
	c.out = appendString(c.out, text)
	return true
}

// quotedEnd returns the index just after the closing quote of the quoted scalar that
// b starts with, or -1 when it does not close on this line.
func quotedEnd(b []byte) int {
	q := b[0]
	for i := 1; i < len(b); i++ {
		switch {
		case q == '\'' && b[i] == '\'':
			if i+1 < len(b) && b[i+1] == '\'' {
				i++
				continue
			}
			return i + 1
		case q == '"' && b[i] == '\\':
			i++
		case q == '"' && b[i] == '"':
			return i + 1
		}
	}
	return -1
}

// appendQuoted writes a single- or double-quoted scalar (quotes included in q) as a
// JSON string. Of the escapes of double quotes it reads the ones JSON shares.
func appendQuoted(out, q []byte) ([]byte, bool) {
	body := q[1 : len(q)-1]
	if q[0] == '\'' {
		return appendString(out, bytes.ReplaceAll(body, []byte("''"), []byte("'"))), true
	}
	if bytes.IndexByte(body, '\\') < 0 {
		return appendString(out, body), true
	}
	var s []byte
	for i := 0; i < len(body); i++ {
		b := body[i]
		if b != '\\' {
			s = append(s, b)
			continue
		}
		i++
		if i >= len(body) {
			return out, false
		}
		switch body[i] {
		case '\\', '"':
			s = append(s, body[i])
		case 'n':
			s = append(s, '\n')
		case 't':
			s = append(s, '\t')
		case 'r':
			s = append(s, '\r')
		case 'b':
			s = append(s, '\b')
		case 'f':
			s = append(s, '\f')
		case '0':
			s = append(s, 0)
		case 'a':
			s = append(s, 7)
		case 'v':
			s = append(s, 11)
		case 'e':
			s = append(s, 0x1b)
		default:
			return out, false
		}
	}
	return appendString(out, s), true
}

// appendString writes s as a JSON string.
func appendString(out, s []byte) []byte {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x20 && b != '"' && b != '\\' {
			continue
		}
		out = append(out, s[start:i]...)
		switch b {
		case '"', '\\':
			out = append(out, '\\', b)
		case '\n':
			out = append(out, '\\', 'n')
		case '\t':
			out = append(out, '\\', 't')
		case '\r':
			out = append(out, '\\', 'r')
		default:
			out = append(out, '\\', 'u', '0', '0', hexDigit[b>>4], hexDigit[b&0xf])
		}
		start = i + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

const hexDigit = "0123456789abcdef"

// flow reads a one-line flow collection: [a, "b", {c: d}].
type flow struct {
	src   []byte
	i     int
	depth int
	c     *fastConv // for the line index
	line  int
}

func (f *flow) spaces() {
	for f.i < len(f.src) && f.src[f.i] == ' ' {
		f.i++
	}
}

func (f *flow) value(out []byte) ([]byte, bool) {
	if f.depth++; f.depth > 50 {
		return out, false
	}
	defer func() { f.depth-- }()
	f.spaces()
	if f.i >= len(f.src) {
		return out, false
	}
	switch f.src[f.i] {
	case '[':
		return f.seq(out)
	case '{':
		return f.mapping(out)
	case '"', '\'':
		end := quotedEnd(f.src[f.i:])
		if end < 0 {
			return out, false
		}
		q := f.src[f.i : f.i+end]
		f.i += end
		f.c.node(f.line, yaml3.ScalarNode)
		return appendQuoted(out, q)
	}
	s, ok := f.plain()
	if !ok {
		return out, false
	}
	f.c.node(f.line, yaml3.ScalarNode)
	return appendPlain(out, s)
}

// plain reads a plain scalar in a flow collection: up to , ] } or the end.
func (f *flow) plain() ([]byte, bool) {
	start := f.i
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", f.src[start]) >= 0 {
		return nil, false
	}
	for f.i < len(f.src) {
		switch b := f.src[f.i]; b {
		case ',', ']', '}':
			return bytes.TrimRight(f.src[start:f.i], " "), true
		case ':', '#', '[', '{':
			return nil, false
		}
		f.i++
	}
	return nil, false // a flow collection closes on its line
}

// afterItem reads what follows an item of a flow collection n: a comma, after which
// another item comes, or closer, which ends the collection (done). Anything else is not
// a collection this converter reads (ok false).
func (f *flow) afterItem(out []byte, closer byte, n int32, mark int) (_ []byte, done, ok bool) {
	f.spaces()
	if f.i >= len(f.src) {
		return out, false, false
	}
	switch f.src[f.i] {
	case ',':
		f.i++
		return append(out, ','), false, true
	case closer:
		f.i++
		f.c.children(n, mark)
		return append(out, closer), true, true
	}
	return out, false, false
}

func (f *flow) seq(out []byte) ([]byte, bool) {
	f.i++ // [
	out = append(out, '[')
	n, mark := f.c.node(f.line, yaml3.SequenceNode), len(f.c.stack)
	f.spaces()
	if f.i < len(f.src) && f.src[f.i] == ']' {
		f.i++
		f.c.children(n, mark)
		return append(out, ']'), true
	}
	for {
		var ok bool
		if out, ok = f.value(out); !ok {
			return out, false
		}
		f.c.child(nil, 0)
		var done bool
		if out, done, ok = f.afterItem(out, ']', n, mark); done || !ok {
			return out, ok
		}
	}
}

func (f *flow) mapping(out []byte) ([]byte, bool) {
	f.i++ // {
	out = append(out, '{')
	n, mark := f.c.node(f.line, yaml3.MappingNode), len(f.c.stack)
	f.spaces()
	if f.i < len(f.src) && f.src[f.i] == '}' {
		f.i++
		f.c.children(n, mark)
		return append(out, '}'), true
	}
	var keys [][]byte
	for {
		f.spaces()
		if f.i >= len(f.src) {
			return out, false
		}
		ka := len(out)
		if q := f.src[f.i]; q == '"' || q == '\'' {
			end := quotedEnd(f.src[f.i:])
			if end < 0 {
				return out, false
			}
			var ok bool
			if out, ok = appendQuoted(out, f.src[f.i:f.i+end]); !ok {
				return out, false
			}
			f.i += end
			f.spaces()
			if f.i >= len(f.src) || f.src[f.i] != ':' {
				return out, false
			}
			f.i++
		} else {
			start := f.i
			for f.i < len(f.src) && !(f.src[f.i] == ':' && f.i+1 < len(f.src) && f.src[f.i+1] == ' ') {
				if strings.IndexByte(",[]{}#", f.src[f.i]) >= 0 {
					return out, false
				}
				f.i++
			}
			if f.i >= len(f.src) {
				return out, false
			}
			key := bytes.TrimRight(f.src[start:f.i], " ")
			if !plainKey(key) {
				return out, false
			}
			out = appendString(out, key)
			f.i++ // :
		}
		for _, k := range keys {
			if bytes.Equal(k, out[ka:]) {
				return out, false
			}
		}
		keys = append(keys, out[ka:len(out):len(out)])
		out = append(out, ':')
		f.spaces()
		if f.i >= len(f.src) || f.src[f.i] == ',' || f.src[f.i] == '}' {
			return out, false // {a: } is null to YAML; left to the general parser
		}
		kb := len(out) - 1 // before ':'
		var ok bool
		if out, ok = f.value(out); !ok {
			return out, false
		}
		f.c.child(out[ka:kb], f.line)
		var done bool
		if out, done, ok = f.afterItem(out, '}', n, mark); done || !ok {
			return out, ok
		}
	}
}

// The resolution of plain scalars follows go.yaml.in/yaml/v2's resolve (which
// sigs.k8s.io/yaml uses): the first byte says whether the scalar may be anything
// but a string.
var resolveTable = func() (t [256]byte) {
	t['+'], t['-'] = 'S', 'S'
	for _, c := range "0123456789" {
		t[c] = 'D'
	}
	for _, c := range "yYnNtTfFoO~" {
		t[c] = 'M'
	}
	t['.'] = '.'
	return t
}()

var resolveWords = map[string]string{
	"y": "true", "Y": "true", "yes": "true", "Yes": "true", "YES": "true",
	"true": "true", "True": "true", "TRUE": "true",
	"on": "true", "On": "true", "ON": "true",
	"n": "false", "N": "false", "no": "false", "No": "false", "NO": "false",
	"false": "false", "False": "false", "FALSE": "false",
	"off": "false", "Off": "false", "OFF": "false",
	"~": "null", "null": "null", "Null": "null", "NULL": "null",
	// NaN and infinities have no JSON form, and "<<" is a merge key: the general
	// parser says what to do with them.
	".nan": "", ".NaN": "", ".NAN": "", ".inf": "", ".Inf": "", ".INF": "",
	"+.inf": "", "+.Inf": "", "+.INF": "", "-.inf": "", "-.Inf": "", "-.INF": "", "<<": "",
}

var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// plainIsString reports a plain scalar that yaml.v2 resolves to a string.
func plainIsString(s []byte) bool {
	out, ok := appendPlain(nil, s)
	return ok && len(out) > 0 && out[0] == '"'
}

// appendPlain writes a plain scalar as yaml.v2 resolves it: a bool, null, an int, a
// float or a string. It reports false for what has no JSON form.
func appendPlain(out, s []byte) ([]byte, bool) {
	hint := resolveTable[s[0]]
	if hint == 0 {
		return appendString(out, s), true
	}
	if w, ok := resolveWords[string(s)]; ok {
		if w == "" {
			return out, false
		}
		return append(out, w...), true
	}
	switch hint {
	case '.':
		if f, err := strconv.ParseFloat(string(s), 64); err == nil {
			return appendFloat(out, f)
		}
	case 'D', 'S':
		if !numberBytesOnly(s) {
			// "100m", "128Mi", "1.2.3": no number, and no timestamp either (a colon or a
			// T is not a number's byte, but a timestamp is a string all the same).
			return appendString(out, s), true
		}
		str := string(s)
		if isTimestamp(str) {
			return appendString(out, s), true // yaml.v2 keeps timestamps as strings in interface{}
		}
		plain := strings.ReplaceAll(str, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return strconv.AppendInt(out, i, 10), true
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return strconv.AppendUint(out, u, 10), true
		}
		if yamlStyleFloat.MatchString(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return appendFloat(out, f)
			}
		}
		if strings.HasPrefix(plain, "0b") {
			if i, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
				return strconv.AppendInt(out, i, 10), true
			}
			if u, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
				return strconv.AppendUint(out, u, 10), true
			}
		} else if strings.HasPrefix(plain, "-0b") {
			if i, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
				return strconv.AppendInt(out, i, 10), true
			}
		}
	}
	return appendString(out, s), true
}

// numberBytesOnly reports whether every byte of s may be part of a number yaml.v2
// resolves (strconv.ParseInt and ParseUint with base 0, yamlStyleFloat, "0b"): digits,
// hex digits, base prefixes, signs, underscores and the decimal point. A plain scalar
// with another byte is a string, found without the parsers' errors or the regexp.
func numberBytesOnly(s []byte) bool {
	for _, c := range s {
		if !numberByte[c] {
			return false
		}
	}
	return true
}

var numberByte = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEFxXoO+-_." {
		t[c] = true
	}
	return t
}()

func appendFloat(out []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return out, false
	}
	b, err := json.Marshal(f)
	if err != nil {
		return out, false
	}
	return append(out, b...), true
}

// isTimestamp is yaml.v2's parseTimestamp: four digits, a dash, and one of its layouts.
func isTimestamp(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			break
		}
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, layout := range []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// ConvertYAML converts one YAML document to JSON as the decoder does — the fast
// converter, else sigs.k8s.io/yaml — and hands the JSON to use, which must not keep
// it. It is for bench/floor, which times reading and decoding a stream and nothing
// else.
func ConvertYAML(doc []byte, use func(js []byte) error) error {
	js, _, err := toJSON(doc)
	if err != nil {
		return err
	}
	defer putJSON(js)
	return use(js)
}
