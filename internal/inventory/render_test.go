package inventory

import (
	"reflect"
	"testing"
)

func TestWireValuesKeepTheirTypes(t *testing.T) {
	in := map[string]any{
		"int": int64(3), "float": 2.5, "whole": 4.0, "s": "x", "b": true, "nil": nil,
		"list": []any{int64(1), "two", map[string]any{"k": false}},
		"map":  map[string]any{"nested": []any{}},
	}
	out := toWire(in).value()
	if !reflect.DeepEqual(out, in) {
		t.Errorf("got %#v\nwant %#v", out, in)
	}
}

func TestMayHaveAliases(t *testing.T) {
	for in, want := range map[string]bool{
		"a: &x 1\nb: *x\n":                        true,
		"l: [&x 1, *x]\n":                         true,
		"url: http://h/?a=1&b=2\ncron: 0 * * * *": false,
		"cron: '*/5 * * * *'\n":                   false,
		"a: &x 1\n":                               false,
	} {
		if got := mayHaveAliases([]byte(in)); got != want {
			t.Errorf("mayHaveAliases(%q) = %v", in, got)
		}
	}
}
