package admission

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/jsonenc"
	"github.com/moat-dev/moat/internal/jsontok"
)

// The AdmissionReview on the wire: a request read in one pass that copies nothing of
// the objects it carries, and an answer written without reflection.
//
// encoding/json read a pod's review by validating the whole body, then decoding it,
// copying the object, the old object and the options out of it on the way; with the
// denial's answer encoded by reflection, that was a fifth of the webhook's CPU time
// per review under load (hey at 1,000 requests/s). Now the body is read once, and the
// object again only where inventory.DecodeJSON decodes it.

// DecodeReview reads an AdmissionReview. It accepts what encoding/json accepts, into
// the same values, and refuses what encoding/json refuses, with encoding/json's error:
// a body in the form the API server writes (names spelt as the API writes them, each
// once, valid UTF-8) is read by a validating tokenizer in one pass, in which
// request.object, request.oldObject and request.options become slices of body (body
// must not change while the review is in use); anything else, and any body the
// tokenizer cannot read exactly as encoding/json would, is read again by encoding/json.
func DecodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	if review, ok := decodeReviewFast(body); ok {
		return review, nil
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return nil, err
	}
	return &review, nil
}

// The member names of AdmissionReview and AdmissionRequest. A member whose name folds
// to one of these without being it is a name encoding/json matches case-insensitively,
// which the fast path leaves to it.
var (
	reviewNames  = []string{"apiVersion", "kind", "request", "response"}
	requestNames = []string{"uid", "kind", "resource", "subResource", "requestKind", "requestResource", "requestSubResource",
		"name", "namespace", "operation", "userInfo", "object", "oldObject", "dryRun", "options"}
)

// decodeReviewFast reads body as DecodeReview describes; ok is false when body is to
// be read by encoding/json instead. The tokenizer refuses invalid UTF-8, which
// encoding/json reads (invalid bytes become U+FFFD), so such a body goes to
// encoding/json. Names inside the objects are not checked for duplicates (the objects
// are kept as they are written, and decoded later as encoding/json would); the members
// that are read here are, by readObject.
func decodeReviewFast(body []byte) (review *admissionv1.AdmissionReview, ok bool) {
	t := jsontok.Get(body)
	defer t.Release()
	dec := &t.Decoder
	review = &admissionv1.AdmissionReview{}
	ok = readObject(dec, reviewNames, func(name string) bool {
		switch name {
		case "apiVersion":
			return jsontok.ReadString(dec, &review.APIVersion)
		case "kind":
			return jsontok.ReadString(dec, &review.Kind)
		case "request":
			return readRequest(dec, body, &review.Request)
		}
		return skipUnknown(dec, name, reviewNames)
	})
	// encoding/json refuses anything but white space after the value.
	if _, err := dec.ReadToken(); !ok || err != io.EOF {
		return nil, false
	}
	return review, true
}

// readRequest reads the value of "request": null, or an AdmissionRequest.
func readRequest(dec *jsontext.Decoder, body []byte, p **admissionv1.AdmissionRequest) bool {
	if jsontok.ReadNull(dec) {
		*p = nil
		return true
	}
	req := &admissionv1.AdmissionRequest{}
	*p = req
	return readObject(dec, requestNames, func(name string) bool {
		switch name {
		case "uid":
			return jsontok.ReadString(dec, (*string)(&req.UID))
		case "kind":
			return readGVK(dec, &req.Kind)
		case "resource":
			return readGVR(dec, &req.Resource)
		case "subResource":
			return jsontok.ReadString(dec, &req.SubResource)
		case "requestKind":
			return readPointer(dec, &req.RequestKind, readGVK)
		case "requestResource":
			return readPointer(dec, &req.RequestResource, readGVR)
		case "requestSubResource":
			return jsontok.ReadString(dec, &req.RequestSubResource)
		case "name":
			return jsontok.ReadString(dec, &req.Name)
		case "namespace":
			return jsontok.ReadString(dec, &req.Namespace)
		case "operation":
			return jsontok.ReadString(dec, (*string)(&req.Operation))
		case "userInfo":
			return readUserInfo(dec, &req.UserInfo)
		case "object":
			return readRaw(dec, body, &req.Object)
		case "oldObject":
			return readRaw(dec, body, &req.OldObject)
		case "options":
			return readRaw(dec, body, &req.Options)
		case "dryRun":
			return readPointer(dec, &req.DryRun, readBool)
		}
		return skipUnknown(dec, name, requestNames)
	})
}

// readGVK, readGVR and readUserInfo read those structs: null leaves them as they are,
// as encoding/json does; a member they do not have, which encoding/json might match
// to one of theirs regardless of case, is left to encoding/json.
func readGVK(dec *jsontext.Decoder, gvk *metav1.GroupVersionKind) bool {
	return jsontok.ReadNull(dec) || readStringMembers(dec, []string{"group", "version", "kind"}, &gvk.Group, &gvk.Version, &gvk.Kind)
}

func readGVR(dec *jsontext.Decoder, gvr *metav1.GroupVersionResource) bool {
	return jsontok.ReadNull(dec) || readStringMembers(dec, []string{"group", "version", "resource"}, &gvr.Group, &gvr.Version, &gvr.Resource)
}

// readStringMembers reads an object whose members are names[i], each a string read
// into fields[i]; any other member is left to encoding/json.
func readStringMembers(dec *jsontext.Decoder, names []string, fields ...*string) bool {
	return readObject(dec, names, func(name string) bool {
		i := slices.Index(names, name)
		return i >= 0 && jsontok.ReadString(dec, fields[i])
	})
}

var userInfoNames = []string{"username", "uid", "groups", "extra"}

func readUserInfo(dec *jsontext.Decoder, u *authenticationv1.UserInfo) bool {
	return jsontok.ReadNull(dec) || readObject(dec, userInfoNames, func(name string) bool {
		switch name {
		case "username":
			return jsontok.ReadString(dec, &u.Username)
		case "uid":
			return jsontok.ReadString(dec, &u.UID)
		case "groups":
			return readStrings(dec, &u.Groups)
		case "extra":
			return readExtra(dec, &u.Extra)
		}
		return false
	})
}

// readExtra reads userInfo.extra: null (nil), or an object of string lists.
func readExtra(dec *jsontext.Decoder, extra *map[string]authenticationv1.ExtraValue) bool {
	if jsontok.ReadNull(dec) {
		*extra = nil
		return true
	}
	m := map[string]authenticationv1.ExtraValue{}
	*extra = m
	return readObject(dec, nil, func(name string) bool {
		var v []string
		ok := readStrings(dec, &v)
		m[name] = v
		return ok
	})
}

// maxMembers is the most members readObject reads in one object; more go to
// encoding/json (the API server writes 15 in a request), so that the search for
// duplicates stays short.
const maxMembers = 32

// readObject reads an object, calling member with each name to read its value; a
// name among known is passed as that string, without allocating a copy. A name twice,
// which encoding/json reads with the last one winning and objects merged, is left to
// encoding/json, and so is an object of more than maxMembers.
func readObject(dec *jsontext.Decoder, known []string, member func(name string) bool) bool {
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	var names [maxMembers]string
	n := 0
	for dec.PeekKind() == '"' {
		quoted, err := dec.ReadValue()
		if err != nil || n == maxMembers {
			return false
		}
		name, ok := nameOf(quoted, known)
		if !ok || slices.Contains(names[:n], name) {
			return false
		}
		names[n] = name
		n++
		if !member(name) {
			return false
		}
	}
	tok, err := dec.ReadToken()
	return err == nil && tok.Kind() == '}'
}

// nameOf is the name of a member as the tokenizer read it, quoted: one of known when
// it is written plainly, else unquoted anew.
func nameOf(quoted []byte, known []string) (string, bool) {
	if plain := quoted[1 : len(quoted)-1]; bytes.IndexByte(plain, '\\') < 0 {
		for _, k := range known {
			if string(plain) == k {
				return k, true
			}
		}
	}
	name, err := jsontext.AppendUnquote(nil, quoted)
	return string(name), err == nil
}

// readStrings reads null (nil) or an array of strings, null elements "", as
// encoding/json does; an empty array is an empty slice, not nil.
func readStrings(dec *jsontext.Decoder, p *[]string) bool {
	if jsontok.ReadNull(dec) {
		*p = nil
		return true
	}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return false
	}
	ss := []string{}
	for dec.PeekKind() == '"' || dec.PeekKind() == 'n' {
		var s string
		if !jsontok.ReadString(dec, &s) {
			return false
		}
		ss = append(ss, s)
	}
	*p = ss
	tok, err := dec.ReadToken()
	return err == nil && tok.Kind() == ']'
}

// readBool reads true or false.
func readBool(dec *jsontext.Decoder, b *bool) bool {
	tok, err := dec.ReadToken()
	if err != nil || (tok.Kind() != 't' && tok.Kind() != 'f') {
		return false
	}
	*b = tok.Bool()
	return true
}

// readPointer reads null (nil) or a value with read into a new T.
func readPointer[T any](dec *jsontext.Decoder, p **T, read func(*jsontext.Decoder, *T) bool) bool {
	if jsontok.ReadNull(dec) {
		*p = nil
		return true
	}
	*p = new(T)
	return read(dec, *p)
}

// readRaw sets raw to the next value as it stands in body, without copying it; null
// leaves raw empty, as runtime.RawExtension's UnmarshalJSON does.
func readRaw(dec *jsontext.Decoder, body []byte, raw *runtime.RawExtension) bool {
	v, err := dec.ReadValue()
	if err != nil {
		return false
	}
	if v.Kind() == 'n' {
		raw.Raw = nil
		return true
	}
	end := dec.InputOffset()
	raw.Raw = body[end-int64(len(v)) : end : end]
	return true
}

// skipUnknown skips the value of a member the type does not have, unless encoding/json
// would match its name to one of names regardless of case (ASCII names fold only to
// ASCII names; any other name is left to encoding/json, whose folding maps the Kelvin
// sign to k and the long s to s).
func skipUnknown(dec *jsontext.Decoder, name string, names []string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return false
		}
	}
	for _, n := range names {
		if strings.EqualFold(name, n) {
			return false
		}
	}
	return dec.SkipValue() == nil
}

// AppendReview appends the answer to a review, an AdmissionReview of type tm holding
// resp, byte for byte as encoding/json's Encoder writes it (HTML characters escaped,
// a newline at the end). An answer with what Moat never sets (a patch, the causes of
// a status) is encoded by encoding/json.
func AppendReview(dst []byte, tm metav1.TypeMeta, resp *admissionv1.AdmissionResponse) ([]byte, error) {
	if resp == nil || len(resp.Patch) > 0 || resp.PatchType != nil || (resp.Result != nil && resp.Result.Details != nil && resp.Result.Details.Causes != nil) {
		var b bytes.Buffer
		err := json.NewEncoder(&b).Encode(&admissionv1.AdmissionReview{TypeMeta: tm, Response: resp})
		return append(dst, b.Bytes()...), err
	}
	dst = append(dst, '{')
	dst = appendTypeMeta(dst, tm)
	dst = appendComma(dst)
	dst = append(dst, `"response":{"uid":`...)
	dst = jsonenc.AppendStringHTML(dst, string(resp.UID))
	dst = append(dst, `,"allowed":`...)
	dst = strconv.AppendBool(dst, resp.Allowed)
	if resp.Result != nil {
		dst = append(dst, `,"status":`...)
		dst = appendStatus(dst, resp.Result)
	}
	if len(resp.AuditAnnotations) > 0 {
		dst = append(dst, `,"auditAnnotations":{`...)
		keys := make([]string, 0, len(resp.AuditAnnotations))
		for k := range resp.AuditAnnotations {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonenc.AppendStringHTML(dst, k)
			dst = append(dst, ':')
			dst = jsonenc.AppendStringHTML(dst, resp.AuditAnnotations[k])
		}
		dst = append(dst, '}')
	}
	if len(resp.Warnings) > 0 {
		dst = append(dst, `,"warnings":[`...)
		for i, w := range resp.Warnings {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonenc.AppendStringHTML(dst, w)
		}
		dst = append(dst, ']')
	}
	return append(dst, "}}\n"...), nil
}

// appendTypeMeta appends the members of tm; nothing when both are empty.
func appendTypeMeta(dst []byte, tm metav1.TypeMeta) []byte {
	dst = appendMember(dst, "kind", tm.Kind)
	return appendMember(dst, "apiVersion", tm.APIVersion)
}

// appendMember appends the member "name":value of an object being written, unless
// value is empty (omitempty).
func appendMember(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = appendComma(dst)
	dst = append(dst, '"')
	dst = append(dst, name...)
	dst = append(dst, `":`...)
	return jsonenc.AppendStringHTML(dst, value)
}

func appendStatus(dst []byte, s *metav1.Status) []byte {
	dst = append(dst, '{')
	dst = appendTypeMeta(dst, s.TypeMeta)
	dst = appendComma(dst)
	// ListMeta is a struct, which omitempty never omits.
	dst = append(dst, `"metadata":{`...)
	dst = appendMember(dst, "selfLink", s.SelfLink)
	dst = appendMember(dst, "resourceVersion", s.ResourceVersion)
	dst = appendMember(dst, "continue", s.Continue)
	if s.RemainingItemCount != nil {
		dst = appendComma(dst)
		dst = append(dst, `"remainingItemCount":`...)
		dst = strconv.AppendInt(dst, *s.RemainingItemCount, 10)
	}
	dst = append(dst, '}')
	dst = appendMember(dst, "status", s.Status)
	dst = appendMember(dst, "message", s.Message)
	dst = appendMember(dst, "reason", string(s.Reason))
	if d := s.Details; d != nil {
		dst = append(dst, `,"details":{`...)
		dst = appendMember(dst, "name", d.Name)
		dst = appendMember(dst, "group", d.Group)
		dst = appendMember(dst, "kind", d.Kind)
		dst = appendMember(dst, "uid", string(d.UID))
		if d.RetryAfterSeconds != 0 {
			dst = appendComma(dst)
			dst = append(dst, `"retryAfterSeconds":`...)
			dst = strconv.AppendInt(dst, int64(d.RetryAfterSeconds), 10)
		}
		dst = append(dst, '}')
	}
	if s.Code != 0 {
		dst = append(dst, `,"code":`...)
		dst = strconv.AppendInt(dst, int64(s.Code), 10)
	}
	return append(dst, '}')
}

// appendComma separates a member from the one before it: every member is written
// right after its object's '{' or after a previous member.
func appendComma(dst []byte) []byte {
	if dst[len(dst)-1] == '{' {
		return dst
	}
	return append(dst, ',')
}
