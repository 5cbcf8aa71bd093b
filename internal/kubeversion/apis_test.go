package kubeversion

import (
	"bufio"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// What charts see in .Capabilities.APIVersions for a release: the data file's list for
// a release Moat has one for, and for another the nearest list changed by what the
// API lifecycle tags say happened in between.
func TestAPIVersions(t *testing.T) {
	tests := []struct {
		name      string
		minor     int
		has, lack []string
	}{
		{"1.37, from its data file", 37,
			[]string{"v1", "v1/Pod", "apps/v1/Deployment", "policy/v1", "policy/v1/PodDisruptionBudget", "batch/v1/CronJob", "networking.k8s.io/v1/Ingress"},
			[]string{"policy/v1beta1", "policy/v1beta1/PodDisruptionBudget", "batch/v1beta1/CronJob", "extensions/v1beta1/Ingress"}},
		{"1.24 still serves the betas removed in 1.25", 24,
			[]string{"policy/v1/PodDisruptionBudget", "policy/v1beta1/PodDisruptionBudget", "policy/v1beta1", "batch/v1beta1/CronJob", "discovery.k8s.io/v1beta1/EndpointSlice"},
			[]string{"networking.k8s.io/v1beta1/Ingress", "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy"}},
		{"1.20 has no policy/v1 yet", 20,
			[]string{"policy/v1beta1/PodDisruptionBudget", "batch/v1beta1/CronJob", "networking.k8s.io/v1/Ingress"},
			[]string{"policy/v1", "policy/v1/PodDisruptionBudget", "batch/v1/CronJob"}},
		{"a release after the newest file keeps its list", 40,
			[]string{"apps/v1/Deployment", "policy/v1/PodDisruptionBudget"},
			[]string{"policy/v1beta1/PodDisruptionBudget"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := APIVersions(Version{Major: 1, Minor: tt.minor})
			if !slices.IsSorted(got) {
				t.Error("not sorted")
			}
			for _, h := range tt.has {
				if !slices.Contains(got, h) {
					t.Errorf("lacks %q", h)
				}
			}
			for _, l := range tt.lack {
				if slices.Contains(got, l) {
					t.Errorf("has %q", l)
				}
			}
		})
	}
}

// adjust applies what the tags say changed between two releases, and only that: a
// kind the file leaves out for its own reasons stays out.
func TestAdjust(t *testing.T) {
	set := map[string]bool{"g/v1": true, "g/v1/New": true, "g/v1/Old": true, "h/v1": true, "h/v1/Gone": true, "v1": true, "v1/Pod": true, "x/v1": true}
	tags := map[schema.GroupVersionKind]lifecycle{
		{Group: "g", Version: "v1", Kind: "New"}:       {introduced: 30},
		{Group: "g", Version: "v1", Kind: "Old"}:       {introduced: 10},
		{Group: "h", Version: "v1", Kind: "Gone"}:      {introduced: 28},
		{Group: "b", Version: "v1beta1", Kind: "Back"}: {introduced: 15, removed: 25},
		{Group: "c", Version: "v1beta1", Kind: "Off"}:  {introduced: 26, removed: 29}, // a beta since 1.24: off by default
		{Group: "a", Version: "v1alpha1", Kind: "Al"}:  {introduced: 10},
		{Group: "", Version: "v1", Kind: "Pod"}:        {introduced: 1},
		{Group: "n", Version: "v1", Kind: "Hidden"}:    {introduced: 10}, // not in the file, served both times
	}
	got := adjust(set, 37, 20, tags)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"b/v1beta1", "b/v1beta1/Back", "g/v1", "g/v1/Old", "v1", "v1/Pod", "x/v1"}
	if !slices.Equal(keys, want) {
		t.Errorf("adjust to 1.20 = %q, want %q", keys, want)
	}
}

// The data files are what the package comment says: sorted, one entry a line, each
// "group/version", "v1", or either followed by /Kind, with no duplicates.
func TestAPIVersionsDataFiles(t *testing.T) {
	files, _ := fs.Glob(data, "data/*/api-versions.txt")
	if len(files) == 0 {
		t.Fatal("no data/*/api-versions.txt")
	}
	for _, f := range files {
		b, err := fs.ReadFile(data, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(path.Base(path.Dir(f))); err != nil {
			t.Errorf("%s: directory is not a release: %v", f, err)
		}
		var entries []string
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			parts := strings.Split(line, "/")
			if len(parts) > 3 || parts[len(parts)-1] == "" || strings.ContainsAny(line, " \t") {
				t.Errorf("%s:%d: %q is no API version", f, n, line)
			}
			entries = append(entries, line)
		}
		if !slices.IsSorted(entries) || len(slices.Compact(slices.Clone(entries))) != len(entries) {
			t.Errorf("%s: entries not sorted or repeated", f)
		}
	}
}
