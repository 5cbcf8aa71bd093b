package kubeversion

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
		err  bool
	}{
		{"1.30", Version{1, 30, 0}, false},
		{"v1.37.2", Version{1, 37, 2}, false},
		{"v1.29", Version{1, 29, 0}, false},
		{"2.1", Version{}, true},
		{"1", Version{}, true},
		{"1.x", Version{}, true},
		{"1.2.3.4", Version{}, true},
		{"", Version{}, true},
	} {
		got, err := Parse(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.30", "v1.37.2", "2.1", "", "1..", "v1.99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(v.String())
		if err != nil || back != v {
			t.Fatalf("Parse(%q) = %v, whose String %q parses to %v, %v", s, v, v.String(), back, err)
		}
	})
}
