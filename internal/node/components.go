package node

import (
	"fmt"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/moat-dev/moat/internal/finding"
)

// addComponent parses a process's command line with its component's flag types and
// records it, the first of each kind only.
func (l *loader) addComponent(p process) {
	if c := l.host.Component(p.program); c != nil {
		l.warn("%s: more than one process (pid %d and %d); checking the first", p.program, c.PID, p.pid)
		return
	}
	c := &Component{
		TypeMeta: metav1.TypeMeta{APIVersion: Group + "/" + Version, Kind: ObjectKind(p.program)},
		Kind:     p.program,
		PID:      p.pid,
		Args:     p.argv[1:],
		Env:      p.env,
		Host:     l.host,
		Origin:   finding.Source{File: p.origin, Line: p.line},

		ArgsUnknown: p.argsUnknown,
	}
	lines := p.lines
	if lines == nil && p.line == 0 {
		// A process: if its static pod manifest runs the same command line, findings
		// point at the manifest's lines, which is what a person edits.
		if m, ok := l.manifest(p.program); ok && slices.Equal(m.argv[1:], c.Args) {
			c.Origin, lines = finding.Source{File: m.origin}, m.lines[1:]
		}
	} else if lines != nil {
		lines = lines[1:]
		c.Origin = finding.Source{File: p.origin}
	}
	if p.program == Etcd {
		var warns []string
		c.Flags, warns = etcdSettings(c.Args, lines, c.Env, l.readFile)
		l.host.Warnings = append(l.host.Warnings, warns...)
	} else {
		c.Flags = parseFlags(kubeSpec(l.host.Release, p.program), c.Args, lines, false)
		if len(c.Flags.Unknown) > 0 {
			l.warn("%s: flags unknown to Kubernetes %s: --%v (read as given)", p.program, l.host.Release.Version, c.Flags.Unknown)
		}
	}
	for _, e := range c.Flags.Errors {
		l.warn("%s: %s", p.program, e)
	}
	l.host.Components = append(l.host.Components, c)
	slices.SortStableFunc(l.host.Components, func(a, b *Component) int {
		return slices.Index(Kinds, a.Kind) - slices.Index(Kinds, b.Kind)
	})
}

// staticPods reads the command lines of the control plane from its static pod
// manifests: what `moat node --root` checks on a copy of a node without processes.
func (l *loader) staticPods() []process {
	var out []process
	for _, kind := range []string{APIServer, ControllerManager, Scheduler, Etcd} {
		if m, ok := l.manifest(kind); ok {
			out = append(out, m)
		}
	}
	// The kubelet is no static pod; on a copy of a node its command line is unknown,
	// so the layout's config file and kubeconfig stand in for it.
	lay := l.host.Layout
	if l.exists(lay.KubeletConfig) {
		l.warn("kubelet: no command line given; assuming --config=%s --kubeconfig=%s", lay.KubeletConfig, lay.KubeletKubeconfig)
		out = append(out, process{argv: []string{Kubelet, "--config=" + lay.KubeletConfig, "--kubeconfig=" + lay.KubeletKubeconfig},
			program: Kubelet, origin: lay.KubeletConfig})
	}
	return out
}

// manifest reads the command line of a component's static pod manifest, with the line
// of each argument.
func (l *loader) manifest(kind string) (process, bool) {
	path := filepath.Join(l.host.Layout.Manifests, kind+".yaml")
	data, err := l.readFile(path)
	if err != nil {
		return process{}, false
	}
	argv, lines, err := manifestCommand(data)
	if err != nil {
		l.warn("%s: %v", path, err)
		return process{}, false
	}
	if componentOf(argv) != kind {
		return process{}, false
	}
	return process{argv: argv, lines: lines, program: kind, origin: path}, true
}

// manifestCommand is the command and args of a static pod's first container, with
// each one's line.
func manifestCommand(data []byte) ([]string, []int, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil, fmt.Errorf("empty manifest")
	}
	containers := lookup(doc.Content[0], "spec", "containers")
	if containers == nil || containers.Kind != yaml.SequenceNode || len(containers.Content) == 0 {
		return nil, nil, fmt.Errorf("spec.containers: missing")
	}
	var argv []string
	var lines []int
	for _, key := range []string{"command", "args"} {
		seq := lookup(containers.Content[0], key)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		for _, n := range seq.Content {
			argv = append(argv, n.Value)
			lines = append(lines, n.Line)
		}
	}
	if len(argv) == 0 {
		return nil, nil, fmt.Errorf("spec.containers[0]: no command")
	}
	return argv, lines, nil
}

// lookup follows mapping keys from n.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}
