package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	yaml3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"

	"github.com/moat-dev/moat/internal/finding"
)

// MaxDocumentBytes bounds one YAML document; larger ones are reported, not decoded.
const MaxDocumentBytes = 32 << 20

// Error is a problem with one document of one input, named by file and line.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	msg := shorten(e.Err.Error())
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	}
	return fmt.Sprintf("%s: %s", e.File, msg)
}

// maxErrorBytes bounds the message of an Error: a recursive Helm include once made
// one of about 100 KB. What is left out is said, with its size.
const maxErrorBytes = 1 << 10

// shorten keeps the start and the end of a message longer than maxErrorBytes (the
// end of a chain of wrapped errors is often its cause) and says how much is left
// out between them.
func shorten(s string) string {
	if len(s) <= maxErrorBytes {
		return s
	}
	head, tail := maxErrorBytes*3/4, maxErrorBytes/4
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	start := len(s) - tail
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	return fmt.Sprintf("%s … (%d bytes left out) … %s", s[:head], start-head, s[start:])
}

func (e *Error) Unwrap() error { return e.Err }

// document is one YAML document of a stream: its text, the line it starts on and
// its byte offset in the stream.
type document struct {
	data []byte
	line int
	off  int64
}

// utf8BOM may open a file written by some Windows editors.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// splitDocuments reads a YAML stream line by line and calls emit for each document,
// so that a file of any size is streamed rather than held whole: only the document
// being read is in memory. A document larger than MaxDocumentBytes is emitted
// without data, to be reported.
func splitDocuments(r io.Reader, emit func(document) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		buf       bytes.Buffer
		lineNo    int
		startLine = 1
		startOff  int64
		off       int64 // bytes read so far
		tooLarge  bool
	)
	flush := func(next int) error {
		defer func() { buf.Reset(); startLine = next; startOff = off; tooLarge = false }()
		if tooLarge {
			return emit(document{line: startLine, off: startOff})
		}
		if isBlank(buf.Bytes()) {
			return nil
		}
		data := make([]byte, buf.Len())
		copy(data, buf.Bytes())
		return emit(document{data: data, line: startLine, off: startOff})
	}
	var long []byte
	for {
		line, err := br.ReadSlice('\n')
		n := int64(len(line)) // bytes this line takes in the stream
		overLong := false
		if errors.Is(err, bufio.ErrBufferFull) {
			// A very long line: keep reading it piecewise, up to the document limit.
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				n += int64(len(line))
				if len(long) <= MaxDocumentBytes {
					long = append(long, line...)
				}
			}
			line, overLong = long, n > int64(len(long))
		}
		if n > 0 {
			if lineNo == 0 && bytes.HasPrefix(line, utf8BOM) {
				line = line[len(utf8BOM):]
				startOff = int64(len(utf8BOM))
			}
			lineNo++
			off += n
			switch {
			case isSeparator(line):
				if err := flush(lineNo + 1); err != nil {
					return err
				}
			case tooLarge:
			case overLong || buf.Len()+len(line) > MaxDocumentBytes:
				tooLarge = true
				buf.Reset()
			default:
				buf.Write(line)
			}
		}
		if cap(long) > 1<<20 {
			long = nil
		}
		if err == io.EOF {
			return flush(lineNo + 1)
		}
		if err != nil {
			return err
		}
	}
}

// isSeparator reports a "---" document separator line (which may carry a comment).
func isSeparator(line []byte) bool {
	l := bytes.TrimRight(line, "\r\n")
	if !bytes.HasPrefix(l, []byte("---")) {
		return false
	}
	rest := l[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

// isBlank reports a document of only whitespace, comments and "..." end markers.
func isBlank(doc []byte) bool {
	for len(doc) > 0 {
		i := bytes.IndexByte(doc, '\n')
		var line []byte
		if i < 0 {
			line, doc = doc, nil
		} else {
			line, doc = doc[:i], doc[i+1:]
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' || bytes.Equal(t, []byte("...")) {
			continue
		}
		return false
	}
	return true
}

// typeMeta is what decoding needs to know before choosing a Go type.
type typeMeta struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// legacy maps old API versions of kinds to the version whose Go type holds the same
// fields, so that rules written against the current types apply to old manifests too
// (an extensions/v1beta1 Deployment has the pod template of an apps/v1 one). The
// object keeps the GVK it was written with, so the deprecated-API rule still sees
// it. Only structurally compatible pairs are here: a networking.k8s.io/v1beta1
// Ingress, whose backends have another shape than v1's, keeps its own type.
var legacy = map[schema.GroupKind]schema.GroupVersion{
	{Group: "extensions", Kind: "Deployment"}:                        {Group: "apps", Version: "v1"},
	{Group: "extensions", Kind: "DaemonSet"}:                         {Group: "apps", Version: "v1"},
	{Group: "extensions", Kind: "ReplicaSet"}:                        {Group: "apps", Version: "v1"},
	{Group: "apps", Kind: "Deployment"}:                              {Group: "apps", Version: "v1"},
	{Group: "apps", Kind: "DaemonSet"}:                               {Group: "apps", Version: "v1"},
	{Group: "apps", Kind: "ReplicaSet"}:                              {Group: "apps", Version: "v1"},
	{Group: "apps", Kind: "StatefulSet"}:                             {Group: "apps", Version: "v1"},
	{Group: "batch", Kind: "CronJob"}:                                {Group: "batch", Version: "v1"},
	{Group: "extensions", Kind: "Ingress"}:                           {Group: "networking.k8s.io", Version: "v1beta1"},
	{Group: "extensions", Kind: "NetworkPolicy"}:                     {Group: "networking.k8s.io", Version: "v1"},
	{Group: "policy", Kind: "PodDisruptionBudget"}:                   {Group: "policy", Version: "v1"},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               {Group: "rbac.authorization.k8s.io", Version: "v1"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        {Group: "rbac.authorization.k8s.io", Version: "v1"},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        {Group: "rbac.authorization.k8s.io", Version: "v1"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: {Group: "rbac.authorization.k8s.io", Version: "v1"},
}

// decodeDocument turns one document into objects: one, or the items of a List. The
// objects keep the document's line index for SourceAt, built in the same walk as the
// JSON, and not its text. A document that is no Kubernetes object at all gives one
// *Error whose Err is a *notObjectError, which a directory walk tells apart (see
// nothingToScan).
func decodeDocument(doc document, file string) ([]*Object, []error) {
	if doc.data == nil {
		return nil, []error{&Error{file, doc.line, fmt.Errorf("document larger than %d MiB", MaxDocumentBytes>>20)}}
	}
	if parts, err := jsonStream(doc); err != nil || len(parts) > 1 {
		var objs []*Object
		var errs []error
		for _, p := range parts {
			o, e := decodeDocument(p, file)
			objs, errs = append(objs, o...), append(errs, e...)
		}
		if err != nil {
			errs = append(errs, &Error{file, err.line, &syntaxError{err.msg}})
		}
		return objs, errs
	}
	if err := checkAliasExpansion(doc.data); err != nil {
		return nil, []error{&Error{file, doc.line, err}}
	}
	js, tm, idx, err := toJSONIndexed(doc.data)
	if err != nil {
		return nil, []error{&Error{file, doc.line + yamlErrorLine(err), &syntaxError{trimLine(err)}}}
	}
	defer putJSON(js)
	if bytes.Equal(js, []byte("null")) {
		return nil, nil
	}
	src := &finding.Source{File: file, Line: doc.line}
	if tm == nil {
		// Not a plain mapping, or a List: let encoding/json say what it is.
		tm = &typeMeta{}
		if err := readTypeMeta(js, tm); err != nil {
			return nil, []error{&Error{file, doc.line, notAnObject(js, err)}}
		}
	}
	if isList(tm) {
		return decodeList(doc, file, tm, idx, src)
	}
	if tm.Kind == "" && tm.APIVersion == "" {
		return nil, []error{&Error{file, doc.line, &notObjectError{"no apiVersion or kind"}}}
	}
	o, errs := decodeLenient(js, tm, src)
	if o != nil {
		o.text = &docText{idx: idx}
	}
	return objectsOf(o), located(doc, file, "", errs)
}

// jsonStreamError is a value of a JSON stream that does not parse, at its line.
type jsonStreamError struct {
	line int
	msg  string
}

// jsonStream splits a document that opens with "{" into the JSON values it holds,
// as kubectl reads a JSON stream: `kubectl get -o json` of several objects, or
// objects written one after another, are objects each. YAML reads only the first of
// them and drops the rest without a word. A document of one value gives one part
// and no error; what follows the last value that parses is an error at its line.
func jsonStream(doc document) ([]document, *jsonStreamError) {
	body := bytes.TrimLeft(doc.data, " \t\r\n")
	if len(body) == 0 || body[0] != '{' {
		return nil, nil
	}
	lead := len(doc.data) - len(body)
	dec := json.NewDecoder(bytes.NewReader(body))
	var parts []document
	for {
		var raw json.RawMessage
		start := dec.InputOffset()
		err := dec.Decode(&raw)
		if err == io.EOF {
			return parts, nil
		}
		at := lead + int(start)
		at += len(doc.data[at:]) - len(bytes.TrimLeft(doc.data[at:], " \t\r\n"))
		line := doc.line + bytes.Count(doc.data[:at], []byte("\n"))
		if err != nil {
			if len(parts) == 0 {
				return nil, nil // not JSON: YAML says what it is
			}
			return parts, &jsonStreamError{line, "after a JSON object, not another one: " + err.Error()}
		}
		parts = append(parts, document{data: doc.data[at : lead+int(dec.InputOffset())], line: line, off: doc.off + int64(at)})
	}
}

// decodeList decodes the items of a List document. The items share the document's
// line index and source; SourceAt finds each by its place in the list.
func decodeList(doc document, file string, list *typeMeta, idx *lineIndex, src *finding.Source) ([]*Object, []error) {
	var objs []*Object
	var errs []error
	txt := &docText{idx: idx}
	for i, item := range list.Items {
		itemPath := fmt.Sprintf("items[%d]", i)
		js, tm, err := itemType(list, item)
		if err != nil {
			errs = append(errs, &Error{file, errorLine(doc, itemPath, err), fmt.Errorf("%s: %w", itemPath, err)})
			continue
		}
		o, ierrs := decodeLenient(js, tm, src)
		for _, e := range ierrs {
			errs = append(errs, &Error{file, errorLine(doc, itemPath, e), fmt.Errorf("%s: %w", itemPath, e)})
		}
		if o != nil {
			o.text, o.itemPath = txt, itemPath
			objs = append(objs, o)
		}
	}
	return objs, errs
}

// itemType reads the apiVersion and kind of a List's item. Client libraries write
// typed lists (a NamespaceList, a PodList) with items that leave both out: an item
// of an XList is an X of the list's apiVersion, and is given them, in its JSON too,
// for kinds decoded unstructured. A v1 List holds any kind, so its items must name
// their own.
func itemType(list *typeMeta, item json.RawMessage) ([]byte, *typeMeta, error) {
	tm := &typeMeta{}
	if err := readTypeMeta(item, tm); err != nil {
		return nil, nil, notAnObject(item, err)
	}
	tm.Items = nil // an item's own "items" are its data, not a list
	elem, typed := strings.CutSuffix(list.Kind, "List")
	if !typed || elem == "" || (tm.Kind != "" && tm.APIVersion != "") {
		return item, tm, nil
	}
	body := bytes.TrimSpace(item)
	if len(body) < 2 || body[0] != '{' {
		return item, tm, nil // not a mapping: decoding says so
	}
	var add []byte
	if tm.Kind == "" {
		tm.Kind = elem
		add = appendMember(add, "kind", elem)
	}
	if tm.APIVersion == "" {
		tm.APIVersion = list.APIVersion
		add = appendMember(add, "apiVersion", list.APIVersion)
	}
	return withMembers(body, add), tm, nil
}

// appendMember appends `,"key":"value"` to a run of JSON object members.
func appendMember(b []byte, key, value string) []byte {
	v, _ := json.Marshal(value)
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	return append(b, v...)
}

// withMembers adds members (each led by a comma) at the end of the JSON object obj,
// where they take precedence over members of the same name, as the last one does.
func withMembers(obj, members []byte) []byte {
	if len(members) == 0 {
		return obj
	}
	inner := bytes.TrimSpace(obj[1 : len(obj)-1])
	out := make([]byte, 0, len(obj)+len(members))
	out = append(out, '{')
	if len(inner) == 0 {
		members = members[1:] // no comma after "{"
	} else {
		out = append(out, obj[1:len(obj)-1]...)
	}
	out = append(out, members...)
	return append(out, '}')
}

// objectsOf is o as a slice: none when o is nil.
func objectsOf(o *Object) []*Object {
	if o == nil {
		return nil
	}
	return []*Object{o}
}

// located names the file and line of each error of a document.
func located(doc document, file, itemPath string, errs []error) []error {
	if len(errs) == 0 {
		return nil
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		out = append(out, &Error{file, errorLine(doc, itemPath, e), e})
	}
	return out
}

// readTypeMeta reads apiVersion, kind and items with the case-sensitive decoder
// Kubernetes uses: "Kind" is not "kind". A tokenizer reads plain JSON first (the
// admission webhook spent 7% of a review here); anything else is read again by the API
// machinery's decoder, whose error is the one given.
func readTypeMeta(js []byte, tm *typeMeta) error {
	if readTypeMetaFast(js, tm) {
		return nil
	}
	*tm = typeMeta{}
	return kjson.UnmarshalCaseSensitivePreserveInts(js, tm)
}

// notObjectError is a document that is no Kubernetes object at all: a mapping with
// neither apiVersion nor kind (a CI workflow, a package.json), or no mapping (a YAML
// list, a scalar). A directory walk skips a file of only such documents; a file
// named on the command line or standard input must hold objects, and there it is an
// error. A document that has an apiVersion or a kind and is malformed is another
// error: it looks like an object.
type notObjectError struct{ reason string }

func (e *notObjectError) Error() string { return "not a Kubernetes object: " + e.reason }

// notAnObject says what a document that is not a mapping is instead.
func notAnObject(js []byte, err error) error {
	switch {
	case len(js) > 0 && js[0] == '[':
		return &notObjectError{"the document is a list, not a mapping with apiVersion and kind"}
	case len(js) > 0 && js[0] != '{':
		return &notObjectError{fmt.Sprintf("the document is the value %.40s, not a mapping with apiVersion and kind", js)}
	}
	// A mapping whose apiVersion, kind or items have the wrong type: it looks like an object.
	if f, v, t, ok := (&fieldErr{err: err}).typeError(); ok {
		return fmt.Errorf("field %s: cannot use %s as %s", f, v, t)
	}
	return err
}

// syntaxError is a document that is not valid YAML (nor JSON).
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return "invalid YAML: " + e.msg }

// docErrorIs reports an error of decodeDocument about a whole document whose cause
// is a T: docErrorIs[*notObjectError] is a document that is no object at all (and
// not, say, an item of a List that is none).
func docErrorIs[T error](err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	_, ok := e.Err.(T)
	return ok
}

func isList(tm *typeMeta) bool {
	return tm.Items != nil && (tm.Kind == "List" || (len(tm.Kind) > 4 && tm.Kind[len(tm.Kind)-4:] == "List"))
}

// DecodeJSON decodes one object from JSON: typed when the client-go scheme knows its
// kind, unstructured otherwise.
func DecodeJSON(js []byte, src *finding.Source) (*Object, error) { return decodeObject(js, nil, src) }

// decodeObject decodes one object; tm is its type when the caller already knows it.
func decodeObject(js []byte, tm *typeMeta, src *finding.Source) (*Object, error) {
	if tm == nil {
		tm = &typeMeta{}
		if err := readTypeMeta(js, tm); err != nil {
			return nil, notAnObject(js, err)
		}
	}
	if tm.Kind == "" {
		return nil, errors.New("missing kind")
	}
	if tm.APIVersion == "" {
		return nil, fmt.Errorf("%s: missing apiVersion", tm.Kind)
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("%s: bad apiVersion %q: %v", tm.Kind, tm.APIVersion, err)
	}
	gvk := gv.WithKind(tm.Kind)
	target := gvk
	if to, ok := legacy[gvk.GroupKind()]; ok {
		target = to.WithKind(gvk.Kind)
	}
	var obj kruntime.Object
	if typed, known, err := decodeTyped(js, target); known {
		if err != nil {
			return nil, &fieldErr{kind: tm.Kind, name: objectName(js), err: err}
		}
		typed.GetObjectKind().SetGroupVersionKind(gvk)
		obj = typed
	} else {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("%s %s: %v", tm.Kind, objectName(js), err)
		}
		obj = u
	}
	return New(obj, gvk, src), nil
}

func objectName(js []byte) string {
	var m struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(js, &m)
	if m.Metadata.Name == "" {
		return "(no name)"
	}
	return strconv.Quote(m.Metadata.Name)
}

// fieldErr is a field of an object that does not fit its Go type, in Kubernetes terms:
// `Deployment "web": field spec.replicas: cannot use string as int32`.
type fieldErr struct {
	kind, name string
	err        error
	// dropped says the object was decoded without the field, and is checked so.
	dropped bool
}

func (e *fieldErr) Error() string {
	var msg string
	if f, v, t, ok := e.typeError(); ok {
		msg = fmt.Sprintf("%s %s: field %s: cannot use %s as %s", e.kind, e.name, f, v, t)
	} else {
		msg = fmt.Sprintf("%s %s: %v", e.kind, e.name, e.err)
	}
	if e.dropped {
		msg += "; the object is checked without this field"
	}
	return msg
}

func (e *fieldErr) Unwrap() error { return e.err }

func (e *fieldErr) typeError() (field, value, typ string, ok bool) {
	var te *json.UnmarshalTypeError
	if errors.As(e.err, &te) {
		return te.Field, te.Value, te.Type.String(), true
	}
	// sigs.k8s.io/json has its own copy of encoding/json's error type.
	v := reflect.ValueOf(e.err)
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct && strings.HasSuffix(v.Type().String(), ".UnmarshalTypeError") {
		s := v.Elem()
		f, val, t := s.FieldByName("Field"), s.FieldByName("Value"), s.FieldByName("Type")
		if f.Kind() == reflect.String && val.Kind() == reflect.String && t.IsValid() && !t.IsNil() {
			return f.String(), val.String(), fmt.Sprint(t.Interface()), true
		}
	}
	return "", "", "", false
}

// errorLine is the line an error of a document points at: the field a type error
// names when it is written in the document, else the item or document it concerns.
// It parses the document again, which only errors pay for.
func errorLine(doc document, itemPath string, err error) int {
	var fe *fieldErr
	var segs []string
	if itemPath != "" {
		segs = splitPath(itemPath)
	}
	if errors.As(err, &fe) {
		if f, _, _, ok := fe.typeError(); ok && f != "" {
			segs = append(segs, strings.Split(f, ".")...)
		}
	}
	if len(segs) == 0 {
		return doc.line
	}
	var root yaml3.Node
	if yaml3.Unmarshal(doc.data, &root) != nil {
		return doc.line
	}
	idx := buildIndex(&root)
	line := idx.lookupLoose(segs)
	if line <= 0 {
		line = idx.lookup(segs) // the deepest part that is written
	}
	if line <= 0 {
		return doc.line
	}
	return doc.line + line - 1
}

var yamlLineRE = regexp.MustCompile(`line (\d+): ?`)

// yamlErrorLine extracts the 1-based line from a YAML error, as an offset from the
// document's first line.
func yamlErrorLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	if n > 0 {
		return n - 1
	}
	return 0
}

func trimLine(err error) string {
	return yamlLineRE.ReplaceAllString(err.Error(), "")
}

// Decode reads a stream of YAML or JSON documents and returns the objects in order.
// The stream is read document by document, and each object keeps its document's line
// index, not its text, so a stream of any size is never held whole and SourceAt never
// reads it again. Errors name file and line; a bad document does not stop the others.
func Decode(r io.Reader, file string) ([]*Object, []error) {
	return decodeStream(r, file)
}

// DecodeFile streams the manifest file at path, as Decode does. Only a regular file
// is read: a FIFO, a device or a socket is an error, found without blocking on it
// (see openRegular).
func DecodeFile(path string) ([]*Object, []error) {
	name := filepath.ToSlash(path)
	f, err := openRegular(path)
	if err != nil {
		return nil, []error{&Error{File: name, Err: unwrapPathError(err)}}
	}
	defer f.Close()
	return decodeStream(f, name)
}

// decodeStream splits the stream into documents and decodes them in parallel, one
// worker per CPU and a few batches of documents in flight, so memory holds the objects
// and a handful of documents, never the stream. The order of objects and errors is the
// order of the stream.
//
// Documents go to the workers in batches (see batchDocuments, batchBytes): one
// document at a time, the workers waited on the splitter and on each other's wake-ups
// through the channel, and 0.28 of two CPUs stood idle while a stream decoded.
func decodeStream(r io.Reader, file string) ([]*Object, []error) {
	type result struct {
		objs []*Object
		errs []error
	}
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		i    int
		docs []document
	}
	jobs := make(chan job, 2*workers)
	var (
		mu      sync.Mutex
		results [][]result
		wg      sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				out := make([]result, len(j.docs))
				for k, d := range j.docs {
					out[k].objs, out[k].errs = decodeDocument(d, file)
				}
				mu.Lock()
				results[j.i] = out
				mu.Unlock()
			}
		}()
	}
	var (
		batch []document
		size  int
	)
	send := func() {
		mu.Lock()
		i := len(results)
		results = append(results, nil)
		mu.Unlock()
		jobs <- job{i, batch}
		batch, size = nil, 0
	}
	readErr := splitDocuments(r, func(d document) error {
		batch = append(batch, d)
		if size += len(d.data); len(batch) == batchDocuments || size >= batchBytes {
			send()
		}
		return nil
	})
	if len(batch) > 0 {
		send()
	}
	close(jobs)
	wg.Wait()
	var objs []*Object
	var errs []error
	for _, batch := range results {
		for _, r := range batch {
			objs = append(objs, r.objs...)
			errs = append(errs, r.errs...)
		}
	}
	if readErr != nil {
		errs = append(errs, &Error{File: file, Err: fmt.Errorf("read: %w", readErr)})
	}
	return objs, errs
}

// A batch of documents for one decoding worker is this many documents or this many
// bytes, whichever comes first: enough to amortise the hand-over, few enough that the
// documents in flight stay small next to the objects and that a short stream still
// spreads over the workers.
const (
	batchDocuments = 16
	batchBytes     = 64 << 10
)
