package node

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/finding"
)

// KubeletConfig is the kubelet's effective configuration, built the way the kubelet
// builds it: its defaults (those of a config file when --config is given, the older
// command-line defaults when not), the --config file, the files of --config-dir in
// order, then the flags that set a field, each over the one before.
type KubeletConfig struct {
	kubeletv1beta1.KubeletConfiguration
	// File is the --config file, "" when none is given.
	File string
	// origin says, for each field path set by something other than the defaults, where:
	// "flag" or a file.
	origin map[string]string
	// lines are the config file lines of its fields.
	lines map[string]map[string]int
	// Errors say what could not be read (the kubelet would refuse to start).
	Errors []string
	// fromConfigz is set for a configuration the kubelet served on /configz.
	fromConfigz bool
	// seccompDefaultFlag is --seccomp-default: the kubelet uses RuntimeDefault when it
	// or seccompDefault is true (KubeletFlags, not a config field).
	seccompDefaultFlag bool
}

// Where says where a field's value comes from, in words for a message, and its source.
func (k *KubeletConfig) Where(path string, c *Component) (string, *finding.Source) {
	switch o := k.origin[path]; {
	case k.fromConfigz:
		return "the kubelet's /configz", nil
	case o == "flag":
		flag := ""
		for f, p := range c.Host.Release.Kubelet.FlagFields {
			if p == path && c.Flags.Set(f) {
				flag = f
			}
		}
		return "set by --" + flag, c.FlagSource(flag)
	case o != "":
		return "set in " + o, &finding.Source{File: o, Line: k.lines[o][path]}
	case k.File != "":
		return "the default with a config file", &finding.Source{File: k.File}
	default:
		return "the default without --config", c.FlagSource("")
	}
}

// buildKubelet makes the kubelet's effective configuration.
func (l *loader) buildKubelet(c *Component) *KubeletConfig {
	data := l.host.Release.Kubelet
	k := &KubeletConfig{origin: map[string]string{}, lines: map[string]map[string]int{}}
	base := data.FlagDefaults
	file, hasFile := c.Flags.Lookup("config")
	if hasFile {
		base, k.File = data.ConfigDefaults, cleanPath(file)
	}
	var cfg map[string]any
	if err := json.Unmarshal(base, &cfg); err != nil {
		k.Errors = append(k.Errors, "kubelet defaults: "+err.Error())
		cfg = map[string]any{}
	}
	t := reflect.TypeOf(kubeletv1beta1.KubeletConfiguration{})
	if hasFile {
		l.mergeKubeletFile(k, cfg, t, k.File, false)
	}
	if dir, ok := c.Flags.Lookup("config-dir"); ok && dir != "" {
		// Every *.conf file beneath the directory, subdirectories included, in the
		// order of a directory walk (names sorted within each directory), as the
		// kubelet reads them; each is a JSON merge patch over what came before.
		d := l.walk(dir, func(string) bool { return true })
		for _, f := range d.Entries {
			if e := l.host.Files[f]; e != nil && !e.Dir && filepath.Ext(f) == ".conf" {
				l.mergeKubeletFile(k, cfg, t, f, true)
			}
		}
	}
	for _, name := range c.Flags.Names() {
		path, ok := data.FlagFields[name]
		if !ok {
			continue
		}
		ft, _ := kubeSpec(l.host.Release, Kubelet)(name)
		v, err := flagJSON(ft.Type, c.Flags.Value(name))
		if err != nil {
			k.Errors = append(k.Errors, fmt.Sprintf("--%s: %v", name, err))
			continue
		}
		setPath(cfg, t, strings.Split(path, "."), v)
		k.origin[path] = "flag"
	}
	if on, err := c.Flags.Bool("seccomp-default"); err == nil && c.Flags.Set("seccomp-default") {
		k.seccompDefaultFlag = on
	}
	raw, _ := json.Marshal(cfg)
	if err := json.Unmarshal(raw, &k.KubeletConfiguration); err != nil {
		k.Errors = append(k.Errors, "kubelet configuration: "+err.Error())
	}
	return k
}

// mergeKubeletFile reads one KubeletConfiguration file and lays it over cfg.
// A drop-in (patch) is laid over as a JSON merge patch: maps merge key by key at
// every depth (featureGates gain keys), lists are replaced.
func (l *loader) mergeKubeletFile(k *KubeletConfig, cfg map[string]any, t reflect.Type, path string, patch bool) {
	f := l.stat(path, true)
	if !f.Exists || f.Content == nil {
		msg := "not found"
		if f.Err != "" {
			msg = f.Err
		}
		k.Errors = append(k.Errors, fmt.Sprintf("kubelet config %s: %s", path, msg))
		return
	}
	var doc map[string]any
	if err := sigsyaml.Unmarshal(f.Content, &doc); err != nil {
		k.Errors = append(k.Errors, fmt.Sprintf("kubelet config %s: %v", path, err))
		return
	}
	if kind, _ := doc["kind"].(string); kind != "KubeletConfiguration" {
		k.Errors = append(k.Errors, fmt.Sprintf("kubelet config %s: kind %q, want KubeletConfiguration", path, kind))
		return
	}
	delete(doc, "kind")
	delete(doc, "apiVersion")
	lines := map[string]int{}
	var node yaml.Node
	if yaml.Unmarshal(f.Content, &node) == nil && len(node.Content) > 0 {
		fieldLines(node.Content[0], "", lines)
	}
	k.lines[path] = lines
	merge(cfg, doc, t, "", patch, func(p string) { k.origin[p] = path })
}

// fieldLines records the line of every mapping key beneath n by its dotted path.
func fieldLines(n *yaml.Node, prefix string, out map[string]int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		p := prefix + n.Content[i].Value
		out[p] = n.Content[i].Line
		fieldLines(n.Content[i+1], p+".", out)
	}
}

// merge lays src over dst the way a typed decode over defaults does: fields of structs
// one by one, maps and lists whole; with patch, as a JSON merge patch (maps of any kind
// merged, null removing a key). set is told each leaf path written.
func merge(dst, src map[string]any, t reflect.Type, prefix string, patch bool, set func(string)) {
	for key, v := range src {
		ft := fieldType(t, key)
		sub, isObj := v.(map[string]any)
		cur, curObj := dst[key].(map[string]any)
		if patch && v == nil {
			delete(dst, key)
			set(prefix + key)
			continue
		}
		if isObj && ((ft != nil && ft.Kind() == reflect.Struct) || (patch && curObj)) {
			if !curObj {
				cur = map[string]any{}
				dst[key] = cur
			}
			merge(cur, sub, ft, prefix+key+".", patch, set)
			continue
		}
		dst[key] = v
		set(prefix + key)
	}
}

// fieldType is the type of the field of struct t whose JSON name is key (pointers
// removed), nil when t has none.
func fieldType(t reflect.Type, key string) reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			if ft := fieldType(f.Type, key); ft != nil {
				return ft
			}
			continue
		}
		if name == key {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			return ft
		}
	}
	return nil
}

// setPath writes v at a dotted path, merging into maps for map flags (--feature-gates
// adds to featureGates).
func setPath(cfg map[string]any, t reflect.Type, path []string, v any) {
	for len(path) > 1 {
		next, ok := cfg[path[0]].(map[string]any)
		if !ok {
			next = map[string]any{}
			cfg[path[0]] = next
		}
		t = fieldType(t, path[0])
		cfg, path = next, path[1:]
	}
	if m, ok := v.(map[string]any); ok {
		if cur, ok := cfg[path[0]].(map[string]any); ok {
			for k, x := range m {
				cur[k] = x
			}
			return
		}
	}
	cfg[path[0]] = v
}

// flagJSON converts a flag's value to the JSON value of its config field.
func flagJSON(typ, v string) (any, error) {
	switch typ {
	case "bool":
		return strconv.ParseBool(v)
	case "int", "int32", "int64", "uint", "uint32", "uint64":
		return strconv.ParseInt(v, 10, 64)
	case "float32", "float64", "float":
		return strconv.ParseFloat(v, 64)
	case "duration":
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, err
		}
		return d.String(), nil
	case "stringSlice", "strings", "stringArray":
		return splitList(v), nil
	case "mapStringBool":
		m := map[string]any{}
		for _, kv := range splitList(v) {
			k, val, _ := strings.Cut(kv, "=")
			b, err := strconv.ParseBool(strings.TrimSpace(val))
			if err != nil {
				return nil, fmt.Errorf("%s: not a boolean", kv)
			}
			m[strings.TrimSpace(k)] = b
		}
		return m, nil
	case "mapStringString":
		m := map[string]any{}
		for _, kv := range splitList(v) {
			k, val, _ := strings.Cut(kv, "=")
			m[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
		return m, nil
	}
	return v, nil
}
