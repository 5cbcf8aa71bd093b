package netpol

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// view is what the reachability rules share: the model of the inventory, its
// analysis, and which namespaces the engine can judge.
type view struct {
	inv *inventory.Inventory
	m   *reach.Model
	a   *reach.Analysis
	// withPolicy are the namespaces that have at least one networking.k8s.io
	// NetworkPolicy; foreign are those with Calico or Cilium policies, whose effect the
	// engine does not know: rules say nothing about their workloads.
	withPolicy, foreign map[string]bool
}

// Addresses that are not the public internet: RFC 1918, shared (RFC 6598), loopback,
// link-local (the metadata endpoint), "this network", multicast and reserved.
var privateV4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// metadataAddr is the cloud instance metadata endpoint (AWS, GCP, Azure, OpenStack...).
var metadataAddr = netip.MustParseAddr("169.254.169.254")

func newView(c *rule.Context) *view {
	return c.Shared(viewKey{}, func() any { return buildView(c) }).(*view)
}

// viewKey is the key of the scan's one view in rule.Context.Shared: every NetworkPolicy
// rule reads the same analysis, built once per scan.
type viewKey struct{}

func buildView(c *rule.Context) *view {
	v := &view{inv: c.Inventory, withPolicy: map[string]bool{}, foreign: map[string]bool{}}
	v.m = reach.FromInventory(c.Inventory)
	for _, p := range v.m.Policies {
		v.withPolicy[p.Namespace] = true
	}
	for _, ns := range c.Inventory.Namespaces() {
		for _, o := range c.Inventory.InNamespace(ns) {
			if kind, ok := policyKinds[o.GVK.Group]; ok && o.Kind() == kind && o.GVK.Group != "networking.k8s.io" && o.GVK.Group != "extensions" {
				v.foreign[ns] = true
			}
		}
	}
	bounds := append(slices.Clone(privateV4), netip.PrefixFrom(metadataAddr, 32))
	v.a = reach.Analyze(v.m, reach.Options{Boundaries: bounds, Probe: true})
	return v
}

// judged reports a workload whose namespace has NetworkPolicies the engine reads, and
// none it does not.
func (v *view) judged(w *reach.Workload) bool {
	return v.withPolicy[w.Namespace] && !v.foreign[w.Namespace]
}

// labelsPath is the field path of a workload's pod labels.
func labelsPath(w *reach.Workload) string {
	p, ok := podspec.Of(w.Obj)
	if !ok {
		return ""
	}
	return p.MetaPath() + ".labels"
}

// isPublic reports an outside range that is all public internet.
func isPublic(p netip.Prefix) bool {
	if !p.Addr().Is4() {
		return false
	}
	return !slices.ContainsFunc(privateV4, func(q netip.Prefix) bool { return q.Overlaps(p) })
}

// which names the rules that allow a side, or says that no policy limits it.
func which(rules []string, dir string) string {
	if len(rules) == 0 {
		return "no NetworkPolicy limits its " + dir
	}
	return "allowed by " + strings.Join(rules, ", ")
}

func workloadName(w *reach.Workload) string { return fmt.Sprintf("%s %q", w.Kind, w.Name) }

// result is a finding about a workload at its pod labels.
func result(w *reach.Workload, msg string) rule.Result {
	return rule.Result{Object: w.Obj, Path: labelsPath(w), Message: msg}
}

func labelSet(l map[string]string) labels.Set { return labels.Set(l) }
