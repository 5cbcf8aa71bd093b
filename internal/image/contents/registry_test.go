package contents

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// swappingBlobs is the in-memory blob store of go-containerregistry's registry, except
// that it can serve other bytes for a blob than those pushed: a registry or a proxy
// that alters an image.
type swappingBlobs struct {
	registry.BlobHandler
	mu   sync.Mutex
	swap map[string][]byte
}

func (s *swappingBlobs) Get(ctx context.Context, repo string, h v1.Hash) (io.ReadCloser, error) {
	s.mu.Lock()
	b, ok := s.swap[h.String()]
	s.mu.Unlock()
	if ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	return s.BlobHandler.Get(ctx, repo, h)
}

func (s *swappingBlobs) Put(ctx context.Context, repo string, h v1.Hash, rc io.ReadCloser) error {
	return s.BlobHandler.(registry.BlobPutHandler).Put(ctx, repo, h, rc)
}

// gzippedToSize compresses b into exactly size bytes, padding the gzip header's comment,
// so that a swapped blob passes the registry client's length check and only its
// digest can tell.
func gzippedToSize(t *testing.T, b []byte, size int64) []byte {
	t.Helper()
	plain := gzipped(t, b)
	pad := size - int64(len(plain)) - 1 // the comment ends with a NUL
	if pad < 1 {
		t.Fatalf("the swapped blob is %d bytes, the original %d: no room to pad", len(plain), size)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Comment = strings.Repeat("x", int(pad))
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != size {
		t.Fatalf("padded to %d bytes, want %d", buf.Len(), size)
	}
	return buf.Bytes()
}

func TestInventoryFromRegistry(t *testing.T) {
	status := func(version string) string {
		return "Package: curl\nStatus: install ok installed\nVersion: " + version + "\n"
	}
	tests := []struct {
		name string
		// swap is what the registry serves for the second layer instead of the pushed
		// blob, "" for nothing.
		swap    string
		want    []string
		wantErr string
	}{
		{
			name: "an image pushed and pulled back",
			want: []string{"Debian:12 curl 7.88.1-10+deb12u8 src=curl /var/lib/dpkg/status L2"},
		},
		{
			name:    "a layer the registry alters fails its digest check",
			swap:    status("9.99.9-1"),
			wantErr: "error verifying sha256 checksum",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blobs := &swappingBlobs{BlobHandler: registry.NewInMemoryBlobHandler(), swap: map[string][]byte{}}
			srv := httptest.NewServer(registry.New(registry.WithBlobHandler(blobs), registry.Logger(log.New(io.Discard, "", 0))))
			defer srv.Close()
			ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://")+"/shop/web:1", name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			pkgLayer := layer(t, reg("var/lib/dpkg/status", status("7.88.1-10+deb12u8")))
			pushed := imageOf(t, layer(t, reg("etc/os-release", debian12)), pkgLayer)
			if err := remote.Write(ref, pushed); err != nil {
				t.Fatal(err)
			}
			if tt.swap != "" {
				digest, err := pkgLayer.Digest()
				if err != nil {
					t.Fatal(err)
				}
				blobs.mu.Lock()
				size, err := pkgLayer.Size()
				if err != nil {
					t.Fatal(err)
				}
				blobs.swap[digest.String()] = gzippedToSize(t, tarBytes(t, []tarFile{reg("var/lib/dpkg/status", tt.swap)}), size)
				blobs.mu.Unlock()
			}

			ctx := context.Background()
			pulled, err := remote.Image(ref, remote.WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Inventory(ctx, pulled, Options{})
			if tt.wantErr != "" {
				digest, _ := pkgLayer.Digest()
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "layer 2 ("+digest.String()) {
					t.Fatalf("err = %v, want %q naming layer 2 %s", err, tt.wantErr, digest)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if lines := describe(t, pulled, got.Packages); !slices.Equal(lines, tt.want) {
				t.Errorf("packages %q, want %q", lines, tt.want)
			}
		})
	}
}
