package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

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
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// document is one YAML document of a stream with the line it starts on.
type document struct {
	data []byte
	line int
}

// splitDocuments reads a YAML stream line by line and calls emit for each document,
// so that a file of any size is streamed rather than held whole.
func splitDocuments(r io.Reader, emit func(document) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		buf       bytes.Buffer
		lineNo    int
		startLine = 1
		tooLarge  bool
	)
	flush := func(next int) error {
		defer func() { buf.Reset(); startLine = next; tooLarge = false }()
		if tooLarge {
			return emit(document{line: startLine})
		}
		if isBlank(buf.Bytes()) {
			return nil
		}
		data := make([]byte, buf.Len())
		copy(data, buf.Bytes())
		return emit(document{data: data, line: startLine})
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A very long line: keep reading it piecewise.
			full := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if len(line) > 0 {
			lineNo++
			if isSeparator(line) {
				if err := flush(lineNo + 1); err != nil {
					return err
				}
			} else if !tooLarge {
				if buf.Len()+len(line) > MaxDocumentBytes {
					tooLarge = true
					buf.Reset()
				} else {
					buf.Write(line)
				}
			}
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

type typeMeta struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// legacy maps removed API versions of pod controllers to the version whose Go type
// can still hold them, so pod rules apply to old manifests too. The object keeps the
// GVK it was written with, so the deprecated-API rule still sees it.
var legacy = map[schema.GroupKind]schema.GroupVersion{
	{Group: "extensions", Kind: "Deployment"}:        {Group: "apps", Version: "v1"},
	{Group: "extensions", Kind: "DaemonSet"}:         {Group: "apps", Version: "v1"},
	{Group: "extensions", Kind: "ReplicaSet"}:        {Group: "apps", Version: "v1"},
	{Group: "apps", Kind: "Deployment"}:              {Group: "apps", Version: "v1"},
	{Group: "apps", Kind: "DaemonSet"}:               {Group: "apps", Version: "v1"},
	{Group: "apps", Kind: "ReplicaSet"}:              {Group: "apps", Version: "v1"},
	{Group: "apps", Kind: "StatefulSet"}:             {Group: "apps", Version: "v1"},
	{Group: "batch", Kind: "CronJob"}:                {Group: "batch", Version: "v1"},
	{Group: "extensions", Kind: "Ingress"}:           {Group: "networking.k8s.io", Version: "v1beta1"},
	{Group: "networking.k8s.io", Kind: "Ingress"}:    {Group: "networking.k8s.io", Version: "v1"},
	{Group: "extensions", Kind: "NetworkPolicy"}:     {Group: "networking.k8s.io", Version: "v1"},
	{Group: "policy", Kind: "PodDisruptionBudget"}:   {Group: "policy", Version: "v1"},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               {Group: "rbac.authorization.k8s.io", Version: "v1"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        {Group: "rbac.authorization.k8s.io", Version: "v1"},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        {Group: "rbac.authorization.k8s.io", Version: "v1"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: {Group: "rbac.authorization.k8s.io", Version: "v1"},
}

// decodeDocument turns one document into objects: one, or the items of a List.
func decodeDocument(doc document, file string) ([]*Object, []error) {
	src := func(line int) *finding.Source { return &finding.Source{File: file, Line: line} }
	if doc.data == nil {
		return nil, []error{&Error{file, doc.line, fmt.Errorf("document larger than %d MiB", MaxDocumentBytes>>20)}}
	}
	js, err := sigsyaml.YAMLToJSON(doc.data)
	if err != nil {
		return nil, []error{&Error{file, doc.line + yamlErrorLine(err), fmt.Errorf("invalid YAML: %v", trimLine(err))}}
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil, nil
	}
	var tm typeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, []error{&Error{file, doc.line, fmt.Errorf("not a Kubernetes object: %v", err)}}
	}
	if isList(tm) {
		var objs []*Object
		var errs []error
		for i, item := range tm.Items {
			o, err := decodeObject(item, src(doc.line))
			if err != nil {
				errs = append(errs, &Error{file, doc.line, fmt.Errorf("items[%d]: %w", i, err)})
				continue
			}
			o.raw, o.itemPath = doc.data, fmt.Sprintf("items[%d]", i)
			objs = append(objs, o)
		}
		// Items of one List share the document; parse it once for all of them.
		shareNodes(objs)
		return objs, errs
	}
	o, err := decodeObject(js, src(doc.line))
	if err != nil {
		return nil, []error{&Error{file, doc.line, err}}
	}
	o.raw = doc.data
	return []*Object{o}, nil
}

func isList(tm typeMeta) bool {
	return tm.Items != nil && (tm.Kind == "List" || (len(tm.Kind) > 4 && tm.Kind[len(tm.Kind)-4:] == "List"))
}

// shareNodes lets the items of a List parse their common document once.
func shareNodes(objs []*Object) {
	if len(objs) < 2 {
		return
	}
	first := objs[0]
	for _, o := range objs[1:] {
		o.raw = nil
		o.shared = first
	}
}

// DecodeJSON decodes one object from JSON: typed when the client-go scheme knows its
// kind, unstructured otherwise.
func DecodeJSON(js []byte, src *finding.Source) (*Object, error) { return decodeObject(js, src) }

func decodeObject(js []byte, src *finding.Source) (*Object, error) {
	var tm typeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, fmt.Errorf("not a Kubernetes object: %v", err)
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
	if !scheme.Scheme.Recognizes(gvk) {
		if to, ok := legacy[gvk.GroupKind()]; ok {
			target = to.WithKind(gvk.Kind)
		}
	}
	var obj kruntime.Object
	if scheme.Scheme.Recognizes(target) {
		typed, _ := scheme.Scheme.New(target)
		if err := kjson.UnmarshalCaseSensitivePreserveInts(js, typed); err != nil {
			return nil, fmt.Errorf("%s %s: %v", tm.Kind, objectName(js), fieldError(err))
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

// fieldError makes a JSON type error read in Kubernetes terms.
func fieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %s: cannot use %s as %s", te.Field, te.Value, te.Type)
	}
	return err
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
// Documents are decoded in parallel; the order of objects and errors is the order of
// the stream. Errors name file and line; a bad document does not stop the others.
func Decode(r io.Reader, file string) ([]*Object, []error) {
	type result struct {
		objs []*Object
		errs []error
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan int, 4*workers)
	var (
		mu      sync.Mutex
		docs    []document
		results []result
		wg      sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				mu.Lock()
				d := docs[i]
				docs[i] = document{} // let the text go once decoded
				mu.Unlock()
				objs, errs := decodeDocument(d, file)
				mu.Lock()
				results[i] = result{objs, errs}
				mu.Unlock()
			}
		}()
	}
	readErr := splitDocuments(r, func(d document) error {
		mu.Lock()
		docs = append(docs, d)
		results = append(results, result{})
		i := len(docs) - 1
		mu.Unlock()
		jobs <- i
		return nil
	})
	close(jobs)
	wg.Wait()
	var objs []*Object
	var errs []error
	for _, r := range results {
		objs = append(objs, r.objs...)
		errs = append(errs, r.errs...)
	}
	if readErr != nil {
		errs = append(errs, &Error{File: file, Err: fmt.Errorf("read: %w", readErr)})
	}
	return objs, errs
}
