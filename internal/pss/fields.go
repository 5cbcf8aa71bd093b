package pss

import (
	"reflect"
	"strings"
)

// Pod-level fields are named by their JSON path ("spec.securityContext.sysctls"). These
// helpers read and clear such a field on a corev1.Pod value by reflection over the json
// tags, copying every struct a pointer leads to before changing it, so that the pod the
// copy was made from is never changed.

// fieldSet tells whether the field at path holds a non-zero value.
func fieldSet(v reflect.Value, path string) bool {
	for _, name := range strings.Split(path, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return false
			}
			v = v.Elem()
		}
		if v = jsonField(v, name); !v.IsValid() {
			return false
		}
	}
	return !v.IsZero()
}

// clearField sets the field at path to its zero value. v must be addressable.
func clearField(v reflect.Value, path string) {
	names := strings.Split(path, ".")
	for i, name := range names {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return
			}
			c := reflect.New(v.Type().Elem())
			c.Elem().Set(v.Elem())
			v.Set(c)
			v = c.Elem()
		}
		if v = jsonField(v, name); !v.IsValid() {
			return
		}
		if i == len(names)-1 {
			v.Set(reflect.Zero(v.Type()))
		}
	}
}

// jsonField is the field of struct v whose JSON name is name, or the zero Value.
func jsonField(v reflect.Value, name string) reflect.Value {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == name {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}
