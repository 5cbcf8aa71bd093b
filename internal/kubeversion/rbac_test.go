package kubeversion

import (
	"bytes"
	"testing"
)

// A release Moat ships gets its own data; another gets the nearest older shipped
// release, or the oldest when it is older than all.
func TestBootstrapRBACRelease(t *testing.T) {
	shipped := ShippedRBAC()
	if len(shipped) == 0 || shipped[len(shipped)-1] != (Version{Major: 1, Minor: Default.Minor}) {
		t.Fatalf("shipped %v: want the default release %s among them, newest", shipped, Default.MinorString())
	}
	oldest, newest := shipped[0], shipped[len(shipped)-1]
	tests := []struct {
		name string
		v    Version
		want Version
	}{
		{"the default release", Default, newest},
		{"a patch release of a shipped one", Version{1, newest.Minor, 9}, newest},
		{"a newer release gets the newest", Version{1, newest.Minor + 5, 0}, newest},
		{"an older release gets the oldest", Version{1, oldest.Minor - 10, 0}, oldest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, got, err := BootstrapRBAC(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("release %s: data of %s, want %s", tt.v, got, tt.want)
			}
			for _, part := range [][]byte{[]byte("kind: ClusterRole\n"), []byte("name: extension-apiserver-authentication-reader\n"), []byte("TestBuiltinData")} {
				if !bytes.Contains(data, part) {
					t.Errorf("the data of %s holds no %q", got, part)
				}
			}
		})
	}
}

func TestBootstrapSource(t *testing.T) {
	if got := BootstrapSource(Version{1, 37, 2}); got != "builtin:kubernetes-1.37" {
		t.Errorf("BootstrapSource = %q", got)
	}
}
