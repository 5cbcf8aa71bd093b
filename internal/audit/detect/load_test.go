package detect

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/moat-dev/moat/internal/audit"
)

func TestDefaultPackCompiles(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules) < 45 {
		t.Errorf("default pack has %d rules, want at least 45", len(s.Rules))
	}
	seen := map[string]bool{}
	for _, r := range s.Rules {
		if seen[r.ID] {
			t.Errorf("rule %s twice", r.ID)
		}
		seen[r.ID] = true
		if !strings.HasPrefix(r.ID, "audit/") || r.Desc == "" || len(r.MITRE) == 0 {
			t.Errorf("rule %s: id must start with audit/ and desc and mitre are required", r.ID)
		}
	}
}

func TestUserFilesExtendListsAndAddRules(t *testing.T) {
	dir := t.TempDir()
	user := `
- list: trusted_users
  append: true
  items: [ci-deployer]
- macro: in_shop
  condition: ns == "shop"
- id: custom/shop-secret-read
  title: Secret of the shop read
  desc: any read of a shop secret
  match: {verbs: [get], resources: [secrets]}
  condition: in_shop && !trusted
  output: '{username} read {name}'
  severity: low
  mitre: [T1552.007]
- id: audit/loadbalancer-service
  enabled: false
`
	if err := os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte(user), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(s.Lists["trusted_users"], "ci-deployer") || !slices.Contains(s.Lists["trusted_users"], "system:kube-scheduler") {
		t.Errorf("trusted_users = %v", s.Lists["trusted_users"])
	}
	ids := map[string]bool{}
	for _, r := range s.Rules {
		ids[r.ID] = true
	}
	if !ids["custom/shop-secret-read"] || ids["audit/loadbalancer-service"] {
		t.Errorf("user rule missing or disabled rule still there")
	}
	e := NewEngine(s, 0)
	for user, want := range map[string]int{"alice": 1, "ci-deployer": 0} {
		ev := &audit.Event{Verb: "get", Stage: "ResponseComplete", User: authnv1.UserInfo{Username: user},
			ObjectRef:      &auditv1.ObjectReference{Resource: "secrets", Namespace: "shop", Name: "db"},
			ResponseStatus: &metav1.Status{Code: 200}}
		n := 0
		e.Eval(ev, func(a audit.Alert) {
			if a.Rule == "custom/shop-secret-read" {
				n++
			}
		})
		if n != want {
			t.Errorf("%s: %d alerts of the user rule, want %d", user, n, want)
		}
	}
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"bad CEL", "- id: x/y\n  title: T\n  severity: low\n  output: o\n  mitre: [T1]\n  condition: >-\n    verb == \n", "f.yaml:6: rule x/y: condition does not compile"},
		{"unknown variable", "- id: x/y\n  title: T\n  severity: low\n  output: o\n  mitre: [T1]\n  condition: nosuch == 1\n", "f.yaml:6: rule x/y: condition does not compile: ERROR: <input>:1:1: undeclared reference to 'nosuch'"},
		{"not bool", "- id: x/y\n  title: T\n  severity: low\n  output: o\n  mitre: [T1]\n  condition: verb\n", "f.yaml:6: rule x/y: condition does not compile: gives string, want bool"},
		{"bad severity", "\n- id: x/y\n  title: T\n  severity: urgent\n  output: o\n  condition: 'true'\n", "f.yaml:2: rule x/y: severity"},
		{"bad placeholder", "- id: x/y\n  title: T\n  severity: low\n  condition: 'true'\n  output: '{nope}'\n", "f.yaml:5: rule x/y: output: unknown placeholder {nope}"},
		{"macro cycle", "- macro: a\n  condition: b\n- macro: b\n  condition: a\n- id: x/y\n  title: T\n  severity: low\n  output: o\n  condition: a\n", "f.yaml:9: rule x/y: condition: macro a refers to itself"},
		{"append to nothing", "- list: l\n  append: true\n  items: [a]\n", "f.yaml:1: append to list \"l\""},
		{"yaml syntax", "- id: x\n  title: [\n", "f.yaml:"},
		{"duplicate id", "- id: x/y\n  title: T\n  severity: low\n  output: o\n  condition: 'true'\n- id: x/y\n  title: T\n  severity: low\n  output: o\n  condition: 'true'\n", "f.yaml:6: rule x/y is defined twice (first at f.yaml:1)"},
		{"bad stage", "- id: x/y\n  title: T\n  severity: low\n  output: o\n  stages: [Done]\n  condition: 'true'\n", "f.yaml:1: rule x/y: stage \"Done\""},
		{"refused twice", "- id: x/y\n  title: T\n  severity: low\n  output: o\n  condition: 'true'\n  refused: {self: true, none: because}\n", "f.yaml:1: rule x/y: refused needs exactly one of"},
		{"refused by itself", "- id: x/y\n  title: T\n  severity: low\n  output: o\n  condition: 'true'\n  refused: {by: x/y}\n", "f.yaml:1: rule x/y: refused: by names the rule itself"},
		{"refused by nothing", "- id: x/y\n  title: T\n  severity: low\n  output: o\n  condition: 'true'\n  refused: {by: x/z}\n", "f.yaml:1: rule x/y: refused: by names x/z, which is not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadBytes(map[string][]byte{"f.yaml": []byte(c.src)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestUserRuleThatDoesNotCompileFailsLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "broken.yaml")
	src := "# mine\n- id: custom/broken\n  title: Broken\n  severity: high\n  output: x\n  condition: verb == 'get' &&\n"
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), p+":6: rule custom/broken: condition does not compile") {
		t.Fatalf("err = %v", err)
	}
}

func TestExpand(t *testing.T) {
	s := &Set{Lists: map[string][]string{"l": {"a", `b"c`}}, Macros: map[string]string{"m": "x in l", "n": "m && m"}}
	cases := map[string]string{
		`n`:                   `((x in ["a", "b\"c"]) && (x in ["a", "b\"c"]))`,
		`"l" + 'm' + l`:       `"l" + 'm' + ["a", "b\"c"]`,
		`obj.l && obj . m`:    `obj.l && obj . m`,
		`r"l\" + l`:           `r"l\" + ["a", "b\"c"]`,
		`"""l "m" """ == m_2`: `"""l "m" """ == m_2`,
		`lx + xl + l[0]`:      `lx + xl + ["a", "b\"c"][0]`,
	}
	for in, want := range cases {
		got, err := expand(in, s)
		if err != nil || got != want {
			t.Errorf("expand(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestRateStateIsBounded(t *testing.T) {
	st := newRateState(&Rate{Count: 3, Window: time.Minute}, 100)
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := range 10000 {
		st.hit(fmt.Sprintf("user-%d", i), t0)
	}
	if st.Len() != 100 {
		t.Errorf("%d users tracked, want 100", st.Len())
	}
	// Three hits within the window fire once; the count starts again after.
	var fired []int
	for i := range 7 {
		if st.hit("eve", t0.Add(time.Duration(i)*time.Second)) {
			fired = append(fired, i)
		}
	}
	if !slices.Equal(fired, []int{2, 5}) {
		t.Errorf("fired at %v, want [2 5]", fired)
	}
	// Hits spread wider than the window never fire.
	for i := range 10 {
		if st.hit("slow", t0.Add(time.Duration(i)*40*time.Second)) {
			t.Errorf("slow user fired at hit %d", i)
		}
	}
}
