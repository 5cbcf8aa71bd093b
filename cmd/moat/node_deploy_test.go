package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/finding"
)

// nodeDeployDir holds the manifests that run moat node in a cluster, from the
// repository root.
const nodeDeployDir = "deploy/node"

// TestNodeDeployReportsNothingAboveInfo scans deploy/node as a user would: Moat's own
// node checker must pass Moat, its exceptions written in its manifests with reasons, and
// those exceptions must be exactly the ones the manifests need.
func TestNodeDeployReportsNothingAboveInfo(t *testing.T) {
	t.Chdir("../..")
	code, out, errb := run(t, "", "scan", "--fail-on", "low", "--show-suppressed", "-o", "json", nodeDeployDir)
	if code != 0 {
		t.Errorf("exit %d, want 0; stderr:\n%s", code, errb)
	}
	doc := decodeJSON(t, out)
	if len(doc.Errors) > 0 || len(doc.Warnings) > 0 {
		t.Errorf("the manifests do not load cleanly: errors %q, warnings %q", doc.Errors, doc.Warnings)
	}
	if doc.Summary.Objects < 5 {
		t.Errorf("%d objects scanned, want the Namespace, ServiceAccount, NetworkPolicy, DaemonSet and Job", doc.Summary.Objects)
	}

	// What each object may have suppressed, and nothing else: an exception that no longer
	// matches a finding, or a finding hidden by a broader one, shows up here.
	wantSuppressed := map[string][]string{
		"Namespace/moat-node": {"namespace/pod-security-privileged"},
		"DaemonSet/moat-node": {"pod/host-namespaces", "pod/host-path-volumes", "pod/readiness-probe-missing",
			"pod/restricted-volume-types", "pod/run-as-non-root", "pod/run-as-root-user", "pod/sensitive-host-path"},
		"Job/moat-node-NODE": {"pod/host-namespaces", "pod/host-path-volumes",
			"pod/restricted-volume-types", "pod/run-as-non-root", "pod/run-as-root-user", "pod/sensitive-host-path"},
	}
	suppressed := map[string][]string{}
	for _, f := range doc.Findings {
		obj := f.Resource.Kind + "/" + f.Resource.Name
		if f.Suppressed == nil {
			if f.Severity != finding.Info {
				t.Errorf("%s: %s %s is reported: %s", obj, f.Severity, f.RuleID, f.Message)
			}
			continue
		}
		if f.Suppressed.Kind != "annotation" || strings.TrimSpace(f.Suppressed.Reason) == "" {
			t.Errorf("%s: %s is suppressed by %s without a reason in the manifest", obj, f.RuleID, f.Suppressed.Kind)
		}
		// hostPID is the one host namespace the pods need: the suppression of the rule
		// must not hide hostNetwork or hostIPC.
		if f.RuleID == "pod/host-namespaces" && (!strings.Contains(f.Message, "hostPID=true") ||
			strings.Contains(f.Message, "hostNetwork") || strings.Contains(f.Message, "hostIPC")) {
			t.Errorf("%s: %s: %s; want hostPID only", obj, f.RuleID, f.Message)
		}
		if !slices.Contains(suppressed[obj], f.RuleID) {
			suppressed[obj] = append(suppressed[obj], f.RuleID)
		}
	}
	for obj, want := range wantSuppressed {
		got := suppressed[obj]
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: suppressed %q, want %q", obj, got, want)
		}
	}
	for obj := range suppressed {
		if _, ok := wantSuppressed[obj]; !ok {
			t.Errorf("%s: suppresses %q; no exception is expected on it", obj, suppressed[obj])
		}
	}
}

// TestNodeDeployCommandLines runs the command line of each manifest's container through
// moat node, with the host's root and /proc replaced by a directory of this test that
// holds one kube-apiserver process: the flags must exist, the run must read the processes
// (which moat node does with --root /host only when --proc is given) and print the format
// the manifest promises, naming the node as the downward API or the placeholder does.
func TestNodeDeployCommandLines(t *testing.T) {
	const node = "worker-1"
	tests := []struct {
		name, file string
		// placeholder is replaced by the node's name before decoding, as the manifest's
		// instructions say ("" for none).
		placeholder string
		// read decodes the manifest into its pod template.
		read func(t *testing.T, data []byte) corev1.PodSpec
		// nodes reads the names of the checked nodes from the output.
		nodes func(t *testing.T, out string) []string
	}{
		{"the DaemonSet prints JSON every day", "daemonset.yaml", "", daemonSetPod, jsonNodes},
		{"the Job prints a ClusterPolicyReport once", "job.yaml", "NODE", jobPod, policyReportNodes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", nodeDeployDir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if tc.placeholder != "" {
				// As the Job's instructions do: sed 's/NODE/worker-1/g'.
				data = []byte(strings.ReplaceAll(string(data), tc.placeholder, node))
			}
			pod := tc.read(t, data)
			if pod.NodeName != "" && pod.NodeName != node {
				t.Errorf("nodeName %q, want the placeholder replaced by %q", pod.NodeName, node)
			}
			if !pod.HostPID || pod.HostNetwork || pod.HostIPC {
				t.Errorf("hostPID %t, hostNetwork %t, hostIPC %t: want hostPID only", pod.HostPID, pod.HostNetwork, pod.HostIPC)
			}
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers, want 1", len(pod.Containers))
			}
			c := pod.Containers[0]
			if len(c.Command) > 0 || len(c.Args) == 0 || c.Args[0] != "node" {
				t.Fatalf("command %q args %q: want the image's moat with args starting with node", c.Command, c.Args)
			}
			args := hostArgs(t, c, newHostWithAPIServer(t), node)
			code, out, errb := run(t, "", args...)
			if code == 2 {
				t.Fatalf("moat %q: exit 2 (usage or input error); stderr:\n%s", args, errb)
			}
			if got := tc.nodes(t, out); len(got) == 0 || slices.ContainsFunc(got, func(n string) bool { return n != node }) {
				t.Errorf("the report names nodes %q, want findings on %q (was the process in --proc read?); stderr:\n%s", got, node, errb)
			}
		})
	}
}

// newHostWithAPIServer makes a root and a proc directory; the proc directory holds one
// process, a kube-apiserver that allows anonymous requests.
func newHostWithAPIServer(t *testing.T) (dirs map[string]string) {
	t.Helper()
	root, proc := t.TempDir(), t.TempDir()
	pid := filepath.Join(proc, "4242")
	if err := os.Mkdir(pid, 0o755); err != nil {
		t.Fatal(err)
	}
	cmdline := strings.Join([]string{"/usr/local/bin/kube-apiserver", "--anonymous-auth=true", "--authorization-mode=Node,RBAC"}, "\x00") + "\x00"
	if err := os.WriteFile(filepath.Join(pid, "cmdline"), []byte(cmdline), 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"/host": root, "/proc": proc}
}

// hostArgs are the container's args for a run here: the host's root and /proc replaced
// by the test's directories, $(VAR) references to the downward API's spec.nodeName
// expanded to node, and --interval (which would run forever) checked and dropped.
func hostArgs(t *testing.T, c corev1.Container, dirs map[string]string, node string) []string {
	t.Helper()
	vars := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "spec.nodeName" {
			vars["$("+e.Name+")"] = node
		}
	}
	var out []string
	replaced := map[string]bool{}
	for _, a := range c.Args {
		name, value, _ := strings.Cut(a, "=")
		switch name {
		case "--root", "--proc":
			dir, ok := dirs[value]
			if !ok {
				t.Fatalf("%s: want /host or /proc, the mounts the pod has", a)
			}
			out = append(out, name+"="+dir)
			replaced[name] = true
			continue
		case "--interval":
			d, err := time.ParseDuration(value)
			if err != nil || d < time.Minute {
				t.Errorf("%s: want a duration of at least 1m", a)
			}
			continue
		}
		for v, n := range vars {
			a = strings.ReplaceAll(a, v, n)
		}
		out = append(out, a)
	}
	for _, f := range []string{"--root", "--proc"} {
		if !replaced[f] {
			t.Errorf("args %q: no %s=DIR; moat node needs both in a pod", c.Args, f)
		}
	}
	return out
}

func daemonSetPod(t *testing.T, data []byte) corev1.PodSpec {
	var ds appsv1.DaemonSet
	decodeManifest(t, data, "DaemonSet", &ds)
	return ds.Spec.Template.Spec
}

func jobPod(t *testing.T, data []byte) corev1.PodSpec {
	var job batchv1.Job
	decodeManifest(t, data, "Job", &job)
	return job.Spec.Template.Spec
}

// decodeManifest decodes the document of a kind from a YAML stream.
func decodeManifest(t *testing.T, data []byte, kind string, out any) {
	t.Helper()
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Kind == kind {
			if err := yaml.UnmarshalStrict([]byte(doc), out); err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			return
		}
	}
	t.Fatalf("no %s in the manifest", kind)
}

// jsonNodes are the nodes a JSON report's findings are on.
func jsonNodes(t *testing.T, out string) []string {
	doc := decodeJSON(t, out)
	var nodes []string
	for _, f := range doc.Findings {
		nodes = append(nodes, f.Resource.Name)
	}
	return nodes
}

// policyReportNodes are the nodes a ClusterPolicyReport's results are on.
func policyReportNodes(t *testing.T, out string) []string {
	var report struct {
		Kind    string `json:"kind"`
		Results []struct {
			Resources []struct {
				Name string `json:"name"`
			} `json:"resources"`
		} `json:"results"`
	}
	if err := yaml.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	if report.Kind != "ClusterPolicyReport" {
		t.Errorf("kind %q, want ClusterPolicyReport", report.Kind)
	}
	var nodes []string
	for _, r := range report.Results {
		for _, res := range r.Resources {
			nodes = append(nodes, res.Name)
		}
	}
	return nodes
}
