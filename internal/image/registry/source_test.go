package registry

import (
	"strings"
	"testing"
)

const testDigest = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"

func TestParseSource(t *testing.T) {
	tests := []struct {
		in      string
		want    Source
		wantErr string
	}{
		{in: "nginx:1.27", want: Source{Kind: KindRegistry, Ref: "index.docker.io/library/nginx:1.27", Tag: "1.27"}},
		{in: "nginx", want: Source{Kind: KindRegistry, Ref: "index.docker.io/library/nginx:latest", Tag: "latest"}},
		{in: "docker.io/library/nginx:latest", want: Source{Kind: KindRegistry, Ref: "index.docker.io/library/nginx:latest", Tag: "latest"}},
		{in: " ghcr.io/o/r@" + testDigest + " ", want: Source{Kind: KindRegistry, Ref: "ghcr.io/o/r@" + testDigest, Digest: testDigest}},
		{in: "localhost:5000/team/app:v2", want: Source{Kind: KindRegistry, Ref: "localhost:5000/team/app:v2", Tag: "v2"}},
		{in: "oci:/var/images/app", want: Source{Kind: KindOCI, Path: "/var/images/app"}},
		{in: "oci:./layout:v1.2", want: Source{Kind: KindOCI, Path: "./layout", Tag: "v1.2"}},
		{in: "oci:layout@" + testDigest, want: Source{Kind: KindOCI, Path: "layout", Digest: testDigest}},
		// A ':' before the last '/' belongs to the directory.
		{in: "oci:dir:with:colons/app", want: Source{Kind: KindOCI, Path: "dir:with:colons/app"}},
		{in: "oci:a@b/c", want: Source{Kind: KindOCI, Path: "a@b/c"}},
		{in: "tar:image.tar", want: Source{Kind: KindTar, Path: "image.tar"}},
		{in: "tar:/tmp/all.tar:nginx:1.27", want: Source{Kind: KindTar, Path: "/tmp/all.tar", Ref: "nginx:1.27", Tag: "1.27"}},
		{in: "tar:all.tar:ghcr.io/o/r", want: Source{Kind: KindTar, Path: "all.tar", Ref: "ghcr.io/o/r", Tag: "latest"}},

		{in: "", wantErr: "empty image reference"},
		{in: "   ", wantErr: "empty image reference"},
		{in: "Nginx:1.27", wantErr: `image reference "Nginx:1.27"`},
		{in: "nginx:", wantErr: `image reference "nginx:"`},
		{in: "ghcr.io/o/r@sha256:short", wantErr: "image reference"},
		{in: "oci:", wantErr: "the directory is missing"},
		{in: "oci::v1", wantErr: "the directory is missing"},
		{in: "oci:dir:-bad", wantErr: `tag "-bad"`},
		{in: "oci:dir@sha256:xyz", wantErr: "digest after '@'"},
		{in: "tar:", wantErr: "the file is missing"},
		{in: "tar::nginx", wantErr: "the file is missing"},
		{in: "tar:x.tar:", wantErr: "is empty"},
		{in: "tar:x.tar:ghcr.io/o/r@" + testDigest, wantErr: "must be a tag"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSource(tt.in)
			if tt.wantErr != "" {
				wantErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("ParseSource(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseSource(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			// String is read back to the same source.
			again, err := ParseSource(got.String())
			if err != nil || again != got {
				t.Errorf("ParseSource(%q.String() = %q) = %+v, %v; want %+v", tt.in, got.String(), again, err, got)
			}
		})
	}
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"nginx:1.27", "ghcr.io/o/r@" + testDigest, "oci:dir:v1", "oci:d@" + testDigest,
		"tar:f.tar", "tar:f.tar:nginx:1", "localhost:5000/a/b:c", "oci:a:b/c", "tar::", "@", "oci:@sha256:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := ParseSource(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseSource(%q): empty error", s)
			}
			return
		}
		switch src.Kind {
		case KindRegistry:
			if src.Ref == "" || (src.Tag == "") == (src.Digest == "") {
				t.Fatalf("ParseSource(%q) = %+v: a registry source names a tag or a digest", s, src)
			}
		case KindOCI, KindTar:
			if src.Path == "" {
				t.Fatalf("ParseSource(%q) = %+v: no path", s, src)
			}
		default:
			t.Fatalf("ParseSource(%q): kind %q", s, src.Kind)
		}
		again, err := ParseSource(src.String())
		if err != nil || again != src {
			t.Fatalf("ParseSource(%q) = %+v, whose String %q reads back as %+v, %v", s, src, src.String(), again, err)
		}
		if strings.TrimSpace(src.String()) != src.String() {
			t.Fatalf("String %q has spaces at its ends", src.String())
		}
	})
}
