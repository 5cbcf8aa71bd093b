package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/node/componentdata"
)

// kubeletTestRelease is a release of the test's making, in the shape of the generated
// data: the kubelet's defaults with and without a config file, a few of its flags,
// and the field each sets. The kubelet tests below check how the layers are laid over
// each other, whatever the release.
func kubeletTestRelease() *componentdata.Release {
	flags := map[string]componentdata.Flag{
		"config":                            {Type: "string"},
		"config-dir":                        {Type: "string"},
		"kubeconfig":                        {Type: "string"},
		"hostname-override":                 {Type: "string"},
		"anonymous-auth":                    {Type: "bool", Default: "true"},
		"authorization-mode":                {Type: "string", Default: "AlwaysAllow"},
		"client-ca-file":                    {Type: "string"},
		"read-only-port":                    {Type: "int32", Default: "10255"},
		"feature-gates":                     {Type: "mapStringBool"},
		"streaming-connection-idle-timeout": {Type: "duration", Default: "4h0m0s"},
		"tls-cipher-suites":                 {Type: "stringSlice", Default: "[]"},
	}
	return &componentdata.Release{
		Version:    "v0.0.0-kubelet-test",
		Components: map[string]*componentdata.Component{Kubelet: {Flags: flags}},
		Kubelet: componentdata.Kubelet{
			ConfigDefaults: json.RawMessage(`{"authentication":{"anonymous":{"enabled":false},"webhook":{"enabled":true},"x509":{}},
				"authorization":{"mode":"Webhook"},"streamingConnectionIdleTimeout":"4h0m0s"}`),
			FlagDefaults: json.RawMessage(`{"authentication":{"anonymous":{"enabled":true},"webhook":{"enabled":false},"x509":{}},
				"authorization":{"mode":"AlwaysAllow"},"readOnlyPort":10255,"streamingConnectionIdleTimeout":"4h0m0s"}`),
			FlagFields: map[string]string{
				"anonymous-auth":                    "authentication.anonymous.enabled",
				"authorization-mode":                "authorization.mode",
				"client-ca-file":                    "authentication.x509.clientCAFile",
				"read-only-port":                    "readOnlyPort",
				"feature-gates":                     "featureGates",
				"streaming-connection-idle-timeout": "streamingConnectionIdleTimeout",
				"tls-cipher-suites":                 "tlsCipherSuites",
			},
		},
	}
}

// kubeletTestLoad loads a machine with one kubelet command line and the files given,
// the way Load does; rel nil is the release Load itself uses.
func kubeletTestLoad(t *testing.T, rel *componentdata.Release, cmdline string, files map[string]string) *Component {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		if strings.HasSuffix(p, "/") { // a directory
			if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		writeFile(t, root, p, content, 0o600)
	}
	cmdlines := filepath.Join(root, "cmdlines")
	writeFile(t, root, "cmdlines", cmdline+"\n", 0o600)
	var h *Host
	if rel == nil {
		var err error
		if h, err = Load(context.Background(), Options{Root: root, Cmdlines: cmdlines, NodeName: "node-1"}); err != nil {
			t.Fatal(err)
		}
	} else {
		procs, err := readCmdlines(cmdlines)
		if err != nil {
			t.Fatal(err)
		}
		l := &loader{root: root, host: &Host{Name: "node-1", Release: rel, Files: map[string]*File{}}}
		l.host.Layout = l.layout(Options{Layout: "kubeadm"})
		for _, p := range procs {
			l.addComponent(p)
		}
		l.readFiles()
		h = l.host
	}
	k := h.Component(Kubelet)
	if k == nil || k.Kubelet == nil {
		t.Fatalf("no kubelet configuration loaded from %q", cmdline)
	}
	return k
}

// kubeletTestFields read fields of the effective configuration for comparison.
var kubeletTestFields = map[string]func(k *KubeletConfig) string{
	"authentication.anonymous.enabled": func(k *KubeletConfig) string { return kubeletTestPtr(k.Authentication.Anonymous.Enabled) },
	"authorization.mode":               func(k *KubeletConfig) string { return string(k.Authorization.Mode) },
	"authentication.x509.clientCAFile": func(k *KubeletConfig) string { return k.Authentication.X509.ClientCAFile },
	"readOnlyPort":                     func(k *KubeletConfig) string { return fmt.Sprint(k.ReadOnlyPort) },
	"featureGates":                     func(k *KubeletConfig) string { return fmt.Sprint(k.FeatureGates) },
	"streamingConnectionIdleTimeout":   func(k *KubeletConfig) string { return k.StreamingConnectionIdleTimeout.Duration.String() },
	"tlsCipherSuites":                  func(k *KubeletConfig) string { return fmt.Sprint(k.TLSCipherSuites) },
	"podPidsLimit":                     func(k *KubeletConfig) string { return kubeletTestPtr(k.PodPidsLimit) },
	"eventRecordQPS":                   func(k *KubeletConfig) string { return kubeletTestPtr(k.EventRecordQPS) },
}

func kubeletTestPtr[T any](p *T) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

const (
	kubeletTestConfig  = "/var/lib/kubelet/config.yaml"
	kubeletTestDropIns = "/etc/kubernetes/kubelet.conf.d"
	// kubeletTestHeader is the first two lines of every config file below: fields
	// start on line 3.
	kubeletTestHeader = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
	kubeletTestCmd    = "kubelet --kubeconfig=/etc/kubernetes/kubelet.conf --config=" + kubeletTestConfig
)

// kubeletWant is one field of the effective configuration: its value and where it
// comes from (Where's words, and the file and line of its source; a file of "cmdlines"
// is the command-line file).
type kubeletWant struct {
	path, value, where, file string
	line                     int
}

// kubeletCases are kubelet command lines and files with the configuration the kubelet
// runs with; their files seed FuzzKubeletFile.
var kubeletCases = []struct {
	name    string
	cmdline string
	files   map[string]string
	want    []kubeletWant
}{
	{name: "defaults without --config are the command line's", cmdline: "kubelet --kubeconfig=/etc/kubernetes/kubelet.conf",
		want: []kubeletWant{
			{path: "authentication.anonymous.enabled", value: "true", where: "the default without --config", file: "cmdlines"},
			{path: "authorization.mode", value: "AlwaysAllow", where: "the default without --config", file: "cmdlines"},
			{path: "readOnlyPort", value: "10255", where: "the default without --config", file: "cmdlines"},
		}},
	{name: "defaults with --config are a config file's", cmdline: kubeletTestCmd,
		files: map[string]string{kubeletTestConfig: kubeletTestHeader},
		want: []kubeletWant{
			{path: "authentication.anonymous.enabled", value: "false", where: "the default with a config file", file: kubeletTestConfig},
			{path: "authorization.mode", value: "Webhook", where: "the default with a config file", file: kubeletTestConfig},
			{path: "readOnlyPort", value: "0", where: "the default with a config file", file: kubeletTestConfig},
		}},
	{name: "the file over the defaults", cmdline: kubeletTestCmd,
		files: map[string]string{kubeletTestConfig: kubeletTestHeader + "readOnlyPort: 10255\nauthentication:\n  x509:\n    clientCAFile: /pki/ca.crt\n"},
		want: []kubeletWant{
			{path: "readOnlyPort", value: "10255", where: "set in " + kubeletTestConfig, file: kubeletTestConfig, line: 3},
			{path: "authentication.x509.clientCAFile", value: "/pki/ca.crt", where: "set in " + kubeletTestConfig, file: kubeletTestConfig, line: 6},
			// A struct the file sets part of keeps the defaults of its other fields.
			{path: "authentication.anonymous.enabled", value: "false", where: "the default with a config file", file: kubeletTestConfig},
		}},
	{name: "drop-ins in lexical order over the file", cmdline: kubeletTestCmd + " --config-dir=" + kubeletTestDropIns,
		files: map[string]string{
			kubeletTestConfig:                      kubeletTestHeader + "readOnlyPort: 10255\n",
			kubeletTestDropIns + "/20-b.conf":      kubeletTestHeader + "readOnlyPort: 2\n",
			kubeletTestDropIns + "/10-a.conf":      kubeletTestHeader + "readOnlyPort: 1\nauthorization:\n  mode: AlwaysAllow\n",
			kubeletTestDropIns + "/30-c.conf.bak":  kubeletTestHeader + "readOnlyPort: 3\n",
			kubeletTestDropIns + "/README":         "drop-ins end in .conf\n",
			kubeletTestDropIns + "/00-first.yaml":  kubeletTestHeader + "readOnlyPort: 4\n",
			kubeletTestDropIns + "/15-middle.conf": kubeletTestHeader + "authentication:\n  anonymous:\n    enabled: true\n",
		},
		want: []kubeletWant{
			{path: "readOnlyPort", value: "2", where: "set in " + kubeletTestDropIns + "/20-b.conf", file: kubeletTestDropIns + "/20-b.conf", line: 3},
			{path: "authorization.mode", value: "AlwaysAllow", where: "set in " + kubeletTestDropIns + "/10-a.conf", file: kubeletTestDropIns + "/10-a.conf", line: 5},
			{path: "authentication.anonymous.enabled", value: "true", where: "set in " + kubeletTestDropIns + "/15-middle.conf", file: kubeletTestDropIns + "/15-middle.conf", line: 5},
		}},
	{name: "drop-ins without --config lie over the command line's defaults", cmdline: "kubelet --config-dir=" + kubeletTestDropIns,
		files: map[string]string{kubeletTestDropIns + "/10.conf": kubeletTestHeader + "readOnlyPort: 0\n"},
		want: []kubeletWant{
			{path: "readOnlyPort", value: "0", where: "set in " + kubeletTestDropIns + "/10.conf", file: kubeletTestDropIns + "/10.conf", line: 3},
			{path: "authentication.anonymous.enabled", value: "true", where: "the default without --config", file: "cmdlines"},
		}},
	{name: "flags over the file, both ways", cmdline: kubeletTestCmd + " --read-only-port=0 --anonymous-auth=true --authorization-mode Webhook",
		files: map[string]string{kubeletTestConfig: kubeletTestHeader + "readOnlyPort: 10255\nauthentication:\n  anonymous:\n    enabled: false\nauthorization:\n  mode: AlwaysAllow\n"},
		want: []kubeletWant{
			{path: "readOnlyPort", value: "0", where: "set by --read-only-port", file: "cmdlines"},
			{path: "authentication.anonymous.enabled", value: "true", where: "set by --anonymous-auth", file: "cmdlines"},
			{path: "authorization.mode", value: "Webhook", where: "set by --authorization-mode", file: "cmdlines"},
		}},
	{name: "flags over drop-ins", cmdline: kubeletTestCmd + " --config-dir=" + kubeletTestDropIns + " --client-ca-file=/pki/flag-ca.crt",
		files: map[string]string{
			kubeletTestConfig:                 kubeletTestHeader,
			kubeletTestDropIns + "/10-a.conf": kubeletTestHeader + "authentication:\n  x509:\n    clientCAFile: /pki/dropin-ca.crt\n",
		},
		want: []kubeletWant{
			{path: "authentication.x509.clientCAFile", value: "/pki/flag-ca.crt", where: "set by --client-ca-file", file: "cmdlines"},
		}},
	{name: "a flag the configuration has no field for changes nothing", cmdline: kubeletTestCmd + " --hostname-override=worker-7",
		files: map[string]string{kubeletTestConfig: kubeletTestHeader + "readOnlyPort: 10255\n"},
		want: []kubeletWant{
			{path: "readOnlyPort", value: "10255", where: "set in " + kubeletTestConfig, file: kubeletTestConfig, line: 3},
		}},
	{name: "--feature-gates merged into the file's featureGates", cmdline: kubeletTestCmd + " --feature-gates=B=false,C=true",
		files: map[string]string{kubeletTestConfig: kubeletTestHeader + "featureGates:\n  A: true\n  B: true\n"},
		want: []kubeletWant{
			{path: "featureGates", value: "map[A:true B:false C:true]", where: "set by --feature-gates", file: "cmdlines"},
		}},
	{name: "--feature-gates repeated accumulates", cmdline: "kubelet --feature-gates=A=true --feature-gates=B=false,A=false",
		want: []kubeletWant{
			{path: "featureGates", value: "map[A:false B:false]", where: "set by --feature-gates", file: "cmdlines"},
		}},
	{name: "duration and list flags", cmdline: kubeletTestCmd + " --streaming-connection-idle-timeout=5m --tls-cipher-suites=TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384",
		files: map[string]string{kubeletTestConfig: kubeletTestHeader + "streamingConnectionIdleTimeout: 0s\n"},
		want: []kubeletWant{
			{path: "streamingConnectionIdleTimeout", value: "5m0s", where: "set by --streaming-connection-idle-timeout", file: "cmdlines"},
			{path: "tlsCipherSuites", value: "[TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384]", where: "set by --tls-cipher-suites", file: "cmdlines"},
		}},
	// The kubelet takes only files for drop-ins (filepath.WalkDir, !info.IsDir()).
	{name: "a directory named .conf is not a drop-in", cmdline: kubeletTestCmd + " --config-dir=" + kubeletTestDropIns,
		files: map[string]string{
			kubeletTestConfig:                    kubeletTestHeader,
			kubeletTestDropIns + "/10-dir.conf/": "",
			kubeletTestDropIns + "/20.conf":      kubeletTestHeader + "readOnlyPort: 2\n",
		},
		want: []kubeletWant{
			{path: "readOnlyPort", value: "2", where: "set in " + kubeletTestDropIns + "/20.conf", file: kubeletTestDropIns + "/20.conf", line: 3},
		}},
	// The kubelet lays each drop-in over what comes before with a JSON merge patch
	// (mergeKubeletConfigurations), which merges maps key by key.
	{name: "a drop-in adds to the file's featureGates", cmdline: kubeletTestCmd + " --config-dir=" + kubeletTestDropIns,
		files: map[string]string{
			kubeletTestConfig:                 kubeletTestHeader + "featureGates:\n  A: true\n",
			kubeletTestDropIns + "/10-b.conf": kubeletTestHeader + "featureGates:\n  B: false\n",
		},
		want: []kubeletWant{
			{path: "featureGates", value: "map[A:true B:false]"},
		}},
	// The kubelet walks the drop-in directory with filepath.WalkDir: "All .conf files
	// in the directory and its subdirectories are processed in lexical order".
	{name: "a drop-in in a subdirectory", cmdline: kubeletTestCmd + " --config-dir=" + kubeletTestDropIns,
		files: map[string]string{
			kubeletTestConfig:                       kubeletTestHeader,
			kubeletTestDropIns + "/extra/50-x.conf": kubeletTestHeader + "readOnlyPort: 7\n",
		},
		want: []kubeletWant{
			{path: "readOnlyPort", value: "7", where: "set in " + kubeletTestDropIns + "/extra/50-x.conf", file: kubeletTestDropIns + "/extra/50-x.conf", line: 3},
		}},
}

func TestKubeletConfigLayers(t *testing.T) {
	for _, tc := range kubeletCases {
		t.Run(tc.name, func(t *testing.T) {
			c := kubeletTestLoad(t, kubeletTestRelease(), tc.cmdline, tc.files)
			k := c.Kubelet
			if len(k.Errors) > 0 {
				t.Fatalf("errors: %q", k.Errors)
			}
			for _, w := range tc.want {
				get, ok := kubeletTestFields[w.path]
				if !ok {
					t.Fatalf("no getter for %s", w.path)
				}
				if got := get(k); got != w.value {
					t.Errorf("%s = %s, want %s", w.path, got, w.value)
				}
				if w.where == "" {
					continue
				}
				where, src := k.Where(w.path, c)
				if where != w.where {
					t.Errorf("Where(%s) = %q, want %q", w.path, where, w.where)
				}
				wantFile := w.file
				if wantFile == "cmdlines" {
					wantFile = c.Origin.File
				}
				if src == nil || src.File != wantFile || (w.line != 0 && src.Line != w.line) {
					t.Errorf("Where(%s) source = %+v, want %s:%d", w.path, src, wantFile, w.line)
				}
			}
		})
	}
}

// TestKubeletConfigErrors checks configurations the kubelet would refuse to start
// with: the error says which file or flag, the inventory carries it, and the kubelet
// checks do not judge the defaults it would never run with.
func TestKubeletConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmdline string
		files   map[string]string
		want    string
	}{
		{name: "--config file missing", cmdline: kubeletTestCmd,
			want: "kubelet config " + kubeletTestConfig + ": not found"},
		{name: "not a KubeletConfiguration", cmdline: kubeletTestCmd,
			files: map[string]string{kubeletTestConfig: "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"},
			want:  `kubelet config ` + kubeletTestConfig + `: kind "KubeProxyConfiguration", want KubeletConfiguration`},
		{name: "not YAML", cmdline: kubeletTestCmd,
			files: map[string]string{kubeletTestConfig: kubeletTestHeader + "readOnlyPort: [\n"},
			want:  "kubelet config " + kubeletTestConfig + ": "},
		{name: "empty file", cmdline: kubeletTestCmd,
			files: map[string]string{kubeletTestConfig: ""},
			want:  "kubelet config " + kubeletTestConfig + ": "},
		{name: "a field of the wrong type", cmdline: kubeletTestCmd,
			files: map[string]string{kubeletTestConfig: kubeletTestHeader + "readOnlyPort: ten\n"},
			want:  "kubelet configuration: "},
		{name: "a drop-in of another kind", cmdline: kubeletTestCmd + " --config-dir=" + kubeletTestDropIns,
			files: map[string]string{kubeletTestConfig: kubeletTestHeader, kubeletTestDropIns + "/10.conf": "kind: Pod\n"},
			want:  "kubelet config " + kubeletTestDropIns + "/10.conf: kind \"Pod\""},
		{name: "a flag that is not a number", cmdline: kubeletTestCmd + " --read-only-port=ten",
			files: map[string]string{kubeletTestConfig: kubeletTestHeader},
			want:  "--read-only-port: "},
		{name: "a feature gate that is not a boolean", cmdline: kubeletTestCmd + " --feature-gates=A=maybe",
			files: map[string]string{kubeletTestConfig: kubeletTestHeader},
			want:  "--feature-gates: A=maybe: not a boolean"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := kubeletTestLoad(t, kubeletTestRelease(), tc.cmdline, tc.files)
			if len(c.Kubelet.Errors) != 1 || !strings.Contains(c.Kubelet.Errors[0], tc.want) {
				t.Fatalf("errors %q, want one containing %q", c.Kubelet.Errors, tc.want)
			}
			inv := c.Host.Inventory()
			found := false
			for _, err := range inv.Errors {
				found = found || strings.Contains(err.Error(), tc.want) && strings.HasSuffix(err.Error(), "(its configuration is not checked)")
			}
			if !found {
				t.Errorf("inventory errors %v, want the kubelet's", inv.Errors)
			}
			for _, id := range []string{"kubelet/anonymous-auth", "kubelet/read-only-port", "kubelet/authorization-always-allow"} {
				if fs := runRule(t, c.Host, ruleByID(t, id)); len(fs) > 0 {
					t.Errorf("%s judged a configuration the kubelet would not run:\n%s", id, describeFindings(fs))
				}
			}
		})
	}
}

// TestKubeletRelease137 checks the kubelet of the release Moat ships (Kubernetes
// 1.37): its two sets of defaults, and the fields of the flags the checks depend on.
func TestKubeletRelease137(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmdline string
		files   map[string]string
		want    map[string]string
	}{
		{name: "without --config", cmdline: "kubelet --kubeconfig=/etc/kubernetes/kubelet.conf",
			want: map[string]string{"authentication.anonymous.enabled": "true", "authorization.mode": "AlwaysAllow", "readOnlyPort": "10255",
				"podPidsLimit": "-1", "eventRecordQPS": "50", "streamingConnectionIdleTimeout": "4h0m0s"}},
		{name: "with --config", cmdline: kubeletTestCmd, files: map[string]string{kubeletTestConfig: kubeletTestHeader},
			want: map[string]string{"authentication.anonymous.enabled": "false", "authorization.mode": "Webhook", "readOnlyPort": "0",
				"podPidsLimit": "-1", "eventRecordQPS": "50", "streamingConnectionIdleTimeout": "4h0m0s"}},
		{name: "flags", cmdline: kubeletTestCmd + " --anonymous-auth=true --authorization-mode=AlwaysAllow --read-only-port=10255" +
			" --client-ca-file=/pki/ca.crt --pod-max-pids=4096 --event-qps=5 --feature-gates=B=false",
			files: map[string]string{kubeletTestConfig: kubeletTestHeader + "featureGates:\n  A: true\n"},
			want: map[string]string{"authentication.anonymous.enabled": "true", "authorization.mode": "AlwaysAllow", "readOnlyPort": "10255",
				"authentication.x509.clientCAFile": "/pki/ca.crt", "podPidsLimit": "4096", "eventRecordQPS": "5", "featureGates": "map[A:true B:false]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := kubeletTestLoad(t, nil, tc.cmdline, tc.files).Kubelet
			if len(k.Errors) > 0 {
				t.Fatalf("errors: %q", k.Errors)
			}
			for path, want := range tc.want {
				if got := kubeletTestFields[path](k); got != want {
					t.Errorf("%s = %s, want %s", path, got, want)
				}
			}
		})
	}
}

// TestKubeletFindingSource checks what a kubelet finding points at: the config file's
// line of the field, the flag, or the file for a default.
func TestKubeletFindingSource(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmdline string
		config  string
		file    string
		line    int
		message string
	}{
		{name: "set in the file", cmdline: kubeletTestCmd, config: kubeletTestHeader + "cgroupDriver: systemd\nreadOnlyPort: 10255\n",
			file: kubeletTestConfig, line: 4, message: "readOnlyPort: is 10255, open without authentication (set in " + kubeletTestConfig + ")"},
		// A command line from a --cmdlines file is on its line 1.
		{name: "set by a flag", cmdline: kubeletTestCmd + " --read-only-port=10255", config: kubeletTestHeader,
			file: "cmdlines", line: 1, message: "readOnlyPort: is 10255, open without authentication (set by --read-only-port)"},
		{name: "the default without --config", cmdline: "kubelet --kubeconfig=/etc/kubernetes/kubelet.conf",
			file: "cmdlines", line: 1, message: "readOnlyPort: is 10255, open without authentication (the default without --config)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			if tc.config != "" {
				files[kubeletTestConfig] = tc.config
			}
			c := kubeletTestLoad(t, kubeletTestRelease(), tc.cmdline, files)
			fs := runRule(t, c.Host, ruleByID(t, "kubelet/read-only-port"))
			if len(fs) != 1 {
				t.Fatalf("findings:\n%s", describeFindings(fs))
			}
			f := fs[0]
			want := tc.file
			if want == "cmdlines" {
				want = c.Origin.File
			}
			if f.Message != tc.message || f.Path != "readOnlyPort" || f.Source == nil || f.Source.File != want || f.Source.Line != tc.line {
				t.Errorf("finding %q at %s %+v; want %q at %s:%d", f.Message, f.Path, f.Source, tc.message, want, tc.line)
			}
		})
	}
}
