package workload

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

var (
	hex64  = strings.Repeat("0123456789abcdef", 4)
	hex96  = strings.Repeat("0123456789abcdef", 6)
	hex128 = strings.Repeat("0123456789abcdef", 8)
)

// imageRefCases are shared by the unit test and the fuzz seeds.
var imageRefCases = []struct {
	name   string
	in     string
	want   imageRef
	policy corev1.PullPolicy
	err    bool
}{
	{name: "bare Docker Hub name", in: "nginx", want: imageRef{Registry: "docker.io", Repository: "library/nginx"}, policy: corev1.PullAlways},
	{name: "Docker Hub name with tag", in: "nginx:1.27.3", want: imageRef{Registry: "docker.io", Repository: "library/nginx", Tag: "1.27.3"}, policy: corev1.PullIfNotPresent},
	{name: "explicit latest tag", in: "nginx:latest", want: imageRef{Registry: "docker.io", Repository: "library/nginx", Tag: "latest"}, policy: corev1.PullAlways},
	{name: "Docker Hub user repository", in: "bitnami/redis:7.2", want: imageRef{Registry: "docker.io", Repository: "bitnami/redis", Tag: "7.2"}, policy: corev1.PullIfNotPresent},
	{name: "legacy Docker Hub domain", in: "index.docker.io/nginx:1", want: imageRef{Registry: "docker.io", Repository: "library/nginx", Tag: "1"}, policy: corev1.PullIfNotPresent},
	{name: "registry with dots", in: "registry.k8s.io/pause:3.10", want: imageRef{Registry: "registry.k8s.io", Repository: "pause", Tag: "3.10"}, policy: corev1.PullIfNotPresent},
	{name: "registry with port and no tag", in: "registry.example.com:5000/team/app", want: imageRef{Registry: "registry.example.com:5000", Repository: "team/app"}, policy: corev1.PullAlways},
	{name: "registry with port and tag", in: "registry.example.com:5000/team/app:v2", want: imageRef{Registry: "registry.example.com:5000", Repository: "team/app", Tag: "v2"}, policy: corev1.PullIfNotPresent},
	{name: "registry with port and digest", in: "registry.example.com:5000/team/app@sha256:" + hex64, want: imageRef{Registry: "registry.example.com:5000", Repository: "team/app", Digest: "sha256:" + hex64}, policy: corev1.PullIfNotPresent},
	{name: "registry with port, tag and digest", in: "registry.example.com:5000/app:1.0@sha256:" + hex64, want: imageRef{Registry: "registry.example.com:5000", Repository: "app", Tag: "1.0", Digest: "sha256:" + hex64}, policy: corev1.PullIfNotPresent},
	{name: "latest tag with digest is pinned but defaults to Always", in: "nginx:latest@sha256:" + hex64, want: imageRef{Registry: "docker.io", Repository: "library/nginx", Tag: "latest", Digest: "sha256:" + hex64}, policy: corev1.PullAlways},
	{name: "localhost registry with port", in: "localhost:5000/app", want: imageRef{Registry: "localhost:5000", Repository: "app"}, policy: corev1.PullAlways},
	{name: "localhost registry without port", in: "localhost/app:dev", want: imageRef{Registry: "localhost", Repository: "app", Tag: "dev"}, policy: corev1.PullIfNotPresent},
	{name: "bare localhost with port is a repository and tag", in: "localhost:5000", want: imageRef{Registry: "docker.io", Repository: "library/localhost", Tag: "5000"}, policy: corev1.PullIfNotPresent},
	{name: "IPv6 registry", in: "[fd00::1]:5000/app:1", want: imageRef{Registry: "[fd00::1]:5000", Repository: "app", Tag: "1"}, policy: corev1.PullIfNotPresent},
	{name: "IPv4 registry", in: "10.0.0.7:5000/ns/app", want: imageRef{Registry: "10.0.0.7:5000", Repository: "ns/app"}, policy: corev1.PullAlways},
	{name: "upper-case first component is a registry", in: "Registry/app:1", want: imageRef{Registry: "Registry", Repository: "app", Tag: "1"}, policy: corev1.PullIfNotPresent},
	{name: "deep repository path", in: "ghcr.io/org/team/tool/sub:2024.01.02", want: imageRef{Registry: "ghcr.io", Repository: "org/team/tool/sub", Tag: "2024.01.02"}, policy: corev1.PullIfNotPresent},
	{name: "separators in repository", in: "quay.io/my_org/my-app__x.y:1", want: imageRef{Registry: "quay.io", Repository: "my_org/my-app__x.y", Tag: "1"}, policy: corev1.PullIfNotPresent},
	{name: "dotted first component that is no host name is a path", in: "a.b_c/x:1", want: imageRef{Registry: "", Repository: "a.b_c/x", Tag: "1"}, policy: corev1.PullIfNotPresent},
	{name: "sha384 digest", in: "app@sha384:" + hex96, want: imageRef{Registry: "docker.io", Repository: "library/app", Digest: "sha384:" + hex96}, policy: corev1.PullIfNotPresent},
	{name: "sha512 digest", in: "app@sha512:" + hex128, want: imageRef{Registry: "docker.io", Repository: "library/app", Digest: "sha512:" + hex128}, policy: corev1.PullIfNotPresent},
	{name: "tag that only looks like latest", in: "nginx:latest-alpine", want: imageRef{Registry: "docker.io", Repository: "library/nginx", Tag: "latest-alpine"}, policy: corev1.PullIfNotPresent},
	{name: "upper-case tag is not latest", in: "nginx:LATEST", want: imageRef{Registry: "docker.io", Repository: "library/nginx", Tag: "LATEST"}, policy: corev1.PullIfNotPresent},

	{name: "empty reference", in: "", err: true},
	{name: "white space", in: "nginx: 1.2", err: true},
	{name: "upper-case repository", in: "library/Nginx", err: true},
	{name: "upper-case single name", in: "Nginx", err: true},
	{name: "short sha256 digest", in: "nginx@sha256:abc", err: true},
	{name: "long sha256 digest", in: "nginx@sha256:" + hex64 + "0", err: true},
	{name: "upper-case hex in sha256 digest", in: "nginx@sha256:" + strings.ToUpper(hex64), err: true},
	{name: "unknown digest algorithm", in: "nginx@md5:" + hex64[:32], err: true},
	{name: "digest without algorithm", in: "nginx@" + hex64, err: true},
	{name: "64 hex digits as a name", in: hex64, err: true},
	{name: "empty tag", in: "nginx:", err: true},
	{name: "tag starting with a dot", in: "nginx:.1", err: true},
	{name: "registry only", in: "registry.example.com:5000/", err: true},
	{name: "template placeholder", in: "{{ .Values.image }}", err: true},
	{name: "double slash", in: "ghcr.io//app", err: true},
	{name: "path longer than 255 characters", in: "ghcr.io/" + strings.Repeat("a", 256), err: true},
}

func TestParseImageRef(t *testing.T) {
	for _, tc := range imageRefCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseImageRef(tc.in)
			if tc.err {
				if err == nil {
					t.Fatalf("parseImageRef(%q) = %+v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseImageRef(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("parseImageRef(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if p := got.DefaultPullPolicy(); p != tc.policy {
				t.Errorf("DefaultPullPolicy(%q) = %s, want %s", tc.in, p, tc.policy)
			}
		})
	}
}

func TestImageRefPredicates(t *testing.T) {
	for _, tc := range []struct {
		in             string
		pinned, latest bool
	}{
		{"nginx", false, true},
		{"nginx:latest", false, true},
		{"nginx:1.27", false, false},
		{"nginx@sha256:" + hex64, true, false},
		{"nginx:latest@sha256:" + hex64, true, false},
		{"registry.example.com:5000/app", false, true},
		{"registry.example.com:5000/app:5000", false, false},
	} {
		r, err := parseImageRef(tc.in)
		if err != nil {
			t.Fatalf("parseImageRef(%q): %v", tc.in, err)
		}
		if r.Pinned() != tc.pinned || r.Latest() != tc.latest {
			t.Errorf("%q: Pinned=%v Latest=%v, want %v %v", tc.in, r.Pinned(), r.Latest(), tc.pinned, tc.latest)
		}
	}
}

// FuzzParseImageRef checks that parsing never panics and that a parsed reference's
// normalized form parses back to the same reference.
func FuzzParseImageRef(f *testing.F) {
	for _, tc := range imageRefCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseImageRef(s)
		if err != nil {
			return
		}
		if r.Registry == "" {
			return // a dotted path component that is no host name: the normalized form has no domain to print
		}
		back, err := parseImageRef(r.String())
		if err != nil || back != r {
			t.Errorf("parseImageRef(%q) = %+v, whose normalized form %q parses to %+v, %v", s, r, r.String(), back, err)
		}
	})
}
