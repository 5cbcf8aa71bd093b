package workload

// image/registry-not-allowed: a container image should come from a registry the config
// file allows, and from none it denies (images: allowedRegistries, deniedRegistries in
// .moat.yaml, passed to rules as rule.Options.Registries). An entry matches the
// normalized image name — nginx is docker.io/library/nginx — when it is the registry,
// the registry and a path prefix (ghcr.io/acme matches ghcr.io/acme/app, not
// ghcr.io/acme-tools/app), or "*." and a domain that the registry's host is a
// subdomain of. A denied entry wins over an allowed one. With no lists nothing is
// checked; an invalid reference is image/invalid-reference's.

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "image/registry-not-allowed",
			Title:    "Image comes from a registry the config file does not allow",
			Severity: finding.High,
			Description: "The config file (.moat.yaml, images: allowedRegistries and deniedRegistries) names the registries " +
				"images may come from, and this image comes from one it denies or from one outside the allowed list. " +
				"Images from other registries bypass the scanning, signing and mirroring the allowed ones provide, and a " +
				"public registry serves whatever its owner or an attacker who took the name pushed (MITRE ATT&CK T1525, " +
				"Implant Internal Image; NSA/CISA Kubernetes Hardening Guide, Building secure container images; CIS " +
				"Kubernetes Benchmark 5.5.1, image provenance; Kubescape C-0001 and C-0078). Entries match the " +
				"normalized name (nginx is docker.io/library/nginx) by registry, registry and path prefix, or *.domain. " +
				"With no lists, nothing is checked.",
			Remediation: "Pull the image through an allowed registry (mirror it there), or, if the registry is trusted, " +
				"add it to images.allowedRegistries in the config file.",
			Frameworks: finding.Frameworks{CIS: "5.5.1", NSA: nsaSecureImages, MITRE: "T1525"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(registryNotAllowed),
		CEL: &rule.CEL{Unexportable: "the allowed and denied registries come from the config file, which an exported " +
			"policy does not carry; the admission webhook (moat serve admission) applies them"},
	})
}

func registryNotAllowed(c *rule.Context, _ *inventory.Object, p podspec.Pod) []rule.Result {
	regs := c.Registries
	if len(regs.Allowed) == 0 && len(regs.Denied) == 0 {
		return nil
	}
	var out []rule.Result
	for ct := range p.AllContainers {
		ref, ok := containerImage(ct.Image)
		if !ok {
			continue
		}
		name := ref.Name()
		var why string
		if e, denied := matchRegistry(name, regs.Denied); denied {
			why = fmt.Sprintf("a registry the config file denies (%s)", e)
		} else if _, allowed := matchRegistry(name, regs.Allowed); len(regs.Allowed) > 0 && !allowed {
			why = fmt.Sprintf("a registry outside those the config file allows (%s)", strings.Join(regs.Allowed, ", "))
		} else {
			continue
		}
		out = append(out, rule.Result{
			Message: fmt.Sprintf("%s pulls image %q (%s) from %s", ct.Describe(), ct.Image, name, why),
			Path:    imagePath.Of(ct),
		})
	}
	return out
}

// matchRegistry returns the first entry that matches the normalized image name.
func matchRegistry(name string, entries []string) (string, bool) {
	host, _, _ := strings.Cut(name, "/")
	lname := strings.ToLower(host) + strings.TrimPrefix(name, host)
	for _, e := range entries {
		if wild, ok := strings.CutPrefix(e, "*."); ok {
			if strings.HasSuffix(strings.ToLower(registryHost(host)), "."+wild) {
				return e, true
			}
			continue
		}
		if lname == e || strings.HasPrefix(lname, e+"/") {
			return e, true
		}
	}
	return "", false
}
