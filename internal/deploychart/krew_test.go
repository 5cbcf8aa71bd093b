package deploychart

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"

	"sigs.k8s.io/yaml"
)

// krewPlugin is the part of a krew Plugin (krew.googlecontainertools.github.com/v1alpha2)
// the test reads.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Bin    string `json:"bin"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
		} `json:"platforms"`
	} `json:"spec"`
}

// renderKrew executes the manifest template as krew-release-bot does: .TagName is the
// tag; addURIAndSha renders its URL with the tag and returns "uri: URL" and, on a line
// indented by four spaces, "sha256: HEX"; indent N re-indents that second line to N
// spaces. The checksum here is the SHA-256 of the URL itself, so that each platform's
// is distinct and known.
func renderKrew(t *testing.T, tag string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(chartDir(t), "..", "..", "krew", "moat.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	funcs := template.FuncMap{
		"addURIAndSha": func(url, tag string) (string, error) {
			var b strings.Builder
			tmpl, err := template.New("url").Parse(url)
			if err != nil {
				return "", err
			}
			if err := tmpl.Execute(&b, map[string]string{"TagName": tag}); err != nil {
				return "", err
			}
			return fmt.Sprintf("uri: %s\n    sha256: %s", b.String(), fakeSha(b.String())), nil
		},
		"indent": func(n int, s string) string {
			s = strings.ReplaceAll(s, "    sha256:", "sha256:")
			pad := strings.Repeat(" ", n)
			return strings.TrimSpace(pad + strings.ReplaceAll(s, "\n", "\n"+pad))
		},
	}
	tmpl, err := template.New("moat.yaml").Funcs(funcs).Parse(string(text))
	if err != nil {
		t.Fatalf("deploy/krew/moat.yaml is not a template the release job can execute: %v", err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, map[string]string{"TagName": tag}); err != nil {
		t.Fatalf("deploy/krew/moat.yaml: %v", err)
	}
	return out.Bytes()
}

func fakeSha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestKrewManifest renders the krew manifest for a release and checks it as krew's
// index does: the name, a semantic version, and for each of linux and darwin on amd64
// and arm64 exactly one platform, whose archive is that platform's release asset, with
// its checksum and the kubectl-moat binary.
func TestKrewManifest(t *testing.T) {
	const tag = "v1.2.3"
	var p krewPlugin
	if err := yaml.UnmarshalStrict(renderKrew(t, tag), &p); err != nil {
		t.Fatalf("the rendered manifest is not a krew Plugin: %v", err)
	}
	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" || p.Metadata.Name != "moat" {
		t.Errorf("header: %s %s %s", p.APIVersion, p.Kind, p.Metadata.Name)
	}
	if p.Spec.Version != tag {
		t.Errorf("version %q, want %q", p.Spec.Version, tag)
	}
	if p.Spec.ShortDescription == "" || p.Spec.Description == "" || !strings.HasPrefix(p.Spec.Homepage, "https://") {
		t.Error("shortDescription, description and an https homepage are required")
	}
	seen := map[string]bool{}
	for _, pl := range p.Spec.Platforms {
		os, arch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		key := os + "/" + arch
		if seen[key] {
			t.Errorf("%s: two platforms", key)
		}
		seen[key] = true
		wantURI := fmt.Sprintf("https://github.com/moat-dev/moat/releases/download/%s/kubectl-moat_%s_%s_%s.tar.gz", tag, tag, os, arch)
		if pl.URI != wantURI {
			t.Errorf("%s: uri %q, want %q", key, pl.URI, wantURI)
		}
		if pl.Sha256 != fakeSha(wantURI) {
			t.Errorf("%s: sha256 %q is not the checksum of its archive", key, pl.Sha256)
		}
		if pl.Bin != "kubectl-moat" {
			t.Errorf("%s: bin %q, want kubectl-moat", key, pl.Bin)
		}
		hasBin := false
		for _, f := range pl.Files {
			hasBin = hasBin || f.From == "kubectl-moat"
		}
		if !hasBin {
			t.Errorf("%s: the archive's kubectl-moat is not installed", key)
		}
	}
	for _, want := range []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"} {
		if !seen[want] {
			t.Errorf("no platform %s", want)
		}
	}
	if len(seen) != 4 {
		t.Errorf("platforms %v, want exactly linux and darwin on amd64 and arm64", seen)
	}
}

// TestKrewManifestHasNoFilledChecksum keeps the template a template: a checksum or a
// version written by hand would go stale at the next release.
func TestKrewManifestHasNoFilledChecksum(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(chartDir(t), "..", "..", "krew", "moat.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`(?m)^\s*sha256:`), regexp.MustCompile(`(?m)^\s*uri:`), regexp.MustCompile(`(?m)^\s*version:\s*v?[0-9]`)} {
		if loc := re.FindIndex(text); loc != nil {
			t.Errorf("deploy/krew/moat.yaml: %q is written by hand; the release job fills it", text[loc[0]:loc[1]])
		}
	}
}
