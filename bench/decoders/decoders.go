// Package decoders compares JSON decoders on Kubernetes objects decoded into their Go
// types: json-iterator configured as Moat's inventory configures it, goccy/go-json,
// go-json-experiment (json v2), bytedance/sonic and encoding/json, each held to the
// API machinery's decoder (sigs.k8s.io/json, case-sensitive), which Moat falls back to.
// It is a module of its own so that the candidates do not become Moat's dependencies.
// See README.md.
package decoders

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"

	"github.com/bytedance/sonic"
	jxv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jxv1 "github.com/go-json-experiment/json/v1"
	goccy "github.com/goccy/go-json"
	goccyv2 "github.com/goccy/go-json/v2"
	jsoniter "github.com/json-iterator/go"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// Doc is one input document as JSON with the Go type it decodes into.
type Doc struct {
	JSON []byte
	GVK  schema.GroupVersionKind
	Type reflect.Type // element type; reflect.New(Type) is a fresh object
}

// New returns a fresh object of the document's type.
func (d *Doc) New() any { return reflect.New(d.Type).Interface() }

// Candidate is a decoder under comparison.
type Candidate struct {
	Name      string
	Unmarshal func([]byte, any) error
}

var (
	jsoniterMoat = jsoniter.Config{CaseSensitive: true, ValidateJsonRawMessage: true}.Froze()
	goccyV2Opts  = goccyv2.JoinOptions(goccy.DefaultOptionsV1(), goccyv2.MatchCaseInsensitiveNames(false))
	jxV1CSOpts   = jxv2.JoinOptions(jxv1.DefaultOptionsV1(), jxv2.MatchCaseInsensitiveNames(false))
	jxV2DupOpts  = jxv2.JoinOptions(jsontext.AllowDuplicateNames(true))
	sonicCS      = sonic.Config{CaseSensitive: true, CopyString: true, ValidateString: true, UseInt64: true}.Froze()
)

// Candidates are the decoders compared; the first is the reference, the second the one
// Moat uses (its frozen configuration copied from internal/inventory).
var Candidates = []Candidate{
	{"ref-sigsjson", kjson.UnmarshalCaseSensitivePreserveInts},
	{"jsoniter-moat", jsoniterMoat.Unmarshal},
	{"goccy-v1", goccy.Unmarshal},
	{"goccy-v2-v1opts-cs", func(b []byte, v any) error { return goccyv2.Unmarshal(b, v, goccyV2Opts) }},
	{"jsonexp-v2-default", func(b []byte, v any) error { return jxv2.Unmarshal(b, v) }},
	{"jsonexp-v2-dupok", func(b []byte, v any) error { return jxv2.Unmarshal(b, v, jxV2DupOpts) }},
	{"jsonexp-v1opts-cs", func(b []byte, v any) error { return jxv2.Unmarshal(b, v, jxV1CSOpts) }},
	{"sonic-cs", sonicCS.Unmarshal},
	{"encoding/json", json.Unmarshal},
}

func typeOf(gvk schema.GroupVersionKind) (reflect.Type, error) {
	o, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil, err
	}
	return reflect.TypeOf(o).Elem(), nil
}

// LoadDense reads a multi-document YAML file (bench/gen's output) and converts each
// document to JSON once, with the Go type of its kind.
func LoadDense(path string) ([]Doc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var docs []Doc
	var cur [][]byte
	flush := func() error {
		y := bytes.Join(cur, []byte("\n"))
		cur = nil
		if len(bytes.TrimSpace(y)) == 0 {
			return nil
		}
		js, err := sigsyaml.YAMLToJSON(y)
		if err != nil {
			return err
		}
		js = bytes.TrimSpace(js)
		var tm struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
			return err
		}
		gv, err := schema.ParseGroupVersion(tm.APIVersion)
		if err != nil {
			return err
		}
		gvk := gv.WithKind(tm.Kind)
		t, err := typeOf(gvk)
		if err != nil {
			return fmt.Errorf("%v: %w", gvk, err)
		}
		docs = append(docs, Doc{JSON: js, GVK: gvk, Type: t})
		return nil
	}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if string(line) == "---" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		cur = append(cur, line)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return docs, nil
}

// LoadAdmission reads request.object of an AdmissionReview (bench/admission -write),
// compacted as the API server sends it.
func LoadAdmission(path string) (Doc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Doc{}, err
	}
	var rev struct {
		Request struct {
			Object json.RawMessage `json:"object"`
		} `json:"request"`
	}
	if err := json.Unmarshal(raw, &rev); err != nil {
		return Doc{}, err
	}
	var c bytes.Buffer
	if err := json.Compact(&c, rev.Request.Object); err != nil {
		return Doc{}, err
	}
	gvk := schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	t, err := typeOf(gvk)
	return Doc{JSON: c.Bytes(), GVK: gvk, Type: t}, err
}
