package decoders

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
)

// The inputs: DENSE, a file of bench/gen (default: the 10,000-object dense mix that
// bench/run.sh writes), and REVIEW, an AdmissionReview of bench/admission -write.
func inputs(tb testing.TB) (dense, review string) {
	dense, review = os.Getenv("DENSE"), os.Getenv("REVIEW")
	if dense == "" {
		dense = "../out/dense-n10000-seed1.yaml"
	}
	for _, p := range []string{dense, review} {
		if _, err := os.Stat(p); p == "" || err != nil {
			tb.Skipf("inputs missing (DENSE=%q REVIEW=%q): see README.md", dense, review)
		}
	}
	return dense, review
}

var (
	loadOnce sync.Once
	dense    []Doc
	adm      Doc
)

func load(tb testing.TB) {
	densePath, reviewPath := inputs(tb)
	loadOnce.Do(func() {
		var err error
		if dense, err = LoadDense(densePath); err != nil {
			panic(err)
		}
		if adm, err = LoadAdmission(reviewPath); err != nil {
			panic(err)
		}
	})
}

// moatsDecoder is the candidate Moat uses: it must agree with the reference.
const moatsDecoder = "jsoniter-moat"

func safe(c Candidate, js []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Unmarshal(js, v)
}

var exportAll = cmp.Exporter(func(reflect.Type) bool { return true })

func TestCorrectness(t *testing.T) {
	load(t)
	all := append(append([]Doc{}, dense...), adm)
	kinds := map[string]int{}
	for _, d := range all {
		kinds[d.GVK.Kind]++
	}
	t.Logf("docs=%d kinds=%v admission pod JSON bytes=%d", len(all), kinds, len(adm.JSON))
	var total int
	for _, d := range all {
		total += len(d.JSON)
	}
	t.Logf("dense JSON bytes total=%d", total-len(adm.JSON))
	ref := Candidates[0]
	refs := make([]any, len(all))
	for i, d := range all {
		refs[i] = d.New()
		if err := ref.Unmarshal(d.JSON, refs[i]); err != nil {
			t.Fatalf("ref error on doc %d: %v", i, err)
		}
	}
	for _, c := range Candidates[1:] {
		var errs, semMis, reflMis int
		var example string
		kindsMis := map[string]int{}
		for i, d := range all {
			v := d.New()
			if err := safe(c, d.JSON, v); err != nil {
				errs++
				if example == "" {
					example = fmt.Sprintf("doc %d %s: error %v", i, d.GVK.Kind, err)
				}
				continue
			}
			sem := equality.Semantic.DeepEqual(refs[i], v)
			refl := reflect.DeepEqual(refs[i], v)
			if !sem {
				semMis++
			}
			if !refl {
				reflMis++
				kindsMis[d.GVK.Kind]++
				if example == "" {
					diff := cmp.Diff(refs[i], v, exportAll)
					if len(diff) > 1500 {
						diff = diff[:1500]
					}
					example = fmt.Sprintf("doc %d %s (semantic equal=%v):\n%s", i, d.GVK.Kind, sem, diff)
				}
			}
		}
		t.Logf("%-20s errors=%d semanticMismatch=%d reflectMismatch=%d byKind=%v", c.Name, errs, semMis, reflMis, kindsMis)
		if c.Name == moatsDecoder && errs+reflMis > 0 {
			t.Errorf("%s disagrees with the reference on %d documents", c.Name, errs+reflMis)
		}
		if example != "" {
			t.Logf("  example: %s", example)
		}
	}
}

// Edge cases: each input decoded into the given type by every candidate, compared with the reference.
func TestEdgeCases(t *testing.T) {
	type tc struct {
		name, kind, js string
	}
	cases := []tc{
		{"case-variant key", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"Name":"x","name":"y"},"Spec":{"hostNetwork":true}}`},
		{"case-variant only", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"NAME":"x"},"spec":{"HostPID":true}}`},
		{"duplicate key", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b"},"spec":{"hostNetwork":true,"hostNetwork":false}}`},
		{"unknown fields", "Pod", `{"apiVersion":"v1","kind":"Pod","bogus":{"x":[1,2,{"y":null}]},"metadata":{"name":"a","zzz":1}}`},
		{"quantity", "Pod", `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"100m","memory":"1Gi"},"requests":{"cpu":0.5,"memory":1048576}}}]}}`},
		{"intstr", "Deployment", `{"apiVersion":"apps/v1","kind":"Deployment","spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}}}}`},
		{"intstr float", "Deployment", `{"apiVersion":"apps/v1","kind":"Deployment","spec":{"strategy":{"rollingUpdate":{"maxUnavailable":1.5}}}}`},
		{"time", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":"2025-03-01T08:41:37Z","deletionTimestamp":null}}`},
		{"time bad", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":"yesterday"}}`},
		{"null scalars", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":null,"labels":null},"spec":{"hostNetwork":null,"containers":null}}`},
		{"empty list/map", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{}},"spec":{"containers":[]}}`},
		{"int as float", "Deployment", `{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":3.0}}`},
		{"int as exp", "Deployment", `{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":3e0}}`},
		{"int overflow", "Deployment", `{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":4294967296}}`},
		{"string for int", "Deployment", `{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":"3"}}`},
		{"bool for string", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":true}}`},
		{"invalid utf8", "Pod", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\xffb\"}}"},
		{"raw ctl char", "Pod", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\tb\"}}"},
		{"escapes", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a\u00e9\ud83d\ude00\n\"b"}}`},
		{"lone surrogate", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a\ud800b"}}`},
		{"secret bytes", "Secret", `{"apiVersion":"v1","kind":"Secret","data":{"k":"aGVsbG8=","n":null}}`},
		{"secret bad base64", "Secret", `{"apiVersion":"v1","kind":"Secret","data":{"k":"aGVsbG8"}}`},
		{"trailing garbage", "Pod", `{"apiVersion":"v1","kind":"Pod"} x`},
		{"truncated", "Pod", `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"c"`},
		{"truncated intstr", "Deployment", `{"apiVersion":"apps/v1","kind":"Deployment","spec":{"strategy":{"rollingUpdate":{"maxSurge":`},
		{"big label count", "Pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{"a":"1","b":"2"}},"spec":{"securityContext":{"runAsUser":-1,"sysctls":[{"name":"x","value":"1"}]}}}`},
		{"probe port", "Pod", `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"c","livenessProbe":{"httpGet":{"port":"http"}},"readinessProbe":{"tcpSocket":{"port":8080}}}]}}`},
	}
	types := map[string]Doc{}
	load(t)
	for _, d := range append(dense, adm) {
		types[d.GVK.Kind] = d
	}
	ref := Candidates[0]
	summary := map[string][]string{}
	for _, c := range cases {
		d := types[c.kind]
		r := d.New()
		rerr := safe(ref, []byte(c.js), r)
		var line []string
		for _, cand := range Candidates[1:] {
			v := d.New()
			err := safe(cand, []byte(c.js), v)
			var res string
			switch {
			case (rerr == nil) != (err == nil):
				res = fmt.Sprintf("ERR-DIFF(ref=%v, got=%v)", short(rerr), short(err))
			case err != nil:
				res = "both-err"
			case !reflect.DeepEqual(r, v):
				res = "VALUE-DIFF: " + short(fmt.Errorf("%s", cmp.Diff(r, v, exportAll)))
			default:
				res = "ok"
			}
			if res != "ok" && res != "both-err" {
				summary[cand.Name] = append(summary[cand.Name], c.name)
				// Moat sends JSON with invalid UTF-8 or a control character to the
				// reference (inventory's plainJSON), so json-iterator never reads it.
				if cand.Name == moatsDecoder && plainJSON([]byte(c.js)) {
					t.Errorf("%s: %s on %s", cand.Name, res, c.name)
				}
			}
			line = append(line, fmt.Sprintf("    %-20s %s", cand.Name, res))
		}
		t.Logf("%s (ref err=%v):\n%s", c.name, short(rerr), strings.Join(line, "\n"))
	}
	names := make([]string, 0, len(summary))
	for n := range summary {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("SUMMARY %-20s differs on: %s", n, strings.Join(summary[n], "; "))
	}
}

func short(err error) string {
	if err == nil {
		return "nil"
	}
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 220 {
		s = s[:220] + "..."
	}
	return s
}

func BenchmarkDense(b *testing.B) {
	load(b)
	benchCandidates(b, dense)
}

func BenchmarkAdmission(b *testing.B) {
	load(b)
	benchCandidates(b, []Doc{adm})
}

// benchCandidates decodes docs with each candidate (those named in ONLY, when it is
// set), reporting the process's CPU time per op beside the wall time.
func benchCandidates(b *testing.B, docs []Doc) {
	var size int64
	for _, d := range docs {
		size += int64(len(d.JSON))
	}
	for _, c := range Candidates {
		if os.Getenv("ONLY") != "" && !strings.Contains(os.Getenv("ONLY"), c.Name) {
			continue
		}
		b.Run(strings.ReplaceAll(c.Name, "/", "_"), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			c0 := cpuNow()
			for i := 0; i < b.N; i++ {
				for j := range docs {
					if err := c.Unmarshal(docs[j].JSON, docs[j].New()); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuNow is the process's user+system CPU time in ns (all threads, GC included).
func cpuNow() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// plainJSON re-states Moat's guard in internal/inventory (no byte < 0x20, valid
// UTF-8): JSON that fails it is decoded by the reference.
func plainJSON(js []byte) bool {
	for _, x := range js {
		if x < 0x20 {
			return false
		}
	}
	return utf8.Valid(js)
}

func BenchmarkPlainJSONScan(b *testing.B) {
	load(b)
	b.ReportAllocs()
	c0 := cpuNow()
	for i := 0; i < b.N; i++ {
		for j := range dense {
			if !plainJSON(dense[j].JSON) {
				b.Fatal("not plain")
			}
		}
	}
	b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
}
