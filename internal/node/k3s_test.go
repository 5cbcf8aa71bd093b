package node

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/rule"
)

// TestK3sChecksFilesNotFlags: on a k3s server, /proc shows one k3s process and no
// component. Load says so and stands in components with unknown command lines, so the
// checks of the k3s layout's files run and those of flags and configuration do not (they
// would judge defaults k3s does not run with).
func TestK3sChecksFilesNotFlags(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644)
	writeFile(t, root, "/etc/group", "root:x:0:\n", 0o644)
	writeFile(t, root, "/var/lib/rancher/k3s/server/tls/server-ca.crt", makeCert(t, fixtureCert{CN: "k3s-server-ca", Days: 3000, CA: true}), 0o644)
	writeFile(t, root, "/etc/rancher/k3s/k3s.yaml", "apiVersion: v1\nkind: Config\n", 0o644) // admin kubeconfig readable by all
	writeFile(t, root, "/var/lib/rancher/k3s/agent/kubelet.kubeconfig", "apiVersion: v1\nkind: Config\n", 0o600)
	proc := procTestDir(t, map[int]procTestProcess{
		101: {argv: []string{"/usr/local/bin/k3s", "server", "--write-kubeconfig-mode=644"}},
		102: {argv: []string{"containerd", "-c", "/var/lib/rancher/k3s/agent/etc/containerd/config.toml"}},
	})
	h, err := Load(context.Background(), Options{Root: root, Proc: proc, NodeName: "k3s-1"})
	if err != nil {
		t.Fatal(err)
	}
	if h.Layout.Name != "k3s" {
		t.Errorf("layout %s, want k3s (detected from /var/lib/rancher/k3s)", h.Layout.Name)
	}
	if !slices.ContainsFunc(h.Warnings, func(w string) bool { return strings.Contains(w, "k3s runs the Kubernetes components inside") }) {
		t.Errorf("no warning about k3s: %q", h.Warnings)
	}
	var kinds []string
	for _, c := range h.Components {
		kinds = append(kinds, c.Kind)
		if !c.ArgsUnknown {
			t.Errorf("%s: command line taken as known", c.Kind)
		}
	}
	if want := []string{APIServer, ControllerManager, Scheduler, Kubelet}; !slices.Equal(kinds, want) {
		t.Errorf("components %q, want %q", kinds, want)
	}
	fs, errs := engine.Run(context.Background(), h.Inventory(), Rules(), rule.Options{Now: fixtureNow})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, f := range fs {
		if f.Severity > 0 { // info findings (manual reviews, unexamined files) aside
			src := ""
			if f.Source != nil {
				src = f.Source.File
			}
			got = append(got, f.RuleID+" "+src)
		}
	}
	want := []string{"node/admin-kubeconfig-permissions /etc/rancher/k3s/k3s.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("findings above info:\n got %q\nwant %q", got, want)
	}
}
