package htmlreport

import (
	"bytes"
	"encoding/json"
	"errors"
)

// embedJSON encodes v for the text of a <script type="application/json"> element.
// encoding/json writes '<', '>' and '&' as \u003c, \u003e and \u0026 (and U+2028, U+2029
// escaped too), so no string of the data can write "</script" or "<!--", the two
// sequences that end or change a script element's text; the check below keeps that
// true should the encoder ever change. JSON.parse reads the escapes back as the
// characters they stand for.
func embedJSON(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if bytes.IndexByte(data, '<') >= 0 {
		return nil, errors.New("encoded data holds a '<': it could end its script element")
	}
	return data, nil
}
