package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// tools are the programs the tests build from the repository, once per test binary.
var tools struct {
	once sync.Once
	dir  string // removed by TestMain
	err  error
	root string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tools.dir != "" {
		os.RemoveAll(tools.dir)
	}
	os.Exit(code)
}

// tool returns the path of a program of the main module (by package directory relative
// to the repository root), building moat, the render helper and the benchmark's
// generator on first use.
func tool(tb testing.TB, pkg string) string {
	tb.Helper()
	tools.once.Do(func() {
		if tools.root, tools.err = kubetest.RepoRoot(); tools.err != nil {
			return
		}
		if tools.dir, tools.err = os.MkdirTemp("", "moat-e2e-"); tools.err != nil {
			return
		}
		for _, p := range []string{"./cmd/moat", "./tools/render", "./bench/gen", "./internal/image/imagescan/imageserve"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(tools.dir, filepath.Base(p)), p)
			cmd.Dir = tools.root
			if out, err := cmd.CombinedOutput(); err != nil {
				tools.err = fmt.Errorf("go build %s: %v\n%s", p, err, out)
				return
			}
		}
	})
	if tools.err != nil {
		tb.Fatal(tools.err)
	}
	return filepath.Join(tools.dir, filepath.Base(pkg))
}

// repoPath is a path in the repository.
func repoPath(tb testing.TB, rel string) string {
	tb.Helper()
	tool(tb, "moat")
	return filepath.Join(tools.root, filepath.FromSlash(rel))
}

// run is one run of a program.
type run struct {
	code           int
	stdout, stderr string
	wall           time.Duration
	cpu            time.Duration // user + system
	maxRSS         int64         // bytes
}

// execute runs a program in the repository root and waits for it.
func execute(tb testing.TB, bin string, args ...string) run {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = tools.root
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := run{stdout: out.String(), stderr: errb.String(), wall: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		tb.Fatalf("%s: %v", bin, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss * 1024 // KiB on Linux
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r
}

// moat runs the moat command.
func moat(tb testing.TB, args ...string) run {
	tb.Helper()
	return execute(tb, tool(tb, "moat"), args...)
}

// kubeconfigFor writes a kubeconfig for cfg into the test's temporary directory.
func kubeconfigFor(tb testing.TB, cfg *rest.Config) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "kubeconfig")
	if err := kubetest.WriteKubeconfig(p, cfg); err != nil {
		tb.Fatal(err)
	}
	return p
}

// report is the part of `moat scan -o json` (version 1) the tests read.
type report struct {
	Summary struct {
		Objects  int `json:"objects"`
		Findings int `json:"findings"`
		Errors   int `json:"errors"`
	} `json:"summary"`
	Findings []finding `json:"findings"`
	Errors   []string  `json:"errors"`
	Warnings []string  `json:"warnings"`
}

type finding struct {
	RuleID   string   `json:"ruleID"`
	Severity string   `json:"severity"`
	Message  string   `json:"message"`
	Resource resource `json:"resource"`
	Path     string   `json:"path"`
	Source   *struct {
		File string `json:"file"`
		Line int    `json:"line"`
	} `json:"source"`
}

type resource struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

func (r resource) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// key is a finding without its source position.
func (f finding) key() string {
	return fmt.Sprintf("%s %s %s %s: %s", f.RuleID, f.Resource.APIVersion, f.Resource, f.Path, f.Message)
}

// scanJSON runs `moat scan ARGS -o json`, checks the exit code is one of want, and
// decodes the report.
func scanJSON(tb testing.TB, want []int, args ...string) (report, run) {
	tb.Helper()
	r := moat(tb, append(append([]string{"scan"}, args...), "-o", "json")...)
	ok := false
	for _, c := range want {
		ok = ok || r.code == c
	}
	if !ok {
		tb.Fatalf("moat scan %s: exit %d, want one of %v\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		tb.Fatalf("moat scan %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	return rep, r
}

// render returns the objects `moat scan PATHS` reads, charts and overlays rendered.
func render(tb testing.TB, paths ...string) []*unstructured.Unstructured {
	tb.Helper()
	r := execute(tb, tool(tb, "render"), paths...)
	if r.code != 0 {
		tb.Fatalf("render %v: exit %d\n%s", paths, r.code, r.stderr)
	}
	return decodeObjects(tb, strings.NewReader(r.stdout))
}

// decodeObjects reads a stream of YAML documents or JSON objects.
func decodeObjects(tb testing.TB, in io.Reader) []*unstructured.Unstructured {
	tb.Helper()
	dec := yaml.NewYAMLOrJSONDecoder(in, 64<<10)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if err == io.EOF {
			return out
		}
		if err != nil {
			tb.Fatalf("decode objects: %v", err)
		}
		if m != nil {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}

// create creates objects through the API with a few requests at once: Namespaces
// first, then ServiceAccounts (pods name them), then the rest. Objects that exist are
// left as they are. It returns how many it created.
func create(tb testing.TB, cfg *rest.Config, objs []*unstructured.Unstructured) int {
	tb.Helper()
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil {
		tb.Fatal(err)
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)

	rank := func(u *unstructured.Unstructured) int {
		switch u.GetKind() {
		case "Namespace":
			return 0
		case "ServiceAccount":
			return 1
		case "Service":
			// Services that name their node ports go before those whose node ports
			// the API server picks, which could otherwise take a named one.
			ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "ports")
			for _, p := range ports {
				if m, ok := p.(map[string]any); ok && m["nodePort"] != nil {
					return 2
				}
			}
		}
		return 3
	}
	var created int
	var mu sync.Mutex
	var errs []error
	for phase := 0; phase <= 3; phase++ {
		work := make(chan *unstructured.Unstructured)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for u := range work {
					err := createOne(ctx, dyn, mapper, u)
					mu.Lock()
					switch {
					case err == nil:
						created++
					case !apierrors.IsAlreadyExists(err):
						errs = append(errs, err)
					}
					mu.Unlock()
				}
			})
		}
		for _, u := range objs {
			if rank(u) == phase {
				work <- u
			}
		}
		close(work)
		wg.Wait()
	}
	if len(errs) > 0 {
		tb.Fatalf("%d objects could not be created, e.g.:\n%v", len(errs), errors.Join(errs[:min(len(errs), 10)]...))
	}
	return created
}

func createOne(ctx context.Context, dyn dynamic.Interface, mapper meta.RESTMapper, u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s %s: %w", gvk, u.GetName(), err)
	}
	// A dump written by `kubectl get -o yaml` (as bench/gen writes) carries the fields
	// the server sets; a create must leave them out.
	u = u.DeepCopy()
	u.SetResourceVersion("")
	u.SetUID("")
	u.SetCreationTimestamp(metav1.Time{})
	u.SetManagedFields(nil)
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := u.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ri = dyn.Resource(m.Resource).Namespace(ns)
	}
	if _, err := ri.Create(ctx, u, metav1.CreateOptions{FieldManager: "moat-e2e"}); err != nil {
		return fmt.Errorf("create %s %s/%s: %w", gvk.Kind, u.GetNamespace(), u.GetName(), err)
	}
	return nil
}

// cpuTime is the user + system CPU time a process has used so far (Linux /proc).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, nil
}

// The resources tests read or change directly.
var (
	clusterRoles = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	statefulSets = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
	pods         = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
)
