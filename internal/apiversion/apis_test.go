package apiversion

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/scheme"
)

// lifecycleTagged is what k8s.io/api generates from +k8s:prerelease-lifecycle-gen tags.
type lifecycleTagged interface {
	APILifecycleDeprecated() (major, minor int)
	APILifecycleRemoved() (major, minor int)
}

// notManifests are tagged kinds no manifest holds: subresource bodies, webhook
// payloads and discovery documents.
var notManifests = map[string]bool{
	"Scale": true, "DeploymentRollback": true, "Eviction": true, "AdmissionReview": true,
	"APIGroupDiscovery": true, "JobTemplate": true, "EvictionRequest": true,
	"ConversionReview": true,
}

// TestLifecyclesMatchUpstreamTags checks the table against the lifecycle tags of the
// k8s.io/api types the client-go scheme registers: every kind tagged deprecated by
// LatestMinor is in the table with the same releases.
func TestLifecyclesMatchUpstreamTags(t *testing.T) {
	checked := 0
	for g, typ := range scheme.Scheme.AllKnownTypes() {
		if g.Version == "__internal" || strings.HasSuffix(g.Kind, "List") || notManifests[g.Kind] {
			continue
		}
		obj, err := scheme.Scheme.New(g)
		if err != nil {
			t.Fatalf("%v: %v", g, err)
		}
		tagged, ok := obj.(lifecycleTagged)
		if !ok {
			continue
		}
		_, dep := tagged.APILifecycleDeprecated()
		_, rem := tagged.APILifecycleRemoved()
		if dep == 0 || dep > LatestMinor {
			continue
		}
		checked++
		l, ok := apiLifecycles[g]
		if !ok {
			t.Errorf("%s (%v) is tagged deprecated in 1.%d, removed in 1.%d, and missing from the table", g, typ, dep, rem)
			continue
		}
		if l.Deprecated != dep || l.Removed != rem {
			t.Errorf("%s: table says deprecated 1.%d, removed 1.%d; k8s.io/api says 1.%d and 1.%d", g, l.Deprecated, l.Removed, dep, rem)
		}
	}
	if checked < 40 {
		t.Errorf("only %d tagged kinds checked; the scheme lost its lifecycle tags?", checked)
	}
}

// TestReplacementsAreServed checks that every replacement that names an API version
// names one the scheme knows for the same kind and that is not deprecated itself
// (groups outside client-go's scheme, such as apiextensions.k8s.io, are skipped).
func TestReplacementsAreServed(t *testing.T) {
	for g, l := range apiLifecycles {
		if l.Replacement == "" {
			t.Errorf("%s: no replacement", g)
			continue
		}
		if strings.Contains(l.Replacement, " ") {
			continue // a sentence
		}
		gv := strings.SplitN(l.Replacement, "/", 2)
		group, version := "", gv[0]
		if len(gv) == 2 {
			group, version = gv[0], gv[1]
		}
		r := k(group, version, g.Kind)
		if !scheme.Scheme.IsGroupRegistered(group) {
			continue
		}
		if !scheme.Scheme.Recognizes(r) {
			t.Errorf("%s: replacement %s does not serve %s", g, l.Replacement, g.Kind)
		}
		if rl, ok := apiLifecycles[r]; ok && (rl.removed() || rl.deprecated()) {
			t.Errorf("%s: replacement %s is deprecated or removed itself", g, l.Replacement)
		}
	}
}

// TestLatestMinorMatchesAPIModule keeps LatestMinor equal to the minor version of the
// k8s.io/api module that go.mod requires (v0.37.x → 37).
func TestLatestMinorMatchesAPIModule(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/api v0\.(\d+)\.`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod does not require k8s.io/api")
	}
	if minor, _ := strconv.Atoi(string(m[1])); minor != LatestMinor {
		t.Errorf("go.mod requires k8s.io/api v0.%d but LatestMinor is %d: review apis.go against the new release", minor, LatestMinor)
	}
}

func TestLifecycleStates(t *testing.T) {
	for _, tc := range []struct {
		l                   apiLifecycle
		removed, deprecated bool
	}{
		{apiLifecycle{Deprecated: 8, Removed: 16}, true, false},
		{apiLifecycle{Deprecated: 34, Removed: LatestMinor}, true, false},
		{apiLifecycle{Deprecated: LatestMinor, Removed: LatestMinor + 3}, false, true},
		{apiLifecycle{Deprecated: LatestMinor + 1, Removed: LatestMinor + 4}, false, false},
		{apiLifecycle{Deprecated: 0, Removed: 24}, true, false},
		{apiLifecycle{Deprecated: 30}, false, true},
	} {
		if got := tc.l.removed(); got != tc.removed {
			t.Errorf("%+v removed() = %v, want %v", tc.l, got, tc.removed)
		}
		if got := tc.l.deprecated(); got != tc.deprecated {
			t.Errorf("%+v deprecated() = %v, want %v", tc.l, got, tc.deprecated)
		}
	}
}
