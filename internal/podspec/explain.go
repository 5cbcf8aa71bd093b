package podspec

// Errors that say which field of a pod template is wrong, and where.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// fieldError is a value of the wrong type in a template, at field (relative to it).
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }

// explain finds the field a conversion failed on. The converter's errors name none
// ("cannot restore slice from string"), so the map is decoded again with
// encoding/json, whose errors do ("spec.containers", without list indices). Only
// templates that failed pay for it.
func explain(m map[string]any, podSpec bool) *fieldError {
	js, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	t := &corev1.PodTemplateSpec{}
	var into any = t
	if podSpec {
		into = &t.Spec
	}
	var te *json.UnmarshalTypeError
	if !errors.As(json.Unmarshal(js, into), &te) || te.Field == "" {
		return nil
	}
	field := te.Field
	if at, ok := withIndices(m, strings.Split(te.Field, "."), te.Value); ok {
		field = strings.TrimPrefix(at, ".")
	}
	return &fieldError{field: field, err: fmt.Errorf("want %s, not %s", te.Type, withArticle(te.Value))}
}

// withIndices finds the value that encoding/json rejected: the first one at the path of
// fields, through any list items, whose JSON type is jsonType ("string", "number 3.5").
// It returns its path with the list indices (".spec.containers[1].ports[0].containerPort").
func withIndices(v any, fields []string, jsonType string) (string, bool) {
	if len(fields) == 0 && jsonTypeOf(v) == strings.TrimSpace(strings.SplitN(jsonType, " ", 2)[0]) {
		return "", true
	}
	switch x := v.(type) {
	case []any:
		for i, item := range x {
			if rest, ok := withIndices(item, fields, jsonType); ok {
				return fmt.Sprintf("[%d]%s", i, rest), true
			}
		}
	case map[string]any:
		if len(fields) == 0 {
			break
		}
		if next, ok := x[fields[0]]; ok {
			if rest, ok := withIndices(next, fields[1:], jsonType); ok {
				return "." + fields[0] + rest, true
			}
		}
	}
	return "", false
}

// jsonTypeOf names the JSON type of a decoded value as encoding/json's errors do.
func jsonTypeOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "bool"
	case int64, float64, json.Number:
		return "number"
	}
	return ""
}

func withArticle(s string) string {
	if s != "" && strings.IndexByte("aeiou", s[0]) >= 0 {
		return "an " + s
	}
	return "a " + s
}
