package inventory

import (
	"encoding/json"
	"errors"
	"strings"

	kjson "sigs.k8s.io/json"

	"github.com/moat-dev/moat/internal/finding"
)

// maxDroppedFields bounds how many wrong-typed fields one object may lose and still
// be checked; past it the object is reported and not scanned.
const maxDroppedFields = 32

// decodeLenient decodes one object as decodeObject does, and goes on past fields
// whose values have the wrong type (`privileged: "yes"`): each such field is still
// an error, and the object is decoded again without it, so that one typo does not
// hide the object's other problems from every rule. Only the values the decoder
// refused are dropped. An object that cannot be decoded that way (a malformed
// quantity, more than maxDroppedFields bad fields) gives its first error and no
// object, as before.
func decodeLenient(js []byte, tm *typeMeta, src *finding.Source) (*Object, []error) {
	o, err := decodeObject(js, tm, src)
	if err == nil {
		return o, nil
	}
	first := err
	var tree any // the object as generic JSON, parsed on the first bad field
	var dropped []error
	for len(dropped) < maxDroppedFields {
		var fe *fieldErr
		if !errors.As(err, &fe) {
			break
		}
		field, value, _, ok := fe.typeError()
		if !ok {
			break
		}
		if tree == nil && kjson.UnmarshalCaseSensitivePreserveInts(js, &tree) != nil {
			break
		}
		var removed bool
		tree, removed = dropWrongKind(tree, strings.Split(field, "."), jsonKindOf(value))
		if !removed {
			break
		}
		fe.dropped = true
		dropped = append(dropped, fe)
		again, merr := json.Marshal(tree)
		if merr != nil {
			break
		}
		if o, err = decodeObject(again, tm, src); err == nil {
			return o, dropped
		}
	}
	for _, e := range dropped {
		var fe *fieldErr
		if errors.As(e, &fe) {
			fe.dropped = false
		}
	}
	return nil, []error{first}
}

// jsonKindOf is the kind of JSON value an UnmarshalTypeError's Value describes:
// "string", "number" (from "number 1.5"), "bool", "array" or "object".
func jsonKindOf(value string) string {
	kind, _, _ := strings.Cut(value, " ")
	return kind
}

// jsonKind is the kind of a generic JSON value, as jsonKindOf names it.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "number"
}

// dropWrongKind removes from the generic JSON value node the values of kind at path,
// a decoder's field path: names of fields, without the indexes of arrays (it
// descends into every element) and without the keys of maps. A path that ends at an
// array or a map whose elements have the wrong type (`args: [1]`, `labels: {a: true}`)
// loses those elements. It returns the new node and whether anything was removed.
func dropWrongKind(node any, path []string, kind string) (any, bool) {
	switch n := node.(type) {
	case []any:
		if len(path) == 0 {
			kept := n[:0]
			for _, e := range n {
				if jsonKind(e) != kind {
					kept = append(kept, e)
				}
			}
			return kept, len(kept) < len(n)
		}
		removed := false
		for i, e := range n {
			var r bool
			n[i], r = dropWrongKind(e, path, kind)
			removed = removed || r
		}
		return n, removed
	case map[string]any:
		if len(path) == 0 {
			removed := false
			for k, v := range n {
				if jsonKind(v) == kind {
					delete(n, k)
					removed = true
				}
			}
			return n, removed
		}
		v, ok := n[path[0]]
		if !ok {
			return n, false
		}
		if len(path) == 1 && jsonKind(v) == kind {
			delete(n, path[0])
			return n, true
		}
		v, removed := dropWrongKind(v, path[1:], kind)
		n[path[0]] = v
		return n, removed
	}
	return node, false
}
