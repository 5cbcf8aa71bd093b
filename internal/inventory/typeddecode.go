package inventory

import (
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
)

// fastJSON decodes into the client-go types as the API server's decoder does —
// field names matched case-sensitively, the types' own UnmarshalJSON honoured — in
// about half the time of sigs.k8s.io/json, which first scans every document once to
// validate it and then decodes by reflection. The documents it reads come from the
// YAML converter or a cluster, so they are valid JSON.
var fastJSON = jsoniter.Config{CaseSensitive: true, ValidateJsonRawMessage: true}.Froze()

// decodeTyped decodes js into a new object of kind gvk; known is false when the scheme
// has no type for gvk (nothing is decoded then). The fast decoder reads it first;
// when that fails, the API machinery's decoder reads it again into a fresh object, so
// that every error (and the lenient decoder, which reads the field out of it) is the one
// the API server would give. FuzzTypedDecodersAgree holds the two decoders to the same
// objects.
func decodeTyped(js []byte, gvk schema.GroupVersionKind) (obj kruntime.Object, known bool, err error) {
	if obj, err = scheme.Scheme.New(gvk); err != nil {
		return nil, false, nil
	}
	if fastDecode(js, obj) {
		return obj, true, nil
	}
	obj, _ = scheme.Scheme.New(gvk)
	return obj, true, kjson.UnmarshalCaseSensitivePreserveInts(js, obj)
}

// fastDecode decodes js into obj with the fast decoder when js is plain JSON; false
// means obj is not to be used.
func fastDecode(js []byte, obj kruntime.Object) bool { return fastDecodeInto(js, obj) }

// fastDecodeInto is fastDecode into any Go value.
func fastDecodeInto(js []byte, obj any) (ok bool) {
	// On a document cut short, the fast decoder hands the types' UnmarshalJSON an empty
	// value, and IntOrString's indexes it: a panic here is the fallback's case too.
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return plainJSON(js) && fastJSON.Unmarshal(js, obj) == nil
}

// plainJSON says whether js holds only what the two decoders read alike: valid UTF-8
// and no control character, even between tokens (the converter and the API server
// write compact JSON). The fast decoder takes a raw control character inside a string,
// which JSON forbids; indented JSON files go to the API machinery's decoder.
func plainJSON(js []byte) bool {
	for _, b := range js {
		if b < 0x20 {
			return false
		}
	}
	return utf8.Valid(js)
}
