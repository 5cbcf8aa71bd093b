package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"

	"github.com/moat-dev/moat/internal/node/componentdata"
)

// Options say where Load reads a machine.
type Options struct {
	// Root is the machine's root directory: "/" on the node, the host's root mounted
	// into a pod (/host), or a copy of a node's files. Every path a component names is
	// read beneath it, and symbolic links cannot lead out of it.
	Root string
	// Proc is the proc file system the processes are found in ("/proc"); empty with
	// Cmdlines set, or when neither is wanted.
	Proc string
	// Cmdlines is a file of command lines, one per line (as `ps -eo args` prints them),
	// read instead of Proc: for a copy of a node's files.
	Cmdlines string
	// PIDs, when set, limits the processes to these.
	PIDs []int
	// NodeName names the node in findings; default: the kubelet's --hostname-override,
	// else Root's /etc/hostname, else the hostname.
	NodeName string
	// Release is the Kubernetes release whose defaults apply ("1.37"); default: the
	// newest Moat ships.
	Release string
	// Layout is "kubeadm", "rke2" or "k3s"; default: detected.
	Layout string
	// Paths replace the layout's paths where set.
	Paths Layout
}

// Limits bound what Load reads: a file larger than MaxFileBytes is examined (mode,
// owner) but not read, a directory walk stops after MaxDirEntries.
const (
	MaxFileBytes   = 1 << 20
	MaxDirEntries  = 10000
	maxCmdlineSize = 1 << 20
)

// Load reads the machine: the component processes, their command lines and the files
// those and the benchmark name. Errors that stop one part (an unreadable file) become
// the Host's warnings or a File's Err; the error returned is for what stops it all.
func Load(ctx context.Context, opt Options) (*Host, error) {
	if opt.Root == "" {
		opt.Root = "/"
	}
	root, err := filepath.Abs(opt.Root)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--root %s: not a directory", opt.Root)
	}
	rel := componentdata.Latest()
	if opt.Release != "" {
		if rel, err = componentdata.Load(opt.Release); err != nil {
			return nil, err
		}
	}
	l := &loader{root: root, host: &Host{Release: rel, Files: map[string]*File{}}}
	l.host.Layout = l.layout(opt)
	l.host.Users, l.host.Groups = l.ids("/etc/passwd"), l.ids("/etc/group")

	var procs []process
	switch {
	case opt.Cmdlines != "":
		procs, err = readCmdlines(opt.Cmdlines)
	case opt.Proc != "":
		procs, err = readProc(ctx, opt.Proc, opt.PIDs)
	}
	if errors.Is(err, errK3s) {
		l.warn("%v", err)
		procs, err = l.k3sComponents(), nil
	}
	if err != nil {
		return nil, err
	}
	if len(procs) == 0 && opt.Proc == "" && opt.Cmdlines == "" {
		procs = l.staticPods()
	}
	for _, p := range procs {
		l.addComponent(p)
		if p.envErr != "" {
			l.warn("%s: environment not readable (%s): its ETCD_* settings are not known", p.program, p.envErr)
		}
	}
	l.host.Name = l.nodeName(opt.NodeName)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.readFiles()
	return l.host, ctx.Err()
}

type loader struct {
	root string
	host *Host
}

// process is one command line and where it was read.
type process struct {
	pid     int
	argv    []string
	env     map[string]string
	origin  string // /proc/PID/cmdline, or FILE
	line    int    // the line of FILE
	lines   []int  // per argument, for static pod manifests
	program string // the component, from argv
	envErr  string // why the environment could not be read
	// argsUnknown: a component known to run whose command line cannot be seen (k3s).
	argsUnknown bool
}

// k3sComponents stand for the components a k3s process runs, with unknown command
// lines: the checks of their files run (on the k3s layout's paths), those of their flags
// and configuration do not.
func (l *loader) k3sComponents() []process {
	kinds := []string{Kubelet}
	if l.exists("/var/lib/rancher/k3s/server") {
		kinds = []string{APIServer, ControllerManager, Scheduler, Kubelet}
		if l.exists(l.host.Layout.EtcdDataDir) {
			kinds = append(kinds, Etcd)
		}
	}
	var out []process
	for _, k := range kinds {
		out = append(out, process{argv: []string{k}, program: k, argsUnknown: true})
	}
	return out
}

func (l *loader) layout(opt Options) *Layout {
	name := opt.Layout
	if name == "" {
		name = "kubeadm"
		for _, m := range markers {
			if l.exists(m.path) {
				name = m.layout
				break
			}
		}
	}
	lay, ok := Layouts[name]
	if !ok {
		l.warn("unknown layout %q: using kubeadm's", name)
		lay = Layouts["kubeadm"]
	}
	lay = lay.WithPaths(opt.Paths)
	return &lay
}

func (l *loader) warn(format string, args ...any) {
	l.host.Warnings = append(l.host.Warnings, fmt.Sprintf(format, args...))
}

// path is p beneath the root, never outside it.
func (l *loader) path(p string) (string, error) {
	return securejoin.SecureJoin(l.root, p)
}

func (l *loader) exists(p string) bool {
	full, err := l.path(p)
	if err != nil {
		return false
	}
	_, err = os.Lstat(full)
	return err == nil
}

// readFile reads a small file beneath the root.
func (l *loader) readFile(p string) ([]byte, error) {
	full, err := l.path(p)
	if err != nil {
		return nil, err
	}
	return readBounded(full, MaxFileBytes)
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}

// ids reads /etc/passwd or /etc/group: name:x:id:...
func (l *loader) ids(p string) map[int]string {
	out := map[int]string{}
	data, err := l.readFile(p)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 || strings.HasPrefix(line, "#") {
			continue
		}
		if id, err := strconv.Atoi(f[2]); err == nil {
			if _, dup := out[id]; !dup {
				out[id] = f[0]
			}
		}
	}
	return out
}

// componentOf names the component a command line runs, or "".
func componentOf(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	prog := filepath.Base(argv[0])
	if prog == "hyperkube" && len(argv) > 1 {
		prog = argv[1]
	}
	if slices.Contains(Kinds, prog) {
		return prog
	}
	return ""
}

// readProc finds the component processes in a proc file system.
func readProc(ctx context.Context, proc string, pids []int) ([]process, error) {
	entries, err := os.ReadDir(proc)
	if err != nil {
		return nil, fmt.Errorf("--proc %s: %w", proc, err)
	}
	var out []process
	k3s := false
	for _, e := range entries {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		pid, err := strconv.Atoi(e.Name())
		if err != nil || (len(pids) > 0 && !slices.Contains(pids, pid)) {
			continue
		}
		dir := filepath.Join(proc, e.Name())
		raw, err := readBounded(filepath.Join(dir, "cmdline"), maxCmdlineSize)
		if err != nil || len(raw) == 0 {
			continue // a kernel thread, or gone
		}
		argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		prog := componentOf(argv)
		if prog == "" {
			if b := filepath.Base(argv[0]); b == "k3s" || b == "k3s-server" || b == "k3s-agent" {
				k3s = true
			}
			continue
		}
		if filepath.Base(argv[0]) == "hyperkube" {
			argv = argv[1:]
		}
		p := process{pid: pid, argv: argv, program: prog, origin: filepath.Join(dir, "cmdline")}
		if prog == Etcd {
			if p.env, err = readEnviron(filepath.Join(dir, "environ")); err != nil {
				p.envErr = err.Error()
			}
		}
		out = append(out, p)
	}
	if k3s && len(out) == 0 {
		return nil, errK3s
	}
	return out, nil
}

// errK3s is what readProc finds on a k3s node: one k3s process that runs every
// component inside it, whose flags /proc does not show.
var errK3s = errors.New("k3s runs the Kubernetes components inside its own process, whose flags /proc does not show: the components' flag checks cannot run (the files of the k3s layout are still examined)")

// readEnviron keeps the ETCD_ variables of a process: etcd reads its settings from
// them, and nothing else of an environment (which may hold credentials) is kept.
func readEnviron(path string) (map[string]string, error) {
	raw, err := readBounded(path, maxCmdlineSize)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(raw), "\x00") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, "ETCD_") {
			env[k] = v
		}
	}
	return env, nil
}

// readCmdlines reads a file of command lines, one per line, split as a shell would
// split them (quotes kept together); lines of other programs are skipped.
func readCmdlines(path string) ([]process, error) {
	data, err := readBounded(path, 16*MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("--cmdlines %s: %w", path, err)
	}
	var out []process
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), maxCmdlineSize)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		argv, err := splitWords(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		prog := componentOf(argv)
		if prog == "" {
			continue
		}
		if filepath.Base(argv[0]) == "hyperkube" {
			argv = argv[1:]
		}
		out = append(out, process{argv: argv, program: prog, origin: path, line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--cmdlines %s: %w", path, err)
	}
	return out, nil
}

// splitWords splits a command line at spaces outside single or double quotes. It
// works on bytes: a path need not be UTF-8, and the component reads it as bytes.
func splitWords(s string) ([]string, error) {
	var out []string
	var cur []byte
	var quote byte
	inWord := false
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case quote != 0 && b == quote:
			quote = 0
		case quote != 0:
			cur = append(cur, b)
		case b == '\'' || b == '"':
			quote, inWord = b, true
		case b == ' ' || b == '\t':
			if inWord {
				out = append(out, string(cur))
				cur = cur[:0]
				inWord = false
			}
		default:
			cur = append(cur, b)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		out = append(out, string(cur))
	}
	return out, nil
}

// nodeName picks the node's name.
func (l *loader) nodeName(given string) string {
	if given != "" {
		return given
	}
	if k := l.host.Component(Kubelet); k != nil {
		if v, ok := k.Flags.Lookup("hostname-override"); ok && v != "" {
			return v
		}
	}
	if data, err := l.readFile("/etc/hostname"); err == nil {
		if n := strings.TrimSpace(string(data)); n != "" {
			return n
		}
	}
	if l.root == "/" {
		if n, err := os.Hostname(); err == nil {
			return n
		}
	}
	return "node"
}

// stat examines one path beneath the root; content says whether to read it.
func (l *loader) stat(p string, content bool) *File {
	p = cleanPath(p)
	if p == "" {
		return &File{Err: "no path"}
	}
	if f, ok := l.host.Files[p]; ok {
		if content && f.Content == nil && f.Exists && !f.Dir && f.Err == "" && !f.keyDropped {
			l.readContent(f)
		}
		return f
	}
	f := &File{Path: p}
	l.host.Files[p] = f
	full, err := l.path(p)
	if err != nil {
		f.Err = err.Error()
		return f
	}
	st, err := os.Stat(full)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f
	case err != nil:
		f.Err = err.Error()
		return f
	}
	f.Exists, f.Dir, f.Mode = true, st.IsDir(), st.Mode().Perm()
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		f.UID, f.GID = int(sys.Uid), int(sys.Gid)
	}
	switch {
	case !f.Dir && !st.Mode().IsRegular():
		// A FIFO or device where a file was expected: opening it could block or
		// read without end.
		f.Err = "not a regular file"
	case content && !f.Dir:
		l.readContent(f)
	}
	return f
}

func (l *loader) readContent(f *File) {
	data, err := l.readFile(f.Path)
	if err != nil {
		f.Err = err.Error()
		return
	}
	if bytes.Contains(data, []byte("PRIVATE KEY-----")) {
		// A private key: its mode and owner are examined, its bytes are not kept. A
		// PEM bundle of a certificate and its key keeps the certificates only.
		f.keyDropped = true
		data = certificateBlocks(data)
		if len(data) == 0 {
			return
		}
	}
	f.Content = data
}

// walk examines a directory and what is beneath it, up to MaxDirEntries.
func (l *loader) walk(dir string, content func(path string) bool) *File {
	d := l.stat(dir, false)
	if !d.Exists || !d.Dir || d.Entries != nil {
		return d
	}
	full, err := l.path(d.Path)
	if err != nil {
		return d
	}
	d.Entries = []string{}
	err = filepath.WalkDir(full, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p == full {
			return nil
		}
		if len(d.Entries) >= MaxDirEntries {
			l.warn("%s: more than %d entries, the rest not examined", d.Path, MaxDirEntries)
			return filepath.SkipAll
		}
		rel, _ := filepath.Rel(full, p)
		hostPath := cleanPath(d.Path + "/" + filepath.ToSlash(rel))
		d.Entries = append(d.Entries, hostPath)
		l.stat(hostPath, !e.IsDir() && content(hostPath))
		return nil
	})
	if err != nil {
		d.Err = err.Error()
	}
	return d
}

// certificateBlocks keeps the CERTIFICATE blocks of a PEM bundle.
func certificateBlocks(data []byte) []byte {
	var out []byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if b.Type == "CERTIFICATE" {
			out = append(out, pem.EncodeToMemory(b)...)
		}
	}
}
