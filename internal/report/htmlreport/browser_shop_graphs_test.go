package htmlreport_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserShopGraphs opens `moat scan examples/shop -o html` as a person would and
// checks the two graph tabs the page carries besides the findings: the attack paths
// and the NetworkPolicy connectivity both draw, with their edge tables, and the page
// stays clean (no console error, no request).
func TestBrowserShopGraphs(t *testing.T) {
	chromium(t)
	file := filepath.Join(t.TempDir(), "shop.html")
	out, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./cmd/moat", "scan", "examples/shop", "-o", "html")
	cmd.Dir = "../../.."
	cmd.Stdout = out
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("moat scan: %v", err) // 1 is expected: the shop has high findings
		}
	}
	out.Close()
	p := open(t, file)
	for _, g := range []string{"paths", "network"} {
		p.do(chromedp.Click(chromedp.CSS("#tab-graph-tab-" + g)))
		p.waitFor(`document.querySelector('#graph-` + g + `[data-drawn] canvas') !== null`)
		drawn := eval[int](p, `Number(document.querySelector('#graph-`+g+`').getAttribute('data-drawn'))`)
		rows := eval[int](p, `document.querySelectorAll('#panel-graph-tab-`+g+` tbody tr').length`)
		if drawn == 0 || rows == 0 {
			t.Errorf("%s graph: %d nodes drawn, %d edges listed; want both", g, drawn, rows)
		}
		p.screenshot("shop-" + g + ".png")
	}
	p.checkClean()
}
