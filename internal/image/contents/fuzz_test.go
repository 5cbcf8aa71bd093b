package contents

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// FuzzInventoryLayer feeds arbitrary bytes to Inventory as a layer's tar stream: a
// layer is untrusted input. Whatever the bytes, Inventory returns (no panic, no hang)
// and an error names the layer.
func FuzzInventoryLayer(f *testing.F) {
	seeds := [][]tarFile{
		{reg("etc/os-release", debian12), reg("var/lib/dpkg/status", fixture(f, "dpkg-status"))},
		{reg("etc/os-release", alpine320), reg("lib/apk/db/installed", fixture(f, "apk-installed"))},
		{reg("srv/package-lock.json", fixture(f, "package-lock.json")), whiteout("srv/package-lock.json"), opaque("srv")},
		{symlink("etc/os-release", "../usr/lib/os-release"), reg("usr/lib/os-release", ubuntu2204), hardlink("usr/bin/x", "usr/lib/os-release")},
		{exe("usr/local/bin/tool", fakeELF(goMarker)), reg("agent/Cargo.lock", fixture(f, "Cargo.lock"))},
	}
	for _, files := range seeds {
		f.Add(tarBytes(f, files))
	}
	f.Add([]byte{})
	f.Add([]byte("not a tar"))
	opt := Options{MaxFileBytes: 1 << 20, MaxKeptBytes: 4 << 20, MaxFiles: 10_000}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := streamLayer{id: 1, open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
		got, err := Inventory(context.Background(), imageOf(t, l), opt)
		if err != nil {
			if !strings.Contains(err.Error(), "layer 1 (sha256:") {
				t.Fatalf("error does not name the layer: %v", err)
			}
			return
		}
		if got == nil || got.Packages == nil {
			t.Fatalf("no error and no contents: %+v", got)
		}
	})
}
