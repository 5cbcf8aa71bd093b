package node

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// etcdFlags are the etcd flags the checks read, with their types and defaults (etcd
// registers its flags with Go's flag package in etcdmain; this is the subset that
// matters for security, the same for etcd 3.4 to 3.6).
var etcdFlags = map[string]FlagType{
	"name":                               {Type: "string", Default: "default"},
	"data-dir":                           {Type: "string"},
	"config-file":                        {Type: "string"},
	"listen-client-urls":                 {Type: "string", Default: "http://localhost:2379"},
	"listen-peer-urls":                   {Type: "string", Default: "http://localhost:2380"},
	"listen-metrics-urls":                {Type: "string"},
	"cert-file":                          {Type: "string"},
	"key-file":                           {Type: "string"},
	"trusted-ca-file":                    {Type: "string"},
	"client-cert-auth":                   {Type: "bool", Default: "false"},
	"auto-tls":                           {Type: "bool", Default: "false"},
	"peer-cert-file":                     {Type: "string"},
	"peer-key-file":                      {Type: "string"},
	"peer-trusted-ca-file":               {Type: "string"},
	"peer-client-cert-auth":              {Type: "bool", Default: "false"},
	"peer-auto-tls":                      {Type: "bool", Default: "false"},
	"cipher-suites":                      {Type: "string"},
	"enable-pprof":                       {Type: "bool", Default: "false"},
	"debug":                              {Type: "bool", Default: "false"},
	"force-new-cluster":                  {Type: "bool", Default: "false"},
	"strict-reconfig-check":              {Type: "bool", Default: "true"},
	"enable-v2":                          {Type: "bool", Default: "false"},
	"enable-grpc-gateway":                {Type: "bool", Default: "true"},
	"experimental-initial-corrupt-check": {Type: "bool", Default: "false"},
}

func etcdSpec(name string) (FlagType, bool) {
	t, ok := etcdFlags[name]
	if !ok {
		// etcd has many more flags; an unknown one is read as a string.
		return FlagType{Type: "string"}, false
	}
	return t, true
}

// etcdConfigKeys maps the keys of etcd's --config-file (YAML) to the flags they stand
// for; the TLS settings sit in two nested sections.
var etcdConfigKeys = map[string]string{
	"client-transport-security.cert-file":        "cert-file",
	"client-transport-security.key-file":         "key-file",
	"client-transport-security.trusted-ca-file":  "trusted-ca-file",
	"client-transport-security.client-cert-auth": "client-cert-auth",
	"client-transport-security.auto-tls":         "auto-tls",
	"peer-transport-security.cert-file":          "peer-cert-file",
	"peer-transport-security.key-file":           "peer-key-file",
	"peer-transport-security.trusted-ca-file":    "peer-trusted-ca-file",
	"peer-transport-security.client-cert-auth":   "peer-client-cert-auth",
	"peer-transport-security.auto-tls":           "peer-auto-tls",
}

// etcdSettings reads etcd's settings the way etcd does: with --config-file, the file
// alone (etcd then ignores its other flags and the environment); without it, the
// command line, and for each flag not on it the ETCD_<FLAG> environment variable.
func etcdSettings(args []string, lines []int, env map[string]string, readFile func(string) ([]byte, error)) (*Flags, []string) {
	f := parseFlags(etcdSpec, args, lines, true)
	f.Unknown = nil // etcd has more flags than the checks know
	var warnings []string
	path, ok := f.Lookup("config-file")
	if !ok {
		path, ok = env["ETCD_CONFIG_FILE"]
	}
	if ok {
		cf := &Flags{spec: etcdSpec, values: map[string][]string{"config-file": {path}}, lines: map[string]int{}}
		data, err := readFile(path)
		if err != nil {
			return f, []string{fmt.Sprintf("etcd --config-file %s: %v; the checks read its flags instead", path, err)}
		}
		if err := etcdConfigFile(cf, data); err != nil {
			return f, []string{fmt.Sprintf("etcd --config-file %s: %v; the checks read its flags instead", path, err)}
		}
		return cf, nil
	}
	for k, v := range env {
		name, ok := strings.CutPrefix(k, "ETCD_")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		if !f.Set(name) {
			f.set(name, v, 0, false)
		}
	}
	return f, warnings
}

func etcdConfigFile(f *Flags, data []byte) error {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := prefix + k
			if sub, ok := v.(map[string]any); ok {
				walk(key+".", sub)
				continue
			}
			name := key
			if n, ok := etcdConfigKeys[key]; ok {
				name = n
			} else if strings.Contains(key, ".") || tlsFlag(key) {
				// The TLS settings exist only in their sections: etcd ignores them at
				// the top of the file.
				continue
			}
			f.set(name, fmt.Sprint(v), 0, false)
		}
	}
	walk("", doc)
	return nil
}

// tlsFlag says whether a flag is one of the TLS settings the config file keeps in its
// transport sections.
func tlsFlag(name string) bool {
	for _, f := range etcdConfigKeys {
		if f == name {
			return true
		}
	}
	return false
}
