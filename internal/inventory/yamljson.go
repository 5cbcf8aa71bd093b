package inventory

import (
	"bytes"

	sigsyaml "sigs.k8s.io/yaml"
)

// toJSON converts one YAML document to JSON. It returns the type of the object when
// it could tell it on the way (nil otherwise, and the caller reads it from the JSON).
func toJSON(data []byte) ([]byte, *typeMeta, error) {
	js, err := sigsyaml.YAMLToJSON(data)
	return bytes.TrimSpace(js), nil, err
}

// putJSON hands back a buffer toJSON returned, once nothing refers to it.
func putJSON([]byte) {}
