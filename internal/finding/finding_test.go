package finding

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// randomFindings makes findings that tie often on every key Compare reads, so that
// the order of ties (stability) and the source comparison are exercised.
func randomFindings(r *rand.Rand, n int) []Finding {
	pick := func(ss ...string) string { return ss[r.IntN(len(ss))] }
	fs := make([]Finding, n)
	for i := range fs {
		f := &fs[i]
		f.RuleID = pick("pod/a", "pod/b", "netpol/c")
		f.Severity = Severity(r.IntN(5))
		f.Resource = Resource{APIVersion: pick("v1", "apps/v1"), Kind: pick("Pod", "Deployment"), Namespace: pick("", "a", "b"), Name: pick("x", "y")}
		f.Path = pick("", "spec", "spec.volumes[0]", "spec.volumes[0].hostPath.path", "spec.volumes[1]", "spec.containers[0].securityContext", "spec.containers[0].securityContext.privileged", "metadata")
		switch r.IntN(4) {
		case 0:
		case 1:
			f.Source = &Source{File: pick("a.yaml", "b.yaml")}
		default:
			f.Source = &Source{File: pick("a.yaml", "b.yaml"), Line: r.IntN(12)}
		}
		f.Message = pick("m1", "m2")
		f.Title = fmt.Sprint(i) // tells equal findings apart: the order of ties shows
		if r.IntN(5) == 0 {
			f.Suppressed = &Suppression{Kind: "config", Reason: "r"}
		}
	}
	return fs
}

// oldCompare is Compare as it was, building each source's string.
func oldCompare(a, b Finding) int {
	if c := Compare(Finding{Severity: a.Severity, Resource: a.Resource, RuleID: a.RuleID, Path: a.Path}, Finding{Severity: b.Severity, Resource: b.Resource, RuleID: b.RuleID, Path: b.Path}); c != 0 {
		return c
	}
	if c := strings.Compare(a.Source.String(), b.Source.String()); c != 0 {
		return c
	}
	return strings.Compare(a.Message, b.Message)
}

func TestSortIsTheStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 5, 13, 100, 1000, 5000} {
		for k := 0; k < 5; k++ {
			fs := randomFindings(r, n)
			want := slices.Clone(fs)
			slices.SortStableFunc(want, oldCompare)
			Sort(fs)
			if !reflect.DeepEqual(fs, want) {
				t.Fatalf("n=%d: Sort differs from the stable sort", n)
			}
		}
	}
}

func TestPermute(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 50; n++ {
		fs := make([]Finding, n)
		for i := range fs {
			fs[i].Message = fmt.Sprint(i)
		}
		perm := make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		r.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		want := make([]Finding, n)
		for i, p := range perm {
			want[i] = fs[p]
		}
		permute(fs, perm)
		if !reflect.DeepEqual(fs, want) {
			t.Fatalf("n=%d: permute is wrong", n)
		}
	}
}

// oldRootCauses is RootCauses as it was before it grouped indexes.
func oldRootCauses(fs []Finding) []RootCause {
	type key struct {
		res  Resource
		file string
	}
	byResource := map[key][]int{}
	var order []key
	for i, f := range fs {
		k := key{res: f.Resource}
		if f.Source != nil {
			k.file = f.Source.File
		}
		if _, ok := byResource[k]; !ok {
			order = append(order, k)
		}
		byResource[k] = append(byResource[k], i)
	}
	var out []RootCause
	for _, k := range order {
		idx := slices.Clone(byResource[k])
		slices.SortStableFunc(idx, func(a, b int) int { return len(fs[a].Path) - len(fs[b].Path) })
		var groups []RootCause
		for _, i := range idx {
			f := fs[i]
			joined := false
			for g := range groups {
				if sameField(groups[g].Path, f.Path) {
					groups[g].Findings = append(groups[g].Findings, f)
					joined = true
					break
				}
			}
			if !joined {
				groups = append(groups, RootCause{Resource: f.Resource, Path: f.Path, Findings: []Finding{f}})
			}
		}
		for g := range groups {
			groups[g].Severity = oldWorst(groups[g].Findings)
			slices.SortStableFunc(groups[g].Findings, oldCompare)
		}
		slices.SortStableFunc(groups, func(a, b RootCause) int {
			if a.Severity != b.Severity {
				return int(b.Severity) - int(a.Severity)
			}
			return oldCompare(a.Findings[0], b.Findings[0])
		})
		out = append(out, groups...)
	}
	return out
}

func TestRootCausesAsBefore(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 3, 20, 200, 2000} {
		for k := 0; k < 5; k++ {
			fs := randomFindings(r, n)
			if got, want := RootCauses(fs), oldRootCauses(fs); !reflect.DeepEqual(got, want) {
				t.Fatalf("n=%d: RootCauses differs from before", n)
			}
			var open []Finding
			for _, f := range fs {
				if f.Suppressed == nil {
					open = append(open, f)
				}
			}
			if got, want := Summarize(0, fs, 0).RootCauses, len(oldRootCauses(open)); got != want {
				t.Fatalf("n=%d: %d root causes, want %d", n, got, want)
			}
		}
	}
}

func BenchmarkSort(b *testing.B) {
	base := randomFindings(rand.New(rand.NewPCG(7, 8)), 80000)
	fs := make([]Finding, len(base))
	b.ReportAllocs()
	for b.Loop() {
		copy(fs, base)
		Sort(fs)
	}
}

func BenchmarkSummarize(b *testing.B) {
	fs := randomFindings(rand.New(rand.NewPCG(7, 8)), 80000)
	Sort(fs)
	b.ReportAllocs()
	for b.Loop() {
		Summarize(0, fs, 0)
	}
}

// oldWorst is the severity of a root cause as it was computed from its findings.
func oldWorst(fs []Finding) Severity {
	s, any := Info, false
	for _, f := range fs {
		if f.Suppressed == nil && (!any || f.Severity > s) {
			s, any = f.Severity, true
		}
	}
	if !any {
		for _, f := range fs {
			s = max(s, f.Severity)
		}
	}
	return s
}
