package nodedata

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

const (
	kubeProxyMain     = "k8s.io/kubernetes/cmd/kube-proxy"
	kubeProxyFlagsPkg = "github.com/moat-dev/moat/test/kube/nodedata/kubeproxyflags"
)

// kubeProxyFlagsOwnImports are what kubeproxyflags imports and kube-proxy's main does
// not: none of them registers a flag.
var kubeProxyFlagsOwnImports = []string{"encoding/json", "fmt", "github.com/moat-dev/moat/test/kube/nodedata/flagset"}

// kubeProxyFlags runs kubeproxyflags (its comment says why it is a program of its
// own) after checking that it still imports what kube-proxy's main imports.
func kubeProxyFlags(ctx context.Context) (map[string]Flag, error) {
	root, err := kubetest.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, "test", "kube")
	main, err := goOutput(ctx, dir, "list", "-f", "{{join .Imports \" \"}}", kubeProxyMain)
	if err != nil {
		return nil, err
	}
	helper, err := goOutput(ctx, dir, "list", "-f", "{{join .Imports \" \"}}", kubeProxyFlagsPkg)
	if err != nil {
		return nil, err
	}
	want := strings.Fields(string(main))
	got := slices.DeleteFunc(strings.Fields(string(helper)), func(p string) bool {
		return slices.Contains(kubeProxyFlagsOwnImports, p)
	})
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		return nil, fmt.Errorf("%s imports %v, but %s imports %v: make them the same", kubeProxyMain, want, kubeProxyFlagsPkg, got)
	}
	out, err := goOutput(ctx, dir, "run", kubeProxyFlagsPkg)
	if err != nil {
		return nil, err
	}
	var flags map[string]Flag
	if err := json.Unmarshal(out, &flags); err != nil {
		return nil, fmt.Errorf("%s: %w", kubeProxyFlagsPkg, err)
	}
	return flags, nil
}

// goOutput runs the go command in dir and returns its standard output.
func goOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}
