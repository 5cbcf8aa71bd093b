package inventory

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/moat-dev/moat/internal/jsontok"
)

// readTypeMetaFast reads apiVersion, kind and items as the API machinery's decoder
// does, with a validating tokenizer that skips every other member without allocating:
// json-iterator's struct decoder skips unknown members through a callback that makes a
// string of every name below them, which was a third of decoding an admission
// review's pod. ok is false when js is to be read by the API machinery's decoder
// instead: anything but one object of plain members (a name with an escape, a
// non-string apiVersion or kind, a null element of items), and anything the
// tokenizer refuses (invalid UTF-8, which encoding/json reads, included).
func readTypeMetaFast(js []byte, tm *typeMeta) (ok bool) {
	t := jsontok.Get(js)
	defer t.Release()
	dec := &t.Decoder
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil || bytes.IndexByte(name, '\\') >= 0 {
			return false
		}
		switch string(name) {
		case `"apiVersion"`:
			ok = jsontok.ReadString(dec, &tm.APIVersion)
		case `"kind"`:
			ok = jsontok.ReadString(dec, &tm.Kind)
		case `"items"`:
			ok = readItems(dec, &tm.Items)
		default:
			ok = dec.SkipValue() == nil
		}
		if !ok {
			return false
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return false
	}
	// encoding/json refuses anything but white space after the value.
	_, err := dec.ReadToken()
	return err == io.EOF
}

// readItems reads the value of items: null (no items) or an array whose elements are
// copied, as encoding/json copies them: js may be a pooled buffer. A null element,
// which encoding/json keeps as "null", is left to it.
func readItems(dec *jsontext.Decoder, items *[]json.RawMessage) bool {
	if jsontok.ReadNull(dec) {
		*items = nil
		return true
	}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return false
	}
	out := []json.RawMessage{}
	for dec.PeekKind() != ']' {
		v, err := dec.ReadValue()
		if err != nil || v.Kind() == 'n' {
			return false
		}
		out = append(out, json.RawMessage(bytes.Clone(v)))
	}
	if _, err := dec.ReadToken(); err != nil {
		return false
	}
	*items = out
	return true
}
