package contents

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// flipCRC corrupts the CRC-32 in a gzip stream's trailer.
func flipCRC(gz []byte) []byte {
	gz = bytes.Clone(gz)
	gz[len(gz)-8] ^= 0xff
	return gz
}

// servedLayer is a layer whose blob is compressed bytes, decompressed as a registry
// client does: what a registry serving a corrupt blob looks like.
func servedLayer(id int, blob []byte) streamLayer {
	return streamLayer{id: id, open: func() (io.ReadCloser, error) {
		return gzip.NewReader(bytes.NewReader(blob))
	}}
}

func TestInventoryCorruptLayer(t *testing.T) {
	good := tarBytes(t, []tarFile{reg("etc/os-release", debian12), reg("var/lib/dpkg/status", fixture(t, "dpkg-status"))})
	tests := []struct {
		name    string
		layers  []v1.Layer
		bad     streamLayer // the layer the error must name
		wantErr string
	}{
		{
			name:    "not gzip at all",
			bad:     servedLayer(1, []byte("<html>502 Bad Gateway</html>")),
			wantErr: "gzip: invalid header",
		},
		{
			name:    "gzip cut short",
			bad:     servedLayer(1, gzipped(t, good)[:200]),
			wantErr: "unexpected EOF",
		},
		{
			name:    "gzip of something that is not a tar",
			bad:     servedLayer(1, gzipped(t, bytes.Repeat([]byte("not a tar archive "), 100))),
			wantErr: "reading the tar stream: archive/tar: invalid tar header",
		},
		{
			name:    "a tar that ends inside a kept file",
			bad:     servedLayer(1, gzipped(t, good[:len(good)-1500])),
			wantErr: `"var/lib/dpkg/status": unexpected EOF`,
		},
		{
			name:    "gzip whose checksum does not match, noticed past the end of the tar",
			bad:     servedLayer(1, flipCRC(gzipped(t, good))),
			wantErr: "reading past the end of the tar archive: gzip: invalid checksum",
		},
		{
			name:    "a corrupt second layer is named, not the good first one",
			layers:  []v1.Layer{layer(t, reg("etc/os-release", debian12))},
			bad:     servedLayer(2, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3, 4, 5, 6, 7, 8}),
			wantErr: "layer 2 (sha256:d",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := imageOf(t, append(tt.layers, tt.bad)...)
			got, err := Inventory(context.Background(), img, Options{})
			if err == nil {
				t.Fatalf("no error; got %+v", got)
			}
			t.Log(err)
			digest, _ := tt.bad.Digest()
			if !strings.Contains(err.Error(), digest.String()) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want one naming %s and holding %q", err, digest, tt.wantErr)
			}
		})
	}
}

const (
	hugeFileBytes = 10 << 30  // a file nobody requires
	bigJarBytes   = 300 << 20 // a file the Java extractor requires, over the 256 MiB default
)

// writeHugeLayer writes, on the fly, a layer with a 10 GiB file, a jar over the
// per-file limit and a dpkg database after them. Its zeros come from one buffer.
func writeHugeLayer(w io.Writer) error {
	tw := tar.NewWriter(w)
	zeros := make([]byte, 1<<20)
	for _, f := range []struct {
		name string
		size int64
		body string
	}{
		{name: "data/volume.img", size: hugeFileBytes},
		{name: "opt/app/app.jar", size: bigJarBytes},
		{name: "etc/os-release", body: debian12},
		{name: "var/lib/dpkg/status", body: "Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\n"},
	} {
		size := max(f.size, int64(len(f.body)))
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if f.body != "" {
			if _, err := io.WriteString(tw, f.body); err != nil {
				return err
			}
			continue
		}
		for left := size; left > 0; left -= int64(len(zeros)) {
			if _, err := tw.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// pipeLayer serves a layer produced by write through io.Pipe, never held whole, and
// counts the bytes written. done closes when the writer has stopped.
func pipeLayer(write func(io.Writer) error, written *atomic.Int64, done chan struct{}) streamLayer {
	return streamLayer{id: 9, open: func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			defer close(done)
			pw.CloseWithError(write(countingWriter{pw, written}))
		}()
		return pr, nil
	}}
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func TestInventoryStreamsHugeFilesInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 10 GiB")
	}
	var written atomic.Int64
	done := make(chan struct{})
	img := imageOf(t, pipeLayer(writeHugeLayer, &written, done))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	got, err := Inventory(context.Background(), img, Options{})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	<-done
	if err != nil {
		t.Fatal(err)
	}

	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("streamed %d MiB in %v; %d KiB allocated, heap in use %d KiB after", written.Load()>>20, elapsed, allocated>>10, after.HeapInuse>>10)
	if written.Load() < hugeFileBytes+bigJarBytes {
		t.Errorf("only %d bytes were streamed", written.Load())
	}
	if allocated > 32<<20 {
		t.Errorf("allocated %d MiB streaming the layer; want it bounded by one read buffer, not the file", allocated>>20)
	}
	if len(got.Packages) != 1 || got.Packages[0].Name != "curl" || got.Packages[0].Ecosystem != "Debian:12" {
		t.Errorf("packages after the huge files: %+v", got.Packages)
	}
	wantWarning := "/opt/app/app.jar in layer 1 (sha256:e"
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], wantWarning) || !strings.Contains(got.Warnings[0], "over the 268435456-byte limit") {
		t.Errorf("warnings %q, want one for the jar over the limit", got.Warnings)
	}
}

func TestInventoryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var written atomic.Int64
	done := make(chan struct{})
	// The producer cancels the scan once 64 MiB have gone through.
	write := func(w io.Writer) error {
		return writeHugeLayer(cancelAfter{w: w, n: &written, at: 64 << 20, cancel: cancel})
	}
	img := imageOf(t, pipeLayer(write, new(atomic.Int64), done))

	_, err := Inventory(ctx, img, Options{})
	<-done // the pipe was closed, so the producer stopped too
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "layer 1 (sha256:d") {
		t.Fatalf("err = %v, want context.Canceled naming the layer", err)
	}
	if n := written.Load(); n > 1<<30 {
		t.Errorf("%d MiB streamed after the context ended", n>>20)
	}
}

type cancelAfter struct {
	w      io.Writer
	n      *atomic.Int64
	at     int64
	cancel func()
}

func (c cancelAfter) Write(p []byte) (int, error) {
	if c.n.Add(int64(len(p))) >= c.at {
		c.cancel()
	}
	return c.w.Write(p)
}
