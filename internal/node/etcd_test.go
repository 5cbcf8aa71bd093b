package node

import (
	"errors"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
)

// etcdTestFiles are the files etcdSettings may read, by path.
type etcdTestFiles map[string]string

func (m etcdTestFiles) read(p string) ([]byte, error) {
	if s, ok := m[p]; ok {
		return []byte(s), nil
	}
	return nil, fs.ErrNotExist
}

// etcdTestConfig is an etcd --config-file with TLS for clients and peers.
const etcdTestConfig = `name: cp-1
data-dir: /var/lib/etcd
listen-client-urls: https://127.0.0.1:2379
client-transport-security:
  cert-file: /pki/etcd/server.crt
  key-file: /pki/etcd/server.key
  trusted-ca-file: /pki/etcd/ca.crt
  client-cert-auth: true
  allowed-cn: apiserver
peer-transport-security:
  cert-file: /pki/etcd/peer.crt
  key-file: /pki/etcd/peer.key
  client-cert-auth: true
  auto-tls: false
cipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
enable-pprof: false
`

// etcdCases are etcd's command line, environment and files, and the settings etcd
// reads from them; their config files seed FuzzEtcdConfigFile.
var etcdCases = []struct {
	name  string
	args  []string
	env   map[string]string
	files etcdTestFiles
	// want are settings and their values; unset are settings that must not be given.
	want  map[string]string
	unset []string
	// warning is a part of the one warning expected, "" for none.
	warning string
}{
	{name: "flags", args: []string{"--client-cert-auth=true", "--cert-file", "/pki/server.crt", "-key-file=/pki/server.key"},
		want: map[string]string{"client-cert-auth": "true", "cert-file": "/pki/server.crt", "key-file": "/pki/server.key"}},
	{name: "bare boolean flag", args: []string{"--peer-client-cert-auth", "--name=cp-1"},
		want: map[string]string{"peer-client-cert-auth": "true", "name": "cp-1"}},
	{name: "an unknown flag is kept as a string", args: []string{"--log-level=debug", "--snapshot-count", "10000"},
		want: map[string]string{"log-level": "debug", "snapshot-count": "10000"}},
	{name: "environment where the flag is absent",
		args: []string{"--cert-file=/pki/server.crt"},
		env:  map[string]string{"ETCD_CLIENT_CERT_AUTH": "true", "ETCD_PEER_AUTO_TLS": "true", "ETCD_KEY_FILE": "/pki/server.key"},
		want: map[string]string{"cert-file": "/pki/server.crt", "client-cert-auth": "true", "peer-auto-tls": "true", "key-file": "/pki/server.key"}},
	{name: "a flag wins over the environment",
		args: []string{"--client-cert-auth=false", "--cert-file=/pki/flag.crt"},
		env:  map[string]string{"ETCD_CLIENT_CERT_AUTH": "true", "ETCD_CERT_FILE": "/pki/env.crt"},
		want: map[string]string{"client-cert-auth": "false", "cert-file": "/pki/flag.crt"}},
	{name: "variables without the ETCD_ prefix are not settings",
		env:   map[string]string{"CLIENT_CERT_AUTH": "true", "etcd_auto_tls": "true"},
		unset: []string{"client-cert-auth", "auto-tls"}},
	{name: "config file: flags and environment are ignored",
		args:  []string{"--config-file=/etc/etcd/etcd.yaml", "--client-cert-auth=false", "--auto-tls"},
		env:   map[string]string{"ETCD_PEER_AUTO_TLS": "true", "ETCD_ENABLE_PPROF": "true"},
		files: etcdTestFiles{"/etc/etcd/etcd.yaml": etcdTestConfig},
		want: map[string]string{
			"config-file":      "/etc/etcd/etcd.yaml",
			"client-cert-auth": "true", "cert-file": "/pki/etcd/server.crt", "key-file": "/pki/etcd/server.key",
			"trusted-ca-file":       "/pki/etcd/ca.crt",
			"peer-client-cert-auth": "true", "peer-cert-file": "/pki/etcd/peer.crt", "peer-key-file": "/pki/etcd/peer.key",
			"peer-auto-tls": "false", "enable-pprof": "false", "name": "cp-1", "listen-client-urls": "https://127.0.0.1:2379",
		},
		unset: []string{"auto-tls", "peer-trusted-ca-file", "allowed-cn", "client-transport-security.allowed-cn"}},
	{name: "config file: nested sections map to their flags",
		args: []string{"--config-file=/c.yaml"},
		files: etcdTestFiles{"/c.yaml": "client-transport-security:\n  auto-tls: true\n" +
			"peer-transport-security:\n  trusted-ca-file: /pki/peer-ca.crt\n  auto-tls: true\n"},
		want:  map[string]string{"auto-tls": "true", "peer-auto-tls": "true", "peer-trusted-ca-file": "/pki/peer-ca.crt"},
		unset: []string{"client-cert-auth", "trusted-ca-file", "cert-file"}},
	// etcd decodes client-cert-auth, cert-file and the other TLS keys only under
	// client-transport-security and peer-transport-security (embed.configJSON): at
	// the top of the file they match no field and are ignored.
	{name: "config file: TLS keys at the top level are ignored",
		args:  []string{"--config-file=/c.yaml"},
		files: etcdTestFiles{"/c.yaml": "client-cert-auth: true\ncert-file: /pki/server.crt\nkey-file: /pki/server.key\npeer-client-cert-auth: true\nauto-tls: true\n"},
		unset: []string{"client-cert-auth", "cert-file", "key-file", "peer-client-cert-auth", "auto-tls"}},
	// etcd reads ETCD_CONFIG_FILE when --config-file is not given (etcdmain's
	// config.parse), and then ignores its flags and environment like with the flag.
	{name: "config file named by ETCD_CONFIG_FILE",
		args:  []string{"--client-cert-auth=false"},
		env:   map[string]string{"ETCD_CONFIG_FILE": "/etc/etcd/etcd.yaml", "ETCD_AUTO_TLS": "true"},
		files: etcdTestFiles{"/etc/etcd/etcd.yaml": etcdTestConfig},
		want:  map[string]string{"client-cert-auth": "true", "cert-file": "/pki/etcd/server.crt"},
		unset: []string{"auto-tls"}},
	{name: "config file missing: the flags are read, with a warning",
		args:    []string{"--config-file=/missing.yaml", "--client-cert-auth=true"},
		want:    map[string]string{"client-cert-auth": "true", "config-file": "/missing.yaml"},
		warning: "etcd --config-file /missing.yaml: file does not exist"},
	{name: "config file not YAML: the flags are read, with a warning",
		args:    []string{"--config-file=/bad.yaml", "--cert-file=/pki/server.crt"},
		files:   etcdTestFiles{"/bad.yaml": "client-transport-security: [unclosed\n"},
		want:    map[string]string{"cert-file": "/pki/server.crt"},
		warning: "etcd --config-file /bad.yaml:"},
}

func TestEtcdSettings(t *testing.T) {
	for _, tc := range etcdCases {
		t.Run(tc.name, func(t *testing.T) {
			f, warnings := etcdSettings(tc.args, nil, tc.env, tc.files.read)
			for name, want := range tc.want {
				if got, ok := f.Lookup(name); !ok || got != want {
					t.Errorf("%s = %q (given: %t), want %q", name, got, ok, want)
				}
			}
			for _, name := range tc.unset {
				if got, ok := f.Lookup(name); ok {
					t.Errorf("%s = %q, want it not given", name, got)
				}
			}
			switch {
			case tc.warning == "" && len(warnings) > 0:
				t.Errorf("unexpected warnings %q", warnings)
			case tc.warning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.warning)):
				t.Errorf("warnings %q, want one containing %q", warnings, tc.warning)
			}
			if len(f.Unknown) > 0 {
				t.Errorf("Unknown = %q: etcd has more flags than Moat knows, none is reported", f.Unknown)
			}
		})
	}
}

// TestEtcdDefaults checks the defaults of the settings the checks read when nothing
// gives them.
func TestEtcdDefaults(t *testing.T) {
	f, _ := etcdSettings(nil, nil, nil, etcdTestFiles{}.read)
	for name, want := range map[string]bool{
		"client-cert-auth": false, "peer-client-cert-auth": false, "auto-tls": false, "peer-auto-tls": false,
		"strict-reconfig-check": true, "enable-pprof": false,
	} {
		got, err := f.Bool(name)
		if err != nil || got != want {
			t.Errorf("Bool(%q) = %t, %v; want %t", name, got, err, want)
		}
	}
	if got := f.Value("listen-client-urls"); got != "http://localhost:2379" {
		t.Errorf("listen-client-urls = %q", got)
	}
	if len(f.Names()) != 0 {
		t.Errorf("nothing given, yet Names() = %q", f.Names())
	}
}

// TestEtcdConfigFileReadOnce checks that etcdSettings reads only the config file,
// and only when one is named.
func TestEtcdConfigFileReadOnce(t *testing.T) {
	var read []string
	reader := func(p string) ([]byte, error) {
		read = append(read, p)
		return nil, errors.New("denied")
	}
	etcdSettings([]string{"--cert-file=/a"}, nil, map[string]string{"ETCD_KEY_FILE": "/b"}, reader)
	if len(read) != 0 {
		t.Errorf("read %q without a config file", read)
	}
	_, warns := etcdSettings([]string{"--config-file=/etc/etcd.yaml"}, nil, nil, reader)
	if !slices.Equal(read, []string{"/etc/etcd.yaml"}) {
		t.Errorf("read %q, want the config file once", read)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "denied") {
		t.Errorf("warnings %q, want the read error", warns)
	}
}

// TestEtcdEnvFromProc checks the environment Load keeps for etcd: its ETCD_
// variables only (the rest may hold credentials), and none for other components.
func TestEtcdEnvFromProc(t *testing.T) {
	proc := procTestDir(t, map[int]procTestProcess{
		10: {argv: []string{"etcd", "--cert-file=/pki/server.crt"},
			environ: []string{"ETCD_CLIENT_CERT_AUTH=true", "ETCD_CERT_FILE=/pki/env.crt", "AWS_SECRET_ACCESS_KEY=hunter2", "PATH=/bin", "ETCD_EMPTY="}},
		11: {argv: []string{"kube-apiserver", "--etcd-servers=https://127.0.0.1:2379"},
			environ: []string{"ETCD_CLIENT_CERT_AUTH=false", "TOKEN=secret"}},
	})
	h := loadTestProc(t, Options{Proc: proc})
	etcd, api := h.Component(Etcd), h.Component(APIServer)
	if etcd == nil || api == nil {
		t.Fatalf("components %v", h.Components)
	}
	if want := map[string]string{"ETCD_CLIENT_CERT_AUTH": "true", "ETCD_CERT_FILE": "/pki/env.crt", "ETCD_EMPTY": ""}; !maps.Equal(etcd.Env, want) {
		t.Errorf("etcd Env = %v, want %v", etcd.Env, want)
	}
	if api.Env != nil {
		t.Errorf("kube-apiserver Env = %v, want none kept", api.Env)
	}
	if v, _ := etcd.Flags.Lookup("client-cert-auth"); v != "true" {
		t.Errorf("client-cert-auth = %q, want true from ETCD_CLIENT_CERT_AUTH", v)
	}
	if v, _ := etcd.Flags.Lookup("cert-file"); v != "/pki/server.crt" {
		t.Errorf("cert-file = %q, want the flag's value over ETCD_CERT_FILE", v)
	}
	fs := runRule(t, h, ruleByID(t, "etcd/client-cert-auth"))
	if len(fs) != 0 {
		t.Errorf("etcd/client-cert-auth with ETCD_CLIENT_CERT_AUTH=true: %s", describeFindings(fs))
	}
}
