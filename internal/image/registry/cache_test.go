package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type cachedContents struct {
	Packages []string `json:"packages"`
	OS       string   `json:"os"`
}

func TestCacheRoundTrip(t *testing.T) {
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := cachedContents{Packages: []string{"musl 1.2.5-r0", "busybox 1.36.1-r29"}, OS: "alpine"}
	var got cachedContents
	if ok, err := c.Get("contents", testDigest, &got); ok || err != nil {
		t.Fatalf("Get before Put = %v, %v; want a miss", ok, err)
	}
	if err := c.Put("contents", testDigest, want); err != nil {
		t.Fatal(err)
	}
	ok, err := c.Get("contents", testDigest, &got)
	if !ok || err != nil || got.OS != want.OS || strings.Join(got.Packages, ",") != strings.Join(want.Packages, ",") {
		t.Fatalf("Get = %v, %v, %+v; want %+v", ok, err, got, want)
	}
	// Kinds are apart: the same digest under another kind is a miss.
	if ok, err := c.Get("signatures", testDigest, &got); ok || err != nil {
		t.Errorf("Get of another kind = %v, %v; want a miss", ok, err)
	}
	// A second Put replaces the entry, and leaves no temporary file.
	want.OS = "debian"
	if err := c.Put("contents", testDigest, want); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Get("contents", testDigest, &got); !ok || err != nil || got.OS != "debian" {
		t.Errorf("Get after the second Put = %v, %v, %+v", ok, err, got)
	}
	files, _ := filepath.Glob(filepath.Join(c.Dir(), "contents", "sha256", "*"))
	if len(files) != 1 {
		t.Errorf("files in the cache: %v, want the entry alone", files)
	}
}

// A corrupt entry is a miss that is reported and removed; the next Put mends it.
func TestCacheCorruptEntries(t *testing.T) {
	entry := `{"format":1,"kind":"contents","digest":"` + testDigest + `","data":{"os":"alpine"}}`
	tests := []struct {
		name    string
		file    string
		wantErr string
	}{
		{"not JSON", "{\"format\":1,", "unexpected end of JSON input"},
		{"empty", "", "unexpected end of JSON input"},
		{"another kind's entry", strings.Replace(entry, `"kind":"contents"`, `"kind":"sbom"`, 1), `kind "sbom"`},
		{"another digest's entry", strings.Replace(entry, testDigest, "sha256:"+strings.Repeat("0", 64), 1), "digest"},
		{"an older format", strings.Replace(entry, `"format":1`, `"format":0`, 1), "format 0"},
		{"data of another shape", strings.Replace(entry, `{"os":"alpine"}`, `{"os":42}`, 1), "cannot unmarshal number"},
		{"over the size limit", entry[:len(entry)-1] + strings.Repeat(" ", 2048) + "}", "over the limit of 1 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := OpenCache(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			c.MaxEntryBytes = 1 << 10
			p, err := c.entryPath("contents", testDigest)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			var got cachedContents
			ok, err := c.Get("contents", testDigest, &got)
			if ok {
				t.Fatalf("a corrupt entry was a hit: %+v", got)
			}
			wantErr(t, err, p, tt.wantErr)
			if !errors.Is(err, ErrCorruptEntry) {
				t.Errorf("error %v is not ErrCorruptEntry", err)
			}
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the corrupt entry is still there: %v", err)
			}
			if err := c.Put("contents", testDigest, cachedContents{OS: "debian"}); err != nil {
				t.Fatal(err)
			}
			if ok, err := c.Get("contents", testDigest, &got); !ok || err != nil || got.OS != "debian" {
				t.Errorf("after Put: %v, %v, %+v", ok, err, got)
			}
		})
	}
}

// Keys come from registries: one that would leave the cache's directory is refused.
func TestCacheBadKeys(t *testing.T) {
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.MaxEntryBytes = 1 << 10
	tests := []struct {
		name, kind, digest string
		value              any
		wantErr            string
	}{
		{"digest climbing out", "contents", "sha256:../../etc", 1, "cache key"},
		{"digest without algorithm", "contents", strings.Repeat("a", 64), 1, "cache key"},
		{"kind with a slash", "a/b", testDigest, 1, "cache kind"},
		{"kind climbing out", "..", testDigest, 1, "cache kind"},
		{"empty kind", "", testDigest, 1, "cache kind"},
		{"entry over the limit", "contents", testDigest, strings.Repeat("x", 2048), "over the limit of 1 KiB per entry"},
		{"value JSON cannot write", "contents", testDigest, make(chan int), "unsupported type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, c.Put(tt.kind, tt.digest, tt.value), tt.wantErr)
			if strings.HasPrefix(tt.wantErr, "cache k") {
				var v any
				_, err := c.Get(tt.kind, tt.digest, &v)
				wantErr(t, err, tt.wantErr)
			}
		})
	}
}

func TestDefaultCacheDir(t *testing.T) {
	tests := []struct {
		name, xdg, home, want string
	}{
		{"XDG_CACHE_HOME", "/var/cache/me", "/home/me", "/var/cache/me/moat"},
		{"relative XDG_CACHE_HOME is ignored", "cache", "/home/me", "/home/me/.cache/moat"},
		{"home", "", "/home/me", "/home/me/.cache/moat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_CACHE_HOME", tt.xdg)
			t.Setenv("HOME", tt.home)
			if got := DefaultCacheDir(); got != tt.want {
				t.Errorf("DefaultCacheDir() = %q, want %q", got, tt.want)
			}
		})
	}
}
