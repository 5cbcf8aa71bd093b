// Package rule defines what a rule is — metadata and a pure check — and the registry
// every rule package adds its rules to. Rules read the inventory and nothing else: no
// files, network, globals or clock.
package rule

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
)

// Meta describes a rule to people and reports.
type Meta struct {
	// ID is "domain/slug", stable once released.
	ID          string             `json:"id"`
	Title       string             `json:"title"`
	Severity    finding.Severity   `json:"severity"`
	Description string             `json:"description"`
	Remediation string             `json:"remediation"`
	Frameworks  finding.Frameworks `json:"frameworks"`
	// Kinds are the object kinds the rule looks at, for documentation and admission
	// matching; "*" means any kind.
	Kinds []string `json:"kinds"`
}

// Result is one problem a check found. The engine adds the rule's metadata and the
// object's reference and source position.
type Result struct {
	// Object is what the result is about. Object checks may leave it nil: it is then
	// the object checked.
	Object *inventory.Object
	// Message says what is wrong in words a person can act on.
	Message string
	// Path is the field path, e.g. "spec.template.spec.containers[0].securityContext.privileged".
	Path string
	// Severity, when set, overrides the rule's severity for this result.
	Severity *finding.Severity
	// PSS, when set, overrides the rule's frameworks.pss (LEVEL/CHECKID).
	PSS string
	// Source, when set, is where the problem is instead of the object's source at Path:
	// node checks point at the file whose mode, owner or content is wrong.
	Source *finding.Source
}

// Options are the scan settings a check may depend on.
type Options struct {
	// PSSVersion is the Pod Security Standards version, "v1.N" or "latest".
	PSSVersion string
	// Now is the time that expiry dates are compared with; the engine sets it once per scan
	// so that rules need not read the clock.
	Now time.Time
	// Registries are the image registries the config file allows and denies (images:
	// allowedRegistries, deniedRegistries); empty lists check nothing.
	Registries Registries
}

// Registries are lists of registries, each entry a registry host with its port if any
// ("ghcr.io", "registry.example.com:5000"), a host and a path prefix ("ghcr.io/acme"),
// or a wildcard for the subdomains of a host ("*.example.com"), lower case. Docker
// Hub is "docker.io" (an image written "nginx" is docker.io/library/nginx).
type Registries struct {
	// Allowed, when not empty, are the only registries images may come from.
	Allowed []string
	// Denied are registries no image may come from, whatever Allowed says.
	Denied []string
}

// Context is what a check receives besides its object.
type Context struct {
	Options
	// Inventory is every object of the scan. At admission it holds the one object under review.
	Inventory *inventory.Inventory

	// ctx bounds the evaluation: the engine stops at its end, and checks that loop over
	// many items (containers, rules of a role, pairs of workloads) ask Err as they go.
	ctx context.Context

	mu     sync.Mutex
	shared map[any]*sharedValue
}

type sharedValue struct {
	once sync.Once
	v    any
}

// NewContext is the context of one evaluation of inv (at admission, of one object).
func NewContext(ctx context.Context, opt Options, inv *inventory.Inventory) *Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return &Context{Options: opt, Inventory: inv, ctx: ctx}
}

// Err is non-nil once the evaluation's deadline has passed or it was cancelled: a
// check that loops over many items returns what it has found so far.
func (c *Context) Err() error {
	if c.ctx == nil {
		return nil
	}
	return c.ctx.Err()
}

// Shared returns what build makes for key, building it once per Context however many
// rules ask, concurrently or not. It is for derived, read-only views of the inventory
// that several rules read (the reachability analysis of every NetworkPolicy rule): the
// value lives as long as the scan, so rules stay free of global state. key is a value
// of a type private to the package that asks.
func (c *Context) Shared(key any, build func() any) any {
	c.mu.Lock()
	if c.shared == nil {
		c.shared = map[any]*sharedValue{}
	}
	e, ok := c.shared[key]
	if !ok {
		e = &sharedValue{}
		c.shared[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.v = build() })
	return e.v
}

// Rule is a value: metadata and one or both kinds of check.
type Rule struct {
	Meta
	// Object checks one object alone. Object checks are what admission control runs,
	// so a rule gives the same verdict in CI, at admission and in the cluster.
	Object func(c *Context, o *inventory.Object) []Result
	// Inventory checks relations between objects (a namespace with no NetworkPolicy).
	// It runs once per scan; each Result must name its Object.
	Inventory func(c *Context) []Result
	// CEL is the Object check in CEL, for export as a ValidatingAdmissionPolicy, or
	// why it cannot be written so; nil when neither is written yet.
	CEL *CEL
}

var (
	mu       sync.RWMutex
	registry = map[string]*Rule{}
	idRE     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*/[a-z0-9]+(-[a-z0-9]+)*$`)
)

// Register adds rules to the registry. It panics on a malformed or duplicate ID: that
// is a programming error found by the first test that runs.
func Register(rs ...*Rule) {
	mu.Lock()
	defer mu.Unlock()
	for _, r := range rs {
		if !idRE.MatchString(r.ID) {
			panic(fmt.Sprintf("rule: malformed ID %q (want domain/slug)", r.ID))
		}
		if _, dup := registry[r.ID]; dup {
			panic(fmt.Sprintf("rule: duplicate ID %q", r.ID))
		}
		if r.Object == nil && r.Inventory == nil {
			panic(fmt.Sprintf("rule %s: no check", r.ID))
		}
		registry[r.ID] = r
	}
}

// RegisterMeta adds a rule that has no check of its own: its findings are made
// elsewhere (an expired exception in the config file). It is listed like any rule.
func RegisterMeta(m Meta) {
	mu.Lock()
	defer mu.Unlock()
	if !idRE.MatchString(m.ID) {
		panic(fmt.Sprintf("rule: malformed ID %q (want domain/slug)", m.ID))
	}
	if _, dup := registry[m.ID]; dup {
		panic(fmt.Sprintf("rule: duplicate ID %q", m.ID))
	}
	registry[m.ID] = &Rule{Meta: m}
}

// All returns every registered rule sorted by ID.
func All() []*Rule {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]*Rule, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Get returns the rule with this ID, or nil.
func Get(id string) *Rule {
	mu.RLock()
	defer mu.RUnlock()
	return registry[id]
}
