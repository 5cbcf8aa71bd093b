package contents

import (
	"context"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/moat-dev/moat/internal/image"
)

func TestInventory(t *testing.T) {
	tests := []struct {
		name   string
		layers [][]tarFile
		want   []string
		wantOS *image.OSRelease
		// wantWarnings are substrings, each of which some warning holds.
		wantWarnings []string
	}{
		{
			name: "dpkg status on Debian 12 names the release and the source packages",
			layers: [][]tarFile{{
				dir("etc"), symlink("etc/os-release", "../usr/lib/os-release"),
				reg("usr/lib/os-release", debian12),
				reg("var/lib/dpkg/status", fixture(t, "dpkg-status")),
			}},
			want: []string{
				"Debian:12 base-files 12.4+deb12u8 src=base-files /var/lib/dpkg/status L1",
				"Debian:12 libssl3 3.0.15-1~deb12u1 src=openssl /var/lib/dpkg/status L1",
				"Debian:12 zlib1g 1:1.2.13.dfsg-1 src=zlib /var/lib/dpkg/status L1",
			},
			wantOS: &image.OSRelease{ID: "debian", VersionID: "12", VersionCodename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
		},
		{
			name: "apk database on Alpine 3.20.3 is Alpine:v3.20",
			layers: [][]tarFile{{
				reg("etc/os-release", alpine320),
				reg("lib/apk/db/installed", fixture(t, "apk-installed")),
			}},
			want: []string{
				"Alpine:v3.20 busybox 1.36.1-r29 src=busybox /lib/apk/db/installed L1",
				"Alpine:v3.20 libcrypto3 3.3.2-r0 src=openssl /lib/apk/db/installed L1",
				"Alpine:v3.20 musl 1.2.5-r0 src=musl /lib/apk/db/installed L1",
			},
			wantOS: &image.OSRelease{ID: "alpine", VersionID: "3.20.3", PrettyName: "Alpine Linux v3.20"},
		},
		{
			name: "Ubuntu's LTS release carries OSV's :LTS suffix",
			layers: [][]tarFile{{
				reg("etc/os-release", ubuntu2204),
				reg("var/lib/dpkg/status", "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.1-6ubuntu1.1\n"),
			}},
			want:   []string{"Ubuntu:22.04:LTS bash 5.1-6ubuntu1.1 src=bash /var/lib/dpkg/status L1"},
			wantOS: &image.OSRelease{ID: "ubuntu", VersionID: "22.04", VersionCodename: "jammy", PrettyName: "Ubuntu 22.04.5 LTS"},
		},
		{
			name:   "package-lock.json lists npm packages",
			layers: [][]tarFile{{reg("srv/web/package-lock.json", fixture(t, "package-lock.json"))}},
			want: []string{
				"npm express 4.19.2 /srv/web/package-lock.json L1",
				"npm qs 6.11.0 /srv/web/package-lock.json L1",
			},
		},
		{
			name: "lockfiles of Python and Rust",
			layers: [][]tarFile{{
				reg("app/requirements.txt", "flask==3.0.3\nrequests==2.32.3 # pinned\n"),
				reg("agent/Cargo.lock", fixture(t, "Cargo.lock")),
			}},
			want: []string{
				"PyPI flask 3.0.3 /app/requirements.txt L1",
				"PyPI requests 2.32.3 /app/requirements.txt L1",
				"crates.io moat-agent 0.1.0 /agent/Cargo.lock L1",
				"crates.io smallvec 1.13.2 /agent/Cargo.lock L1",
			},
		},
		{
			name: "lockfiles of yarn, pnpm, Poetry and Pipenv",
			layers: [][]tarFile{{
				reg("srv/a/yarn.lock", fixture(t, "yarn.lock")),
				reg("srv/b/pnpm-lock.yaml", fixture(t, "pnpm-lock.yaml")),
				reg("srv/c/poetry.lock", fixture(t, "poetry.lock")),
				reg("srv/d/Pipfile.lock", fixture(t, "Pipfile.lock")),
			}},
			want: []string{
				"PyPI idna 3.7 /srv/d/Pipfile.lock L1",
				"PyPI urllib3 2.2.2 /srv/c/poetry.lock L1",
				"npm lodash 4.17.21 /srv/a/yarn.lock L1",
				"npm ms 2.1.3 /srv/b/pnpm-lock.yaml L1",
			},
		},
		{
			name: "installed packages: node_modules, Python dist-info and a jar",
			layers: [][]tarFile{{
				reg("usr/lib/node_modules/npm/node_modules/semver/package.json", `{"name":"semver","version":"7.5.4"}`),
				reg("usr/lib/python3/dist-packages/requests-2.32.3.dist-info/METADATA", "Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\n"),
				reg("opt/app/lib/jackson-databind-2.15.2.jar", jar(t, "com.fasterxml.jackson.core", "jackson-databind", "2.15.2")),
			}},
			want: []string{
				"Maven com.fasterxml.jackson.core:jackson-databind 2.15.2 /opt/app/lib/jackson-databind-2.15.2.jar L1",
				"PyPI requests 2.32.3 /usr/lib/python3/dist-packages/requests-2.32.3.dist-info/METADATA L1",
				"npm semver 7.5.4 /usr/lib/node_modules/npm/node_modules/semver/package.json L1",
			},
		},
		{
			name: "a file a later layer rewrites is attributed to that layer",
			layers: [][]tarFile{
				{reg("etc/os-release", debian12), reg("var/lib/dpkg/status", "Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\n")},
				{reg("var/lib/dpkg/status", "Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u8\n")},
			},
			want: []string{"Debian:12 curl 7.88.1-10+deb12u8 src=curl /var/lib/dpkg/status L2"},
		},
		{
			name: "a lockfile deleted by a later layer's whiteout is not reported",
			layers: [][]tarFile{
				{reg("srv/web/package-lock.json", fixture(t, "package-lock.json")), reg("srv/api/requirements.txt", "flask==3.0.3\n")},
				{whiteout("srv/web/package-lock.json")},
			},
			want: []string{"PyPI flask 3.0.3 /srv/api/requirements.txt L1"},
		},
		{
			name: "an opaque directory hides what the layers below put there, not its own files",
			layers: [][]tarFile{
				{reg("srv/web/package-lock.json", fixture(t, "package-lock.json")), reg("opt/tool/requirements.txt", "click==8.1.7\n")},
				{dir("srv"), reg("srv/api/requirements.txt", "flask==3.0.3\n"), opaque("srv")},
			},
			want: []string{
				"PyPI click 8.1.7 /opt/tool/requirements.txt L1",
				"PyPI flask 3.0.3 /srv/api/requirements.txt L2",
			},
		},
		{
			name: "a broken status file is a warning and the other files still count",
			layers: [][]tarFile{{
				reg("etc/os-release", debian12),
				reg("var/lib/dpkg/status", "Package: curl\nStatus: install ok\nVersion: 7.88.1-10\n"),
				reg("app/requirements.txt", "flask==3.0.3\n"),
			}},
			want:         []string{"PyPI flask 3.0.3 /app/requirements.txt L1"},
			wantWarnings: []string{"/var/lib/dpkg/status in layer 1 (sha256:", `: extractor os/dpkg failed: statusInstalled("install ok"): invalid DPKG Status field "install ok"`},
		},
		{
			name: "an os-release value that is a lone quote is read, not a crash",
			layers: [][]tarFile{{
				reg("etc/os-release", "ID=debian\nVERSION_ID=12\nVERSION_CODENAME=\"\n"),
				reg("var/lib/dpkg/status", "Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\n"),
			}},
			want:   []string{"Debian:12 curl 7.88.1-10 src=curl /var/lib/dpkg/status L1"},
			wantOS: &image.OSRelease{ID: "debian", VersionID: "12", VersionCodename: `"`},
		},
		{
			name:   "an image with nothing the extractors know has no packages and no OS",
			layers: [][]tarFile{{reg("app/README.md", "hello"), exe("app/run.sh", "#!/bin/sh\necho hi\n")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			layers := make([]v1.Layer, 0, len(tt.layers))
			for _, files := range tt.layers {
				layers = append(layers, layer(t, files...))
			}
			img := imageOf(t, layers...)
			got, err := Inventory(context.Background(), img, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if lines := describe(t, img, got.Packages); !slices.Equal(lines, tt.want) {
				t.Errorf("packages:\n got %q\nwant %q", lines, tt.want)
			}
			if tt.wantOS != nil && (got.OS == nil || *got.OS != *tt.wantOS) {
				t.Errorf("OS = %+v, want %+v", got.OS, tt.wantOS)
			}
			if missing := containsAll(got.Warnings, tt.wantWarnings); len(missing) > 0 || (len(tt.wantWarnings) == 0 && len(got.Warnings) > 0) {
				t.Errorf("warnings %q, want ones holding %q", got.Warnings, tt.wantWarnings)
			}
			for _, p := range got.Packages {
				if p.PURL == "" || !strings.HasPrefix(p.PURL, "pkg:") {
					t.Errorf("%s %s has PURL %q", p.Name, p.Version, p.PURL)
				}
			}
		})
	}
}
