package node

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/rule"
)

// procTestProcess is one process of a fake proc file system.
type procTestProcess struct {
	argv    []string
	environ []string
}

// procTestDir builds a proc file system: a directory per pid with cmdline and
// environ NUL-separated as the kernel writes them, beside entries that are not
// processes (self, sys, a file) and a kernel thread (empty cmdline).
func procTestDir(t *testing.T, procs map[int]procTestProcess) string {
	t.Helper()
	dir := t.TempDir()
	nul := func(ss []string) string {
		if len(ss) == 0 {
			return ""
		}
		return strings.Join(ss, "\x00") + "\x00"
	}
	for pid, p := range procs {
		writeFile(t, dir, strconv.Itoa(pid)+"/cmdline", nul(p.argv), 0o444)
		writeFile(t, dir, strconv.Itoa(pid)+"/environ", nul(p.environ), 0o400)
	}
	writeFile(t, dir, "2/cmdline", "", 0o444) // kthreadd
	writeFile(t, dir, "self/cmdline", "kube-apiserver\x00--from-self\x00", 0o444)
	writeFile(t, dir, "sys/kernel/hostname", "x", 0o444)
	writeFile(t, dir, "uptime", "1.0 1.0", 0o444)
	return dir
}

// loadTestProc loads a machine with Root a fresh empty directory unless opt names one.
func loadTestProc(t *testing.T, opt Options) *Host {
	t.Helper()
	if opt.Root == "" {
		opt.Root = t.TempDir()
	}
	if opt.NodeName == "" {
		opt.NodeName = "node-1"
	}
	h, err := Load(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func ruleByID(t *testing.T, id string) *rule.Rule {
	t.Helper()
	r := rule.Get(id)
	if r == nil {
		t.Fatalf("rule %s is not registered", id)
	}
	return r
}

// loadTestManifest is kube-apiserver's static pod manifest of the tests; its
// arguments are on lines 9 to 11.
const loadTestManifest = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --anonymous-auth=true
    - --profiling=false
    image: registry.k8s.io/kube-apiserver:v1.37.2
    name: kube-apiserver
`

func TestLoadProc(t *testing.T) {
	all := map[int]procTestProcess{
		101: {argv: []string{"/usr/local/bin/kube-apiserver", "--anonymous-auth=false"}},
		102: {argv: []string{"kube-controller-manager", "--profiling=false"}},
		103: {argv: []string{"/usr/bin/kube-scheduler", "--bind-address=127.0.0.1"}},
		104: {argv: []string{"etcd", "--client-cert-auth=true"}, environ: []string{"ETCD_NAME=cp-1"}},
		105: {argv: []string{"/usr/bin/kubelet", "--hostname-override=worker-7"}},
		106: {argv: []string{"kube-proxy", "--hostname-override=worker-7"}},
		107: {argv: []string{"/bin/bash", "-c", "kube-apiserver --anonymous-auth=true"}},
		108: {argv: []string{"/usr/bin/containerd"}},
	}
	type want struct {
		kind string
		pid  int
		args []string
	}
	for _, tc := range []struct {
		name     string
		procs    map[int]procTestProcess
		pids     []int
		want     []want
		warnings []string
	}{
		{name: "each component by its program's name, in the benchmark's order", procs: all,
			want: []want{
				{APIServer, 101, []string{"--anonymous-auth=false"}},
				{ControllerManager, 102, []string{"--profiling=false"}},
				{Scheduler, 103, []string{"--bind-address=127.0.0.1"}},
				{Etcd, 104, []string{"--client-cert-auth=true"}},
				{Kubelet, 105, []string{"--hostname-override=worker-7"}},
				{KubeProxy, 106, []string{"--hostname-override=worker-7"}},
			}},
		{name: "only the processes asked for", procs: all, pids: []int{103, 108},
			want: []want{{Scheduler, 103, []string{"--bind-address=127.0.0.1"}}}},
		{name: "hyperkube runs the component named after it",
			procs: map[int]procTestProcess{300: {argv: []string{"/hyperkube", "kube-controller-manager", "--use-service-account-credentials"}}},
			want:  []want{{ControllerManager, 300, []string{"--use-service-account-credentials"}}}},
		{name: "hyperkube alone is not a component",
			procs: map[int]procTestProcess{300: {argv: []string{"/hyperkube"}}}},
		{name: "two API servers: the first is checked, with a warning",
			procs: map[int]procTestProcess{
				100: {argv: []string{"kube-apiserver", "--secure-port=6443"}},
				200: {argv: []string{"kube-apiserver", "--secure-port=7443"}},
			},
			want:     []want{{APIServer, 100, []string{"--secure-port=6443"}}},
			warnings: []string{"kube-apiserver: more than one process (pid 100 and 200); checking the first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proc := procTestDir(t, tc.procs)
			h := loadTestProc(t, Options{Proc: proc, PIDs: tc.pids})
			var got []want
			for _, c := range h.Components {
				got = append(got, want{c.Kind, c.PID, c.Args})
				if wantOrigin := filepath.Join(proc, strconv.Itoa(c.PID), "cmdline"); c.Origin.File != wantOrigin || c.Origin.Line != 0 {
					t.Errorf("%s: origin %+v, want %s", c.Kind, c.Origin, wantOrigin)
				}
				if c.Host != h {
					t.Errorf("%s: Host not set", c.Kind)
				}
			}
			if !slices.EqualFunc(got, tc.want, func(a, b want) bool {
				return a.kind == b.kind && a.pid == b.pid && slices.Equal(a.args, b.args)
			}) {
				t.Errorf("components %v, want %v", got, tc.want)
			}
			for _, w := range tc.warnings {
				if !slices.Contains(h.Warnings, w) {
					t.Errorf("warnings %q, want %q among them", h.Warnings, w)
				}
			}
		})
	}
}

// TestLoadProcMatchesManifest checks that a process running its static pod's command
// line is reported at the manifest's lines, which is what a person edits, and one
// that does not at /proc.
func TestLoadProcMatchesManifest(t *testing.T) {
	for _, tc := range []struct {
		name     string
		argv     []string
		wantFile string
		wantLine int
	}{
		{name: "same command line", argv: []string{"kube-apiserver", "--anonymous-auth=true", "--profiling=false"},
			wantFile: "/etc/kubernetes/manifests/kube-apiserver.yaml", wantLine: 10},
		{name: "the program's path differs, the arguments are the same", argv: []string{"/usr/local/bin/kube-apiserver", "--anonymous-auth=true", "--profiling=false"},
			wantFile: "/etc/kubernetes/manifests/kube-apiserver.yaml", wantLine: 10},
		{name: "different arguments: the manifest was changed since", argv: []string{"kube-apiserver", "--anonymous-auth=true"},
			wantFile: "cmdline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeFile(t, root, "/etc/kubernetes/manifests/kube-apiserver.yaml", loadTestManifest, 0o600)
			h := loadTestProc(t, Options{Root: root, Proc: procTestDir(t, map[int]procTestProcess{42: {argv: tc.argv}})})
			api := h.Component(APIServer)
			if api == nil {
				t.Fatal("no API server")
			}
			src := api.FlagSource("anonymous-auth")
			if src == nil || !strings.HasSuffix(src.File, tc.wantFile) || src.Line != tc.wantLine {
				t.Errorf("FlagSource = %+v, want %s:%d", src, tc.wantFile, tc.wantLine)
			}
		})
	}
}

func TestLoadCmdlines(t *testing.T) {
	dir := t.TempDir()
	cmdlines := filepath.Join(dir, "cmdlines")
	writeFile(t, dir, "cmdlines", `# ps -eo args on cp-1
/usr/bin/containerd

kube-apiserver --anonymous-auth=false "--admission-control-config-file=/etc/kubernetes/admission config.yaml"
  /usr/local/bin/hyperkube kube-scheduler --profiling=true
sh -c 'etcd --auto-tls'
`, 0o600)
	h := loadTestProc(t, Options{Cmdlines: cmdlines})
	if len(h.Components) != 2 {
		t.Fatalf("components %v, want the API server and the scheduler", h.Components)
	}
	api, sched := h.Component(APIServer), h.Component(Scheduler)
	if api == nil || sched == nil {
		t.Fatalf("components %v", h.Components)
	}
	if want := []string{"--anonymous-auth=false", "--admission-control-config-file=/etc/kubernetes/admission config.yaml"}; !slices.Equal(api.Args, want) {
		t.Errorf("API server args %q, want %q", api.Args, want)
	}
	if want := []string{"--profiling=true"}; !slices.Equal(sched.Args, want) {
		t.Errorf("scheduler args %q, want %q", sched.Args, want)
	}
	for _, tc := range []struct {
		c    *Component
		line int
	}{{api, 4}, {sched, 5}} {
		if tc.c.Origin.File != cmdlines || tc.c.Origin.Line != tc.line {
			t.Errorf("%s: origin %+v, want %s:%d", tc.c.Kind, tc.c.Origin, cmdlines, tc.line)
		}
		if tc.c.PID != 0 {
			t.Errorf("%s: PID %d, want 0 for a command line from a file", tc.c.Kind, tc.c.PID)
		}
	}
}

// TestLoadCmdlinesFindingLine checks that a finding about a command line read from a
// --cmdlines file points at its line there: a flag has no line of its own, and the
// command line's line is the closest a person can be pointed to.
func TestLoadCmdlinesFindingLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "cmdlines", "# cp-1\nkube-controller-manager --bind-address=127.0.0.1\nkube-scheduler --bind-address=0.0.0.0\n", 0o600)
	h := loadTestProc(t, Options{Cmdlines: filepath.Join(dir, "cmdlines")})
	fs := runRule(t, h, ruleByID(t, "scheduler/bind-address"))
	if len(fs) != 1 {
		t.Fatalf("findings:\n%s", describeFindings(fs))
	}
	if src := fs[0].Source; src == nil || src.File != filepath.Join(dir, "cmdlines") || src.Line != 3 {
		t.Errorf("source %+v, want %s:3", src, filepath.Join(dir, "cmdlines"))
	}
	if sched := h.Component(Scheduler); sched.FlagSource("") == nil || sched.FlagSource("").Line != 3 {
		t.Errorf("FlagSource(\"\") = %+v, want line 3", sched.FlagSource(""))
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "cmdlines", "kube-apiserver --a=b\n\nkubelet --node-labels='a=b\n", 0o600)
	writeFile(t, dir, "a-file", "", 0o600)
	for _, tc := range []struct {
		name string
		opt  Options
		want string
	}{
		{name: "unterminated quote names file and line", opt: Options{Root: dir, Cmdlines: filepath.Join(dir, "cmdlines")},
			want: filepath.Join(dir, "cmdlines") + ":3: unterminated quote"},
		{name: "missing cmdlines file", opt: Options{Root: dir, Cmdlines: filepath.Join(dir, "none")}, want: "--cmdlines " + filepath.Join(dir, "none")},
		{name: "missing proc", opt: Options{Root: dir, Proc: filepath.Join(dir, "none")}, want: "--proc " + filepath.Join(dir, "none")},
		{name: "root is a file", opt: Options{Root: filepath.Join(dir, "a-file")}, want: "not a directory"},
		{name: "root is missing", opt: Options{Root: filepath.Join(dir, "none")}, want: "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(context.Background(), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		proc := procTestDir(t, map[int]procTestProcess{5: {argv: []string{"etcd"}}})
		if _, err := Load(ctx, Options{Root: dir, Proc: proc}); err == nil {
			t.Error("Load with a cancelled context succeeded")
		}
	})
}

// TestLoadStaticPods checks a copy of a node's files without command lines: the
// control plane's command lines come from the static pod manifests, with a line per
// argument, and the kubelet from the layout's config file.
func TestLoadStaticPods(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "/etc/kubernetes/manifests/kube-apiserver.yaml", loadTestManifest, 0o600)
	writeFile(t, root, "/etc/kubernetes/manifests/kube-scheduler.yaml", // names the wrong program: not the scheduler's
		"spec:\n  containers:\n  - command: [etcd, --auto-tls]\n", 0o600)
	writeFile(t, root, "/etc/kubernetes/manifests/etcd.yaml", "spec: [\n", 0o600)
	writeFile(t, root, "/var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 10255\n", 0o600)
	h := loadTestProc(t, Options{Root: root})
	var kinds []string
	for _, c := range h.Components {
		kinds = append(kinds, c.Kind)
	}
	if want := []string{APIServer, Kubelet}; !slices.Equal(kinds, want) {
		t.Fatalf("components %q, want %q", kinds, want)
	}
	api := h.Component(APIServer)
	if src := api.FlagSource("profiling"); src == nil || src.File != "/etc/kubernetes/manifests/kube-apiserver.yaml" || src.Line != 11 {
		t.Errorf("profiling source %+v, want the manifest's line 11", src)
	}
	kubelet := h.Component(Kubelet)
	if v, _ := kubelet.Flags.Lookup("config"); v != "/var/lib/kubelet/config.yaml" {
		t.Errorf("kubelet --config = %q", v)
	}
	if kubelet.Kubelet == nil || kubelet.Kubelet.ReadOnlyPort != 10255 {
		t.Errorf("kubelet config not read: %+v", kubelet.Kubelet)
	}
	warned := func(part string) bool {
		return slices.ContainsFunc(h.Warnings, func(w string) bool { return strings.Contains(w, part) })
	}
	if !warned("kubelet: no command line given") {
		t.Errorf("warnings %q, want one saying the kubelet's command line is assumed", h.Warnings)
	}
	if !warned("/etc/kubernetes/manifests/etcd.yaml") {
		t.Errorf("warnings %q, want one naming the unreadable etcd manifest", h.Warnings)
	}
}

func TestLoadNodeName(t *testing.T) {
	for _, tc := range []struct {
		name, given, cmdline, hostname, want string
	}{
		{name: "given", given: "cp-9", cmdline: "kubelet --hostname-override=worker-7", hostname: "host-1\n", want: "cp-9"},
		{name: "the kubelet's --hostname-override", cmdline: "kubelet --hostname-override=worker-7", hostname: "host-1\n", want: "worker-7"},
		{name: "the root's /etc/hostname", cmdline: "kubelet --v=2", hostname: "host-1\n", want: "host-1"},
		{name: "none: node", cmdline: "kube-proxy --v=2", want: "node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if tc.hostname != "" {
				writeFile(t, root, "/etc/hostname", tc.hostname, 0o644)
			}
			writeFile(t, root, "/cmdlines", tc.cmdline+"\n", 0o600)
			h, err := Load(context.Background(), Options{Root: root, Cmdlines: filepath.Join(root, "cmdlines"), NodeName: tc.given})
			if err != nil {
				t.Fatal(err)
			}
			if h.Name != tc.want {
				t.Errorf("Name = %q, want %q", h.Name, tc.want)
			}
		})
	}
}

// TestLoadFilesNamedByFlags checks which files a component's flags make Load
// examine: absolute paths of flags that name files, configuration and certificates
// with their content, keys without it.
func TestLoadFilesNamedByFlags(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "/pki/ca.crt", "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n", 0o644)
	writeFile(t, root, "/pki/apiserver.key", "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n", 0o600)
	writeFile(t, root, "/pki/sa.key", "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n", 0o600)
	writeFile(t, root, "/cmdlines", "kube-apiserver --client-ca-file=/pki/ca.crt --tls-private-key-file=/pki/apiserver.key "+
		"--service-account-key-file=pki/sa.key --audit-policy-file=/missing.yaml --profiling=false\n", 0o600)
	h := loadTestProc(t, Options{Root: root, Cmdlines: filepath.Join(root, "cmdlines")})
	for _, tc := range []struct {
		path            string
		examined, exist bool
		content         bool
	}{
		{path: "/pki/ca.crt", examined: true, exist: true, content: true},
		{path: "/pki/apiserver.key", examined: true, exist: true},
		{path: "/missing.yaml", examined: true},
		{path: "pki/sa.key"}, // relative: where it points depends on the process's working directory
	} {
		f := h.File(tc.path)
		switch {
		case (f != nil) != tc.examined:
			t.Errorf("%s: examined %t, want %t", tc.path, f != nil, tc.examined)
		case f == nil:
		case f.Exists != tc.exist || (f.Content != nil) != tc.content:
			t.Errorf("%s: exists %t, content %t; want %t, %t", tc.path, f.Exists, f.Content != nil, tc.exist, tc.content)
		}
	}
}

// manifestCases are static pod manifests and the command line each runs; they seed
// FuzzManifestCommand.
var manifestCases = []struct {
	name      string
	manifest  string
	argv      []string
	lines     []int
	errorPart string
}{
	{name: "command", manifest: loadTestManifest,
		argv: []string{"kube-apiserver", "--anonymous-auth=true", "--profiling=false"}, lines: []int{9, 10, 11}},
	{name: "command and args", manifest: "spec:\n  containers:\n  - name: etcd\n    command:\n    - etcd\n    args:\n    - --name=cp-1\n    - --data-dir\n    - /var/lib/etcd\n",
		argv: []string{"etcd", "--name=cp-1", "--data-dir", "/var/lib/etcd"}, lines: []int{5, 7, 8, 9}},
	{name: "flow sequence on one line", manifest: "spec:\n  containers:\n  - command: [kube-scheduler, '--bind-address=127.0.0.1']\n",
		argv: []string{"kube-scheduler", "--bind-address=127.0.0.1"}, lines: []int{3, 3}},
	{name: "block scalar argument", manifest: "spec:\n  containers:\n  - command:\n    - kube-apiserver\n    - >-\n      --audit-log-path=/var/log/audit.log\n",
		argv: []string{"kube-apiserver", "--audit-log-path=/var/log/audit.log"}, lines: []int{4, 5}},
	{name: "only the first container", manifest: "spec:\n  containers:\n  - command: [kube-apiserver]\n  - command: [sidecar, --x]\n",
		argv: []string{"kube-apiserver"}, lines: []int{3}},
	{name: "only the first document", manifest: "spec:\n  containers:\n  - command: [etcd]\n---\nspec:\n  containers:\n  - command: [kube-apiserver]\n",
		argv: []string{"etcd"}, lines: []int{3}},
	{name: "not YAML", manifest: "spec: [\n", errorPart: "yaml"},
	{name: "empty", manifest: "", errorPart: "empty manifest"},
	{name: "not a pod", manifest: "- a\n- b\n", errorPart: "spec.containers: missing"},
	{name: "no containers", manifest: "spec:\n  volumes: []\n", errorPart: "spec.containers: missing"},
	{name: "containers not a list", manifest: "spec:\n  containers: {command: [etcd]}\n", errorPart: "spec.containers: missing"},
	{name: "empty container list", manifest: "spec:\n  containers: []\n", errorPart: "spec.containers: missing"},
	{name: "no command", manifest: "spec:\n  containers:\n  - image: etcd\n    command: etcd\n", errorPart: "spec.containers[0]: no command"},
}

func TestManifestCommand(t *testing.T) {
	for _, tc := range manifestCases {
		t.Run(tc.name, func(t *testing.T) {
			argv, lines, err := manifestCommand([]byte(tc.manifest))
			if tc.errorPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errorPart) {
					t.Fatalf("err = %v, want %q", err, tc.errorPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(argv, tc.argv) || !slices.Equal(lines, tc.lines) {
				t.Errorf("got %q at lines %v, want %q at %v", argv, lines, tc.argv, tc.lines)
			}
		})
	}
}
