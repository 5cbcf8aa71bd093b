package exceptions

// The images: section of the config file: the registries images may come from
// (allowedRegistries) and may not (deniedRegistries), which the rule
// image/registry-not-allowed reads through rule.Options.Registries, and the signing
// policy (signatures), which image scans and the admission webhook apply.
//
//	images:
//	  allowedRegistries: [registry.example.com, ghcr.io/acme, "*.corp.example"]
//	  deniedRegistries: [docker.io]
//
// An entry is a registry host with its port if any, optionally followed by a path
// prefix, or "*." and a domain for its subdomains. Hosts are compared without case;
// index.docker.io and registry-1.docker.io are written docker.io, the name Docker Hub
// images normalize to (nginx is docker.io/library/nginx).

import (
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/moat-dev/moat/internal/rule"
)

// Images are the registry lists of the config file, normalized.
type Images struct {
	AllowedRegistries []string
	DeniedRegistries  []string
	// Signatures is the signatures: section as written: which images must be signed and
	// by whom (internal/image/sign parses it); nil when absent.
	Signatures *yaml.Node
}

// Registries are the config file's registry lists as the rules read them; a nil Config
// has none.
func (c *Config) Registries() rule.Registries {
	if c == nil {
		return rule.Registries{}
	}
	return rule.Registries{Allowed: c.Images.AllowedRegistries, Denied: c.Images.DeniedRegistries}
}

var (
	registryHostRE = regexp.MustCompile(`^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-f:]+\](?::[0-9]+)?$`)
	registryPathRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
)

func (p *parser) images(v *yaml.Node) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.MappingNode {
		p.errorf(v, "images", "want a mapping with allowedRegistries and deniedRegistries, not %s", describeNode(v))
		return
	}
	p.fields(v, "images", []string{"allowedRegistries", "deniedRegistries", "signatures"}, func(key string, _, v *yaml.Node) {
		if key == "signatures" {
			p.cfg.Images.Signatures = v // internal/image/sign reads it, with this file's lines
			return
		}
		list := p.registries(v, "images."+key)
		if key == "allowedRegistries" {
			p.cfg.Images.AllowedRegistries = list
		} else {
			p.cfg.Images.DeniedRegistries = list
		}
	})
}

// registries reads a list of registry entries. An empty allowed list would allow
// nothing, which no one means: like an empty exception list, it is an error.
func (p *parser) registries(v *yaml.Node, field string) []string {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, field, "want a list of registries, not %s", describeNode(v))
		return nil
	}
	if len(v.Content) == 0 {
		p.errorf(v, field, "empty list (leave the field out to check nothing)")
		return nil
	}
	var out []string
	for i, n := range v.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		s, ok := p.scalar(n, f)
		if !ok {
			continue
		}
		r, err := NormalizeRegistry(s)
		if err != nil {
			p.errorf(n, f, "%v", err)
			continue
		}
		out = append(out, r)
	}
	return out
}

// NormalizeRegistry checks a registry entry and writes it as the rules compare it:
// lower-case host, no scheme or trailing slash, Docker Hub as docker.io.
func NormalizeRegistry(s string) (string, error) {
	e := strings.TrimSuffix(strings.TrimSpace(s), "/")
	if strings.Contains(e, "://") {
		return "", fmt.Errorf("%q: write the registry without a scheme (ghcr.io, not https://ghcr.io)", s)
	}
	host, path, _ := strings.Cut(e, "/")
	host = strings.ToLower(host)
	switch host {
	case "index.docker.io", "registry-1.docker.io":
		host = "docker.io"
	}
	if !registryHostRE.MatchString(host) {
		return "", fmt.Errorf("%q is not a registry host (want a host name with an optional port and path, such as ghcr.io/acme, or *.example.com)", s)
	}
	if path != "" {
		if strings.HasPrefix(host, "*.") {
			return "", fmt.Errorf("%q: a wildcard entry names hosts only, not a path", s)
		}
		if !registryPathRE.MatchString(path) {
			return "", fmt.Errorf("%q: %q is not a repository path (lower-case components separated by /)", s, path)
		}
		return host + "/" + path, nil
	}
	return host, nil
}
