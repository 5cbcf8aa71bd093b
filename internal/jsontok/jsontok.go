// Package jsontok lends validating JSON tokenizers over byte slices. A tokenizer is a
// few hundred bytes of state and stacks, and the decoders that read the API server's
// admission reviews and manifests' type fields take one per document: they are kept
// between uses.
package jsontok

import (
	"bytes"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// Tokenizer reads one document. Duplicate names are allowed, as encoding/json allows
// them; InputOffset counts from the start of the document.
type Tokenizer struct {
	jsontext.Decoder
	buf bytes.Buffer
}

var pool = sync.Pool{New: func() any { return new(Tokenizer) }}

// Get returns a tokenizer over js, which must not change until Release.
func Get(js []byte) *Tokenizer {
	t := pool.Get().(*Tokenizer)
	t.buf = *bytes.NewBuffer(js)
	t.Reset(&t.buf, jsontext.AllowDuplicateNames(true))
	return t
}

// Release returns t for reuse; t must not be used after.
func (t *Tokenizer) Release() {
	t.buf = bytes.Buffer{} // keep no document alive in the pool
	t.Reset(&t.buf)
	pool.Put(t)
}

// ReadNull reads a null, and nothing when the next value is not null.
func ReadNull(dec *jsontext.Decoder) bool {
	if dec.PeekKind() != 'n' {
		return false
	}
	_, err := dec.ReadToken()
	return err == nil
}

// ReadString reads a string into s; null leaves s as it is, as encoding/json does. Any
// other value is false.
func ReadString(dec *jsontext.Decoder, s *string) bool {
	tok, err := dec.ReadToken()
	switch {
	case err != nil:
		return false
	case tok.Kind() == '"':
		*s = tok.String()
		return true
	}
	return tok.Kind() == 'n'
}
