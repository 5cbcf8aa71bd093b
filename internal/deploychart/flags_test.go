package deploychart

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// TestChartFlagsExist builds moat and checks that every flag the chart passes to a
// component is one that component's command has: a renamed flag fails the release's
// pods at start, which no render or lint sees.
func TestChartFlagsExist(t *testing.T) {
	if testing.Short() {
		t.Skip("builds moat")
	}
	bin := filepath.Join(t.TempDir(), "moat")
	build := exec.Command("go", "build", "-o", bin, "./cmd/moat")
	build.Dir = filepath.Join(chartDir(t), "..", "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/moat: %v\n%s", err, out)
	}
	helpOf := map[string]string{}
	flagRE := regexp.MustCompile(`^--([a-z0-9-]+)`)
	ch := loadChart(t)
	for _, vs := range valueSets {
		r, err := render(ch, vs.decode(t))
		if err != nil {
			t.Fatalf("%s: %v", vs.name, err)
		}
		for _, d := range typed[appsv1.Deployment](t, r, "Deployment") {
			for _, c := range d.Spec.Template.Spec.Containers {
				if len(c.Args) < 2 || c.Args[0] != "serve" {
					t.Errorf("%s: %s/%s runs %q, not moat serve", vs.name, d.Name, c.Name, c.Args)
					continue
				}
				sub := c.Args[1]
				help, ok := helpOf[sub]
				if !ok {
					out, err := exec.Command(bin, "serve", sub, "--help").CombinedOutput()
					if err != nil {
						t.Fatalf("moat serve %s --help: %v\n%s", sub, err, out)
					}
					help, helpOf[sub] = string(out), string(out)
				}
				for _, a := range c.Args[2:] {
					m := flagRE.FindStringSubmatch(a)
					if m == nil {
						t.Errorf("%s: %s: argument %q is not a flag", vs.name, d.Name, a)
						continue
					}
					if !strings.Contains(help, "--"+m[1]+" ") {
						t.Errorf("%s: %s passes --%s, which moat serve %s does not have", vs.name, d.Name, m[1], sub)
					}
				}
			}
		}
	}
	for _, sub := range []string{"operator", "admission", "audit"} {
		if _, ok := helpOf[sub]; !ok {
			t.Errorf("no value set runs moat serve %s", sub)
		}
	}
}
