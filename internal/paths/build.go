package paths

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// Options say what the graph assumes.
type Options struct {
	// Breached are workloads assumed breached ("NS/KIND/NAME", e.g. shop/Deployment/web):
	// each is an entry, whether exposed or not.
	Breached []string
	// IsolatedNodes drops the assumption that any pod may share a node with any other:
	// a node escape then reaches only what runs on every node (DaemonSets) and the
	// kubelet's credentials.
	IsolatedNodes bool
	// Now is the time rules compare expiry dates with.
	Now time.Time
}

// builder gathers the graph of one inventory; each layer's edges are added by one
// method (build_*.go).
type builder struct {
	ctx context.Context
	g   *Graph
	inv *inventory.Inventory
	opt Options

	// findings are the findings of the rules the layers use as evidence, by rule ID
	// and then by the resource they are about.
	findings map[string]map[finding.Resource][]finding.Finding
	// workloads are the objects that carry a pod template, by resource.
	workloads map[finding.Resource]*inventory.Object
}

// evidenceRules are the rules whose findings are the evidence of edges.
var evidenceRules = []string{
	// entry (pod/host-namespaces covers hostNetwork)
	"svc/load-balancer-open", "svc/node-port", "svc/external-ips", "pod/host-ports",
	// escape
	"pod/privileged-container", "pod/host-namespaces", "pod/host-path-volumes", "pod/sensitive-host-path",
	"pod/writable-host-path", "pod/dangerous-capabilities", "pod/unrestricted-capabilities",
	"pod/unmasked-proc-mount",
	// identity, secrets
	"pod/service-account-token-automount", "secret/env-from-secret",
}

// Build joins the layers of inv into one graph. Options say what it assumes; the
// assumptions are stated in the graph.
func Build(ctx context.Context, inv *inventory.Inventory, opt Options) (*Graph, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	b := &builder{ctx: ctx, g: newGraph(), inv: inv, opt: opt, workloads: map[finding.Resource]*inventory.Object{}}
	for _, o := range inv.Objects {
		if _, ok := podspec.Of(o); ok {
			b.workloads[o.Ref()] = o
		}
	}
	if err := b.evaluate(); err != nil {
		return nil, err
	}
	b.g.node(Node{ID: InternetID, Kind: KindEntry, Name: "the internet"})
	for _, layer := range []func() error{b.breaches, b.exposure, b.network, b.escape, b.nodeAccess, b.identity, b.secrets} {
		if err := layer(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	b.g.sortEdges()
	return b.g, nil
}

// evaluate runs the evidence rules once over the inventory.
func (b *builder) evaluate() error {
	var rules []*rule.Rule
	for _, id := range evidenceRules {
		if r := rule.Get(id); r != nil {
			rules = append(rules, r)
		}
	}
	fs, errs := engine.Run(b.ctx, b.inv, rules, rule.Options{PSSVersion: "latest", Now: b.opt.Now})
	if len(errs) > 0 {
		return fmt.Errorf("evidence rules: %v", errs[0])
	}
	b.findings = map[string]map[finding.Resource][]finding.Finding{}
	for _, f := range fs {
		byRes := b.findings[f.RuleID]
		if byRes == nil {
			byRes = map[finding.Resource][]finding.Finding{}
			b.findings[f.RuleID] = byRes
		}
		byRes[f.Resource] = append(byRes[f.Resource], f)
	}
	return nil
}

// findingsOf are the findings of a rule on a resource.
func (b *builder) findingsOf(ruleID string, r finding.Resource) []finding.Finding {
	return b.findings[ruleID][r]
}

// evidence is a finding as an edge's evidence.
func evidence(f finding.Finding) Evidence {
	r := f.Resource
	return Evidence{RuleID: f.RuleID, Message: f.Message, Resource: &r, Path: f.Path, Source: f.Source}
}

// fixOf is the fix of a finding: its rule's remediation on its resource.
func (b *builder) fixOf(f finding.Finding) *Fix {
	r := f.Resource
	return b.g.fix(Fix{ID: f.RuleID + " " + r.String(), RuleID: f.RuleID, Resource: &r, Remediation: f.Remediation})
}

// workload returns the node of a workload object, adding it.
func (b *builder) workload(o *inventory.Object) string {
	r := o.Ref()
	return b.g.node(Node{ID: WorkloadID(r), Kind: KindWorkload, Namespace: o.EffectiveNamespace(), Name: r.Name, Resource: &r}).ID
}

// assume states an assumption once.
func (b *builder) assume(a Assumption) {
	if !slices.Contains(b.g.Assumptions, a) {
		b.g.Assumptions = append(b.g.Assumptions, a)
	}
}
