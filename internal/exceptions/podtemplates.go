package exceptions

// The podTemplatePaths: section of the config file: where custom resources keep their
// pod template, so that the pod rules read them as they read a Deployment's.
//
//	podTemplatePaths:
//	- apiVersion: example.com/v1   # this version only; or group: example.com, any version
//	  kind: MyWorkload
//	  path: spec.runner.template   # a PodTemplateSpec (metadata and spec)
//	- group: example.com
//	  kind: Other
//	  podSpecPath: spec.podSpec    # a bare PodSpec
//
// A path is field names joined by dots; list items and map keys cannot be named. An
// entry for a kind Moat knows already (argoproj.io Rollout) replaces the built-in path.

import (
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/moat-dev/moat/internal/podspec"
)

// TemplatePaths are the config file's podTemplatePaths; a nil Config has none.
func (c *Config) TemplatePaths() []podspec.TemplatePath {
	if c == nil {
		return nil
	}
	return c.PodTemplatePaths
}

var (
	templatePathFields = []string{"apiVersion", "group", "kind", "path", "podSpecPath"}
	// fieldPathRE is a dotted path of JSON field names as CRDs spell them.
	fieldPathRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]*(\.[A-Za-z_$][A-Za-z0-9_$-]*)*$`)
	kindRE      = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	// groupRE is a DNS subdomain, as API groups are.
	groupRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
	versionRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
)

func (p *parser) podTemplatePaths(v *yaml.Node) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, "podTemplatePaths", "want a list of kinds and paths, not %s", describeNode(v))
		return
	}
	seen := map[string]int{} // group/version/kind → line of its first entry
	for i, item := range v.Content {
		field := fmt.Sprintf("podTemplatePaths[%d]", i)
		if !p.plain(item, field) {
			continue
		}
		if item.Kind != yaml.MappingNode {
			p.errorf(item, field, "want a mapping with kind, apiVersion or group, and path or podSpecPath, not %s", describeNode(item))
			continue
		}
		t, ok := p.templatePath(item, field)
		if !ok {
			continue
		}
		key := t.Group + "/" + t.Version + "/" + t.Kind
		if first, dup := seen[key]; dup {
			p.errorf(item, field, "%s is named twice (first on line %d)", describeTemplateKind(t), first)
			continue
		}
		seen[key] = item.Line
		p.cfg.PodTemplatePaths = append(p.cfg.PodTemplatePaths, t)
	}
}

// templatePath reads one entry; ok is false when it has an error.
func (p *parser) templatePath(item *yaml.Node, field string) (t podspec.TemplatePath, ok bool) {
	before := len(p.errs)
	var apiVersion, group, path, podSpecPath *yaml.Node
	seen := p.fields(item, field, templatePathFields, func(key string, _, v *yaml.Node) {
		f := field + "." + key
		s, ok := p.scalar(v, f)
		if !ok {
			return
		}
		switch key {
		case "apiVersion":
			apiVersion = v
			t.Group, t.Version = splitAPIVersion(s)
			if !strings.Contains(s, "/") || !groupRE.MatchString(t.Group) || !versionRE.MatchString(t.Version) {
				p.errorf(v, f, "%q is not the apiVersion of a custom resource (want GROUP/VERSION, such as example.com/v1)", s)
			}
		case "group":
			group = v
			t.Group = s
			if !groupRE.MatchString(s) {
				p.errorf(v, f, "%q is not an API group (want a DNS name such as example.com)", s)
			}
		case "kind":
			t.Kind = s
			if !kindRE.MatchString(s) {
				p.errorf(v, f, "%q is not a kind (want a name such as MyWorkload)", s)
			}
		case "path", "podSpecPath":
			if key == "path" {
				path = v
			} else {
				podSpecPath, t.PodSpec = v, true
			}
			t.Path = s
			if !fieldPathRE.MatchString(s) {
				p.errorf(v, f, "%q is not a field path (want field names joined by dots, such as spec.template)", s)
			}
		}
	})
	switch {
	case !seen["kind"]:
		p.errorf(item, field, "kind is required")
	case apiVersion != nil && group != nil:
		p.errorf(group, field, "give apiVersion or group, not both")
	case !seen["apiVersion"] && !seen["group"]:
		p.errorf(item, field, "give the kind's apiVersion (this version only) or group (any version)")
	}
	switch {
	case path != nil && podSpecPath != nil:
		p.errorf(podSpecPath, field, "give path (a PodTemplateSpec) or podSpecPath (a PodSpec), not both")
	case !seen["path"] && !seen["podSpecPath"]:
		p.errorf(item, field, "give path (a PodTemplateSpec, such as spec.template) or podSpecPath (a bare PodSpec)")
	}
	return t, len(p.errs) == before
}

func splitAPIVersion(s string) (group, version string) {
	if g, v, ok := strings.Cut(s, "/"); ok {
		return g, v
	}
	return "", s
}

func describeTemplateKind(t podspec.TemplatePath) string {
	if t.Version != "" {
		return fmt.Sprintf("kind %s of %s/%s", t.Kind, t.Group, t.Version)
	}
	return fmt.Sprintf("kind %s of group %s", t.Kind, t.Group)
}
