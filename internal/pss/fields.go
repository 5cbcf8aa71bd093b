package pss

import (
	"reflect"
	"strings"
	"sync"
)

// Pod-level fields are named by their JSON path ("spec.securityContext.sysctls"). These
// helpers read and clear such a field on a corev1.Pod value by reflection over the json
// tags, copying every struct a pointer leads to before changing it, so that the pod the
// copy was made from is never changed.

// fieldSet tells whether the field at path holds a non-zero value.
func fieldSet(v reflect.Value, path string) bool {
	index, ok := fieldIndex(v.Type(), path)
	if !ok {
		return false
	}
	for _, i := range index {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return !v.IsZero()
}

// clearField sets the field at path to its zero value. v must be addressable.
func clearField(v reflect.Value, path string) {
	index, ok := fieldIndex(v.Type(), path)
	if !ok {
		return
	}
	for _, i := range index {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return
			}
			c := reflect.New(v.Type().Elem())
			c.Elem().Set(v.Elem())
			v.Set(c)
			v = c.Elem()
		}
		v = v.Field(i)
	}
	v.Set(reflect.Zero(v.Type()))
}

// fieldIndex is the chain of struct field indexes that path names below t, through
// pointers; ok is false when there is no such field. It is found once per type and
// path: reading the json tags of a pod spec's fifty fields for every check of every
// pod was most of the time of placing a pod-level failure.
func fieldIndex(t reflect.Type, path string) (index []int, ok bool) {
	key := fieldKey{t, path}
	if f, found := fieldIndexes.Load(key); found {
		f := f.(foundField)
		return f.index, f.ok
	}
	f := foundField{ok: true}
	for _, name := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		i := jsonField(t, name)
		if i < 0 {
			f = foundField{}
			break
		}
		f.index = append(f.index, i)
		t = t.Field(i).Type
	}
	fieldIndexes.Store(key, f)
	return f.index, f.ok
}

type fieldKey struct {
	t    reflect.Type
	path string
}

type foundField struct {
	index []int
	ok    bool
}

// fieldIndexes maps a fieldKey to its foundField.
var fieldIndexes sync.Map

// jsonField is the index of the field of struct type t whose JSON name is name, or -1.
func jsonField(t reflect.Type, name string) int {
	if t.Kind() != reflect.Struct {
		return -1
	}
	for i := 0; i < t.NumField(); i++ {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == name {
			return i
		}
	}
	return -1
}
