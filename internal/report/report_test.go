package report

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/finding"
	goldenfile "github.com/moat-dev/moat/internal/golden"
	"github.com/moat-dev/moat/internal/rule"
)

// scanTime is the fixed time of the fixture scan.
var scanTime = time.Date(2026, 11, 23, 9, 30, 15, 250_000_000, time.UTC)

// Rule metadata of the fixture, as the rule packages write it (descriptions are raw
// strings with hard line breaks, as in rbac and netpol).
var (
	privileged = rule.Meta{
		ID:       "pod/privileged-container",
		Title:    "Container runs privileged",
		Severity: finding.Critical,
		Description: "A privileged container (securityContext.privileged: true) runs with every Linux capability and " +
			"every device of the node. Pod Security Standards, baseline level; CIS Kubernetes Benchmark 5.2.2; " +
			"NSA/CISA Kubernetes Hardening Guide, Pod security.",
		Remediation: "Remove securityContext.privileged: true (or set it to false) and grant only the capabilities the process needs.",
		Frameworks:  finding.Frameworks{CIS: "5.2.2", NSA: "pod-security", MITRE: "T1611"},
		Kinds:       []string{"Pod", "Deployment", "DaemonSet"},
	}
	runAsNonRoot = rule.Meta{
		ID:       "pod/run-as-non-root",
		Title:    "Container may run as root",
		Severity: finding.Medium,
		Description: "At the restricted level containers must be required to run as a non-root user. Pod Security " +
			"Standards, restricted level; CIS Kubernetes Benchmark 5.2.7.",
		Remediation: "Set spec.securityContext.runAsNonRoot: true (with a non-zero runAsUser if the image has no non-root USER) and remove runAsNonRoot: false from every container.",
		Frameworks:  finding.Frameworks{CIS: "5.2.7", NSA: "pod-security", MITRE: "T1611"},
		Kinds:       []string{"Pod", "Deployment"},
	}
	hostPath = rule.Meta{
		ID:          "pod/host-path-volumes",
		Title:       "Pod mounts a path of the node",
		Severity:    finding.High,
		Description: "A hostPath volume mounts a file or directory of the node into the pod.",
		Remediation: "Replace the hostPath volume with an emptyDir, configMap, secret, projected or persistentVolumeClaim volume.",
		Frameworks:  finding.Frameworks{CIS: "5.2.12", NSA: "pod-security", MITRE: "T1611"},
		Kinds:       []string{"Pod", "Deployment"},
	}
	clusterAdmin = rule.Meta{
		ID:       "rbac/cluster-admin-binding",
		Title:    "Binding grants cluster-admin",
		Severity: finding.High,
		Description: `A ClusterRoleBinding or RoleBinding refers to the ClusterRole cluster-admin. Through a
ClusterRoleBinding its subjects may do anything to any resource in the cluster. CIS Kubernetes
Benchmark 5.1.1.`,
		Remediation: "Bind a role that grants only what the subjects need and remove the cluster-admin binding.",
		Frameworks:  finding.Frameworks{CIS: "5.1.1", NSA: "authentication-authorization", MITRE: "T1078"},
		Kinds:       []string{"ClusterRoleBinding", "RoleBinding"},
	}
	noNetpol = rule.Meta{
		ID:       "netpol/namespace-without-policy",
		Title:    "Namespace runs workloads without any NetworkPolicy",
		Severity: finding.Medium,
		Description: `A namespace holds workloads and no NetworkPolicy. Kubernetes allows all traffic to and
from a pod that no policy selects. CIS Kubernetes Benchmark 5.3.2; MITRE ATT&CK T1046.`,
		Remediation: "Add a default-deny NetworkPolicy to the namespace (podSelector: {} with policyTypes Ingress and Egress) and policies that allow the traffic each workload needs.",
		Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1046"},
		Kinds:       []string{"Namespace"},
	}
	latestTag = rule.Meta{
		ID:          "image/latest-tag",
		Title:       "Image uses the latest tag",
		Severity:    finding.Medium,
		Description: `An image referenced as "latest", or with no tag at all, names whatever was pushed last.`,
		Remediation: "Reference the image by an immutable version tag, or better by digest (image@sha256:...), and update it through your release process.",
		Frameworks:  finding.Frameworks{NSA: "secure-images", MITRE: "T1525"},
		Kinds:       []string{"Pod", "Deployment"},
	}
)

func deployment(ns, name string) finding.Resource {
	return finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name}
}

func result(m rule.Meta, res finding.Resource, msg, path string, src *finding.Source) finding.Finding {
	return finding.Finding{
		RuleID: m.ID, Severity: m.Severity, Title: m.Title, Message: msg, Resource: res, Path: path,
		Source: src, Frameworks: m.Frameworks, Remediation: m.Remediation,
	}
}

// fixture is one realistic scan: manifests from files, a chart, stdin and cluster objects;
// suppressed findings of both kinds; a severity override; an input error and a warning;
// a rule without findings.
func fixture() *Report {
	cart := deployment("shop", "cart")
	cartSrc := func(line int) *finding.Source { return &finding.Source{File: "examples/shop/cart.yaml", Line: line} }

	fs := []finding.Finding{
		result(privileged, cart, `container "app" sets securityContext.privileged=true`,
			"spec.template.spec.containers[0].securityContext.privileged", cartSrc(27)),
		result(privileged, finding.Resource{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "kube-system", Name: "node-agent"},
			`container "agent" sets securityContext.privileged=true`,
			"spec.template.spec.containers[0].securityContext.privileged", nil),
		result(clusterAdmin, finding.Resource{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "ci-deployer"},
			`ClusterRoleBinding "ci-deployer" grants cluster-admin to ServiceAccount ci/deployer`,
			"roleRef.name", &finding.Source{File: "deploy/rbac.yaml", Line: 9}),
		result(runAsNonRoot, cart,
			`container "app" does not set securityContext.runAsNonRoot=true and neither does the pod, so the kubelet will start it even when the image "registry.example.com/shop/cart:1.4.2" runs as root; set runAsNonRoot: true on the pod`,
			"spec.template.spec.securityContext.runAsNonRoot", cartSrc(18)),
		result(noNetpol, finding.Resource{APIVersion: "v1", Kind: "Namespace", Name: "shop"},
			`namespace "shop" runs 3 workloads (Deployment/cart, Deployment/frontend, StatefulSet/orders) and has no NetworkPolicy`,
			"", &finding.Source{File: "examples/shop/namespace.yaml", Line: 1}),
		result(latestTag, deployment("shop", "frontend"), `container "web" uses image "nginx:latest"`,
			"spec.template.spec.containers[1].image",
			&finding.Source{File: "charts/shop/templates/frontend.yaml", Line: 33, Origin: "helm:charts/shop"}),
		result(latestTag, deployment("payments", "api"), `container "api" uses image "payments/api" with no tag, which means latest`,
			"spec.template.spec.containers[0].image", &finding.Source{File: "<stdin>", Line: 12}),
		result(privileged, finding.Resource{APIVersion: "v1", Kind: "Pod", Namespace: "monitoring", Name: "node-exporter-x7k2p"},
			`container "node-exporter" sets securityContext.privileged=true`,
			"spec.containers[0].securityContext.privileged", nil),
	}
	// Overrides: a finding less severe than its rule, a finding with its own PSS control.
	fs[0].Frameworks.PSS = "baseline/privileged"
	fs[6].Severity = finding.Low
	fs[1].Suppressed = &finding.Suppression{Kind: "annotation", Reason: "node agent reads host metrics; reviewed by platform team"}
	fs[5].Suppressed = &finding.Suppression{Kind: "config", Reason: "frontend image is pinned by digest in the prod overlay"}
	fs[7].Suppressed = &finding.Suppression{Kind: "config", Reason: "node-exporter needs the host's /proc and /sys"}
	finding.Sort(fs)

	var rules []*rule.Rule
	for _, m := range []rule.Meta{runAsNonRoot, privileged, hostPath, clusterAdmin, noNetpol, latestTag} {
		rules = append(rules, &rule.Rule{Meta: m})
	}
	return &Report{
		Summary:  finding.Summarize(14, fs, 1),
		Findings: fs,
		Errors:   []string{"examples/broken/ingress.yaml:12: yaml: line 12: mapping values are not allowed in this context"},
		Warnings: []string{"charts/legacy: kind PodSecurityPolicy (policy/v1beta1) is not served since Kubernetes 1.25; its objects were not checked"},
		Rules:    rules, ToolVersion: "0.3.0", Time: scanTime,
	}
}

// render renders the fixture in a format.
func render[T any](t *testing.T, r Renderer[T], v T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Render(&buf, v); err != nil {
		t.Fatalf("render: %v", err)
	}
	return buf.Bytes()
}

// golden compares got with testdata/golden/NAME (MOAT_UPDATE_GOLDEN=1 rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "golden", name), got)
}

// newRenderer is a renderer of a format every test expects to exist.
func newRenderer[T any](t *testing.T, f *Formats[T], format string, opt Options) Renderer[T] {
	t.Helper()
	r, err := f.New(format, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Every format renders the same report to the same bytes, and an empty report renders.
func TestDeterministicAndEmpty(t *testing.T) {
	for _, name := range Findings.Names() {
		t.Run(name, func(t *testing.T) {
			r := newRenderer(t, Findings, name, Options{})
			a, b := render(t, r, fixture()), render(t, r, fixture())
			if !bytes.Equal(a, b) {
				t.Errorf("two renderings of one report differ")
			}
			empty := &Report{Summary: finding.Summarize(0, nil, 0)}
			if out := render(t, r, empty); len(out) == 0 {
				t.Errorf("empty report rendered nothing")
			}
		})
	}
}
