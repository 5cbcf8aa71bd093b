package htmlreport_test

// These tests open reports in a real headless Chromium (Debian's, driven over the
// DevTools protocol by chromedp) from file://, and use them as a person would: tabs,
// filters, the search box, the keyboard. They skip when no chromium is on PATH, unless
// MOAT_BROWSER is set (CI sets it after make browser-deps), and in -short mode.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	_ "github.com/moat-dev/moat/internal/catalog" // fills the rule registry, as moat does
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/report/htmlreport"
	"github.com/moat-dev/moat/internal/scan"
)

// chromium finds the browser or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	required := os.Getenv("MOAT_BROWSER") != ""
	if testing.Short() && !required {
		t.Skip("browser test skipped in -short mode")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if required {
		t.Fatal("MOAT_BROWSER is set and no chromium is on PATH (make browser-deps installs Debian's)")
	}
	t.Skip("no chromium on PATH: browser test skipped (make browser-deps installs Debian's; MOAT_BROWSER=1 makes this a failure)")
	return ""
}

// tab is one page open in the browser, with what it logged and requested.
type tab struct {
	t   *testing.T
	ctx context.Context
	url string

	mu       sync.Mutex
	problems []string // console errors, uncaught exceptions, browser log errors (CSP)
	requests []string // every URL the page asked for, the page's own included
}

func open(t *testing.T, file string) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.WindowSize(1400, 1000),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with it
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	p := &tab{t: t, ctx: ctx, url: "file://" + abs}
	if err := chromedp.Listen(ctx, p.record); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	p.do(chromedp.Navigate(p.url), chromedp.WaitReady(chromedp.CSS(`html[data-ready="true"]`)))
	return p
}

func (p *tab) record(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, ev.Request.URL)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			p.problems = append(p.problems, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		p.problems = append(p.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			p.problems = append(p.problems, fmt.Sprintf("log (%s): %s", ev.Entry.Source, ev.Entry.Text))
		}
	}
}

// The waits are generous: go test runs packages side by side, and a page drawing a
// graph on a 2-core machine busy with the others took over 10 seconds.
func (p *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("browser: %v (problems so far: %v)", err, p.logged())
	}
}

func eval[T any](p *tab, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor waits until the expression is true.
func (p *tab) waitFor(js string) {
	p.t.Helper()
	p.do(chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(45*time.Second)))
}

// waitVisible waits until the findings table says n rows (findings or root causes) match.
func (p *tab) waitVisible(n int) {
	p.t.Helper()
	js := fmt.Sprintf(`document.getElementById('app').dataset.visible === %q`, fmt.Sprint(n))
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js)); err != nil {
		got := eval[string](p, `document.getElementById('app').dataset.visible`)
		p.t.Fatalf("want %d matching rows, the page says %s", n, got)
	}
}

// shownFindings are the indexes (in report order) of the finding rows on the page.
func (p *tab) shownFindings() []int {
	return eval[[]int](p, `[...document.querySelectorAll('#findings-rows tr.row[data-kind=f]')].map(r => +r.dataset.i)`)
}

func (p *tab) logged() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.problems)
}

// checkClean asserts that the page logged no error and requested nothing but itself.
func (p *tab) checkClean() {
	p.t.Helper()
	for _, m := range p.logged() {
		p.t.Errorf("page logged: %s", m)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) == 0 {
		p.t.Error("saw no request at all: are network events recorded?")
	}
	for _, u := range p.requests {
		if u != p.url {
			p.t.Errorf("page requested %s", u)
		}
	}
}

// screenshot writes the page as PNG to testdata/out (ignored by git) and logs where.
func (p *tab) screenshot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "out"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// scanToHTML scans paths through the scan API and renders the report through the
// findings formats, as moat scan -o html does.
func scanToHTML(t *testing.T, out string, paths ...string) []finding.Finding {
	t.Helper()
	ctx := context.Background()
	loaded, err := scan.Load(ctx, scan.Input{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	res := scan.NewEvaluator(scan.Options{ToolVersion: "test"}).Evaluate(ctx, loaded.Inventory)
	r, err := report.Findings.New("html", report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := r.Render(f, &res.Report); err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

// haystack is the text the page's search looks in, lower case: the message, rule,
// title, resource, field and location.
func haystack(f finding.Finding) string {
	loc := ""
	if f.Source != nil {
		loc = f.Source.String()
	}
	return strings.ToLower(strings.Join([]string{f.Message, f.RuleID, f.Title, f.Resource.String(), f.Path, loc}, "\n"))
}

func indexesWhere(fs []finding.Finding, keep func(finding.Finding) bool) []int {
	var out []int
	for i, f := range fs {
		if keep(f) {
			out = append(out, i)
		}
	}
	return out
}

func TestBrowserShopReport(t *testing.T) {
	chromium(t)
	file := filepath.Join(t.TempDir(), "shop.html")
	fs := scanToHTML(t, file, "../../../examples/shop")
	if len(fs) < 100 {
		t.Fatalf("examples/shop gave %d findings; the test wants a realistic report", len(fs))
	}
	p := open(t, file)
	if title := eval[string](p, `document.title`); title != "Moat scan report" {
		t.Errorf("title %q", title)
	}
	p.screenshot("shop-summary.png")

	p.do(chromedp.Click(chromedp.CSS("#tab-findings")))
	p.waitVisible(len(fs))
	if rows := p.shownFindings(); len(rows) != min(100, len(fs)) {
		t.Errorf("%d rows drawn of %d findings; want one page of 100", len(rows), len(fs))
	}

	t.Run("choosing a severity filter shows only that severity", func(t *testing.T) {
		critical := indexesWhere(fs, func(f finding.Finding) bool { return f.Severity == finding.Critical })
		// The keyboard chooses: "c" picks "critical" in the focused list.
		p.do(chromedp.Focus(chromedp.CSS("#f-sev")), chromedp.KeyEvent("c"))
		p.waitVisible(len(critical))
		if got := p.shownFindings(); !slices.Equal(got, critical) {
			t.Errorf("rows %v, want the critical findings %v", got, critical)
		}
	})

	const query = "log-shipper"
	t.Run("typing in the search box narrows the rows", func(t *testing.T) {
		want := indexesWhere(fs, func(f finding.Finding) bool {
			return f.Severity == finding.Critical && strings.Contains(haystack(f), query)
		})
		p.do(chromedp.SendKeys(chromedp.CSS("#f-q"), query))
		p.waitVisible(len(want))
		if got := p.shownFindings(); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("rows %v, want %v", got, want)
		}
	})

	t.Run("all severities with the search kept", func(t *testing.T) {
		want := indexesWhere(fs, func(f finding.Finding) bool { return strings.Contains(haystack(f), query) })
		p.do(chromedp.Focus(chromedp.CSS("#f-sev")), chromedp.KeyEvent("a")) // "all"
		p.waitVisible(len(want))
		if got := p.shownFindings(); !slices.Equal(got, want[:min(100, len(want))]) {
			t.Errorf("rows %v, want %v", got, want)
		}
	})

	t.Run("a row opens from the keyboard with its remediation and source lines", func(t *testing.T) {
		first := p.shownFindings()[0]
		f := fs[first]
		p.do(chromedp.Focus(chromedp.CSS("#findings-rows tr.row")), chromedp.KeyEvent(kb.Enter))
		p.waitFor(`document.querySelector('#findings-rows tr.detail') !== null`)
		detail := eval[string](p, `document.querySelector('#findings-rows tr.detail').textContent`)
		if !strings.Contains(detail, f.Remediation) || !strings.Contains(detail, f.Message) {
			t.Errorf("detail lacks the remediation or the message: %s", detail)
		}
		if f.Source == nil || f.Source.Line == 0 {
			t.Fatalf("finding %d has no line to show", first)
		}
		hit := eval[string](p, `(document.querySelector('#findings-rows tr.detail pre.snippet .hit') || {}).textContent || ''`)
		if want := fmt.Sprint(f.Source.Line) + sourceLine(t, f.Source.File, f.Source.Line); hit != want {
			t.Errorf("highlighted line %q, want %q", hit, want)
		}
		p.screenshot("shop-findings.png")
		// Arrow down moves to the next finding's row, past the open detail.
		p.do(chromedp.KeyEvent(kb.ArrowDown))
		if got := eval[string](p, `document.activeElement.dataset.i`); got != fmt.Sprint(p.shownFindings()[1]) {
			t.Errorf("focus went to row %s, want the second finding's", got)
		}
	})

	t.Run("grouping by root cause shows one row a field", func(t *testing.T) {
		p.do(chromedp.Click(chromedp.CSS("button.clear")))
		p.waitVisible(len(fs))
		p.do(chromedp.Click(chromedp.CSS("#f-group")))
		p.waitVisible(len(finding.RootCauses(fs)))
		p.do(chromedp.Click(chromedp.CSS("#f-group")))
		p.waitVisible(len(fs))
	})

	t.Run("sorting by rule", func(t *testing.T) {
		p.do(chromedp.Click(chromedp.CSS(`th[data-key=rule] button`)))
		p.waitFor(`document.querySelector('th[data-key=rule]').getAttribute('aria-sort') === 'ascending'`)
		ids := make([]string, len(fs))
		for i, f := range fs {
			ids[i] = f.RuleID
		}
		slices.Sort(ids)
		if got := fs[p.shownFindings()[0]].RuleID; got != ids[0] {
			t.Errorf("first row's rule %s, want %s", got, ids[0])
		}
	})

	t.Run("compliance shows the Pod Security level of the namespace", func(t *testing.T) {
		want := "restricted"
		for _, f := range fs {
			if f.Resource.Namespace == "shop" && f.Suppressed == nil {
				if strings.HasPrefix(f.Frameworks.PSS, "baseline/") {
					want = "privileged"
				} else if strings.HasPrefix(f.Frameworks.PSS, "restricted/") && want == "restricted" {
					want = "baseline"
				}
			}
		}
		p.do(chromedp.Click(chromedp.CSS("#tab-compliance")))
		got := eval[string](p, `[...document.querySelectorAll('#panel-compliance tr')].find(r => r.cells[0] && r.cells[0].textContent === 'shop').cells[1].textContent`)
		if got != want {
			t.Errorf("shop meets %q, want %q", got, want)
		}
		p.screenshot("shop-compliance.png")
	})

	t.Run("dark mode follows the system's colour scheme", func(t *testing.T) {
		p.emulate("", "dark")
		if bg := eval[string](p, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(13, 17, 23)" {
			t.Errorf("dark background %s", bg)
		}
		p.do(chromedp.Click(chromedp.CSS("#tab-findings")))
		p.screenshot("shop-dark.png")
		p.emulate("", "light")
	})

	t.Run("print shows every section and no controls", func(t *testing.T) {
		p.emulate("print", "light")
		shown := eval[[]string](p, `['[role=tablist]', '.filters', '.pager', '#panel-summary', '#panel-compliance', '#panel-findings']
			.map(s => getComputedStyle(document.querySelector(s)).display)`)
		if want := []string{"none", "none", "none", "block", "block", "block"}; !slices.Equal(shown, want) {
			t.Errorf("print display of tabs, filters, pager, panels: %v, want %v", shown, want)
		}
		p.emulate("", "light")
	})
	p.checkClean()
}

// emulate sets the CSS media type ("print", or "" for the screen) and colour scheme.
func (p *tab) emulate(media, scheme string) {
	p.t.Helper()
	_, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Media:    media,
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	if err != nil {
		p.t.Fatalf("emulate media: %v", err)
	}
}

// sourceLine is line n of the file as the page shows it (tabs as four spaces).
func sourceLine(t *testing.T, file string, n int) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	return strings.ReplaceAll(strings.TrimRight(lines[n-1], "\r"), "\t", "    ")
}

func TestBrowserGraphTab(t *testing.T) {
	chromium(t)
	g := htmlreport.Graph{
		ID: "paths", Title: "Attack paths",
		Notes: []string{"Any pod in a namespace may use any of its service accounts."},
		Nodes: []htmlreport.Node{
			{ID: "internet", Kind: "entry", Label: "internet"},
			{ID: "w:shop/web", Kind: "workload", Label: "Deployment shop/web", Namespace: "shop"},
			{ID: "sa:shop/web", Kind: "serviceaccount", Label: "shop/web", Namespace: "shop"},
			{ID: "power:cluster-admin", Kind: "power", Label: "cluster-admin"},
		},
		Edges: []htmlreport.Edge{
			{From: "internet", To: "w:shop/web", Kind: "entry", Evidence: []string{"exposure/load-balancer: Service shop/web has no loadBalancerSourceRanges"}},
			{From: "w:shop/web", To: "sa:shop/web", Kind: "service-account"},
			{From: "sa:shop/web", To: "power:cluster-admin", Kind: "rbac", Evidence: []string{"</script><script>alert(1)</script>"}},
		},
	}
	file := filepath.Join(t.TempDir(), "graph.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := htmlreport.Render(f, htmlreport.Scan{Title: "Attack paths", Graphs: []htmlreport.Graph{g}}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := open(t, file)
	// The only tab is the graph's, open from the start.
	p.waitFor(`document.querySelector('#graph-paths[data-drawn="4"] canvas') !== null`)
	if n := eval[int](p, `document.querySelectorAll('#panel-graph-tab-paths tbody tr').length`); n != len(g.Edges) {
		t.Errorf("edge table has %d rows, want %d", n, len(g.Edges))
	}
	p.do(chromedp.Click(chromedp.CSS(`#panel-graph-tab-paths .toolbar button`))) // zoom in
	p.screenshot("graph.png")
	p.checkClean()
}

// TestBrowserTenThousandFindings renders the dense generator's scan (over 10,000
// findings): the file stays under 10 MB and the page answers a filter within 2 s of
// the start of navigation, as the browser measures it.
func TestBrowserTenThousandFindings(t *testing.T) {
	chromium(t)
	dir := t.TempDir()
	manifests := filepath.Join(dir, "dense.yaml")
	gen := exec.Command("go", "run", "./bench/gen", "-mix", "dense", "-n", "1500")
	gen.Dir = "../../.."
	yaml, err := gen.Output()
	if err != nil {
		t.Fatalf("go run ./bench/gen: %v", err)
	}
	if err := os.WriteFile(manifests, yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "dense.html")
	fs := scanToHTML(t, file, manifests)
	if len(fs) < 10000 {
		t.Fatalf("the generator gave %d findings, want at least 10,000", len(fs))
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d findings: %d bytes (%.1f MB)", len(fs), info.Size(), float64(info.Size())/(1<<20))
	if info.Size() > 10<<20 {
		t.Errorf("report is %d bytes, want at most 10 MB", info.Size())
	}

	p := open(t, file)
	type timing struct {
		Ready, Filtered float64
		Visible, Rows   int
	}
	// Applied as soon as the page says it is ready; the time includes the round trip of
	// the protocol, so it is an upper bound.
	got := eval[timing](p, `(() => {
		const ready = performance.getEntriesByName('moat-ready')[0].startTime;
		const s = document.getElementById('f-sev');
		s.value = '4';
		s.dispatchEvent(new Event('change'));
		return {Ready: ready, Filtered: performance.now(),
			Visible: +document.getElementById('app').dataset.visible,
			Rows: document.querySelectorAll('#findings-rows tr.row').length};
	})()`)
	critical := indexesWhere(fs, func(f finding.Finding) bool { return f.Severity == finding.Critical })
	t.Logf("ready at %.0f ms, filter applied at %.0f ms after navigation start", got.Ready, got.Filtered)
	if got.Visible != len(critical) || got.Rows != min(100, len(critical)) {
		t.Errorf("after the filter: %d matching, %d rows; want %d and %d", got.Visible, got.Rows, len(critical), min(100, len(critical)))
	}
	if got.Filtered > 2000 {
		t.Errorf("filter applied %.0f ms after navigation start, want within 2000", got.Filtered)
	}
	// A search and a sort over every finding, each timed in the page.
	took := eval[float64](p, `(() => {
		const t0 = performance.now();
		const s = document.getElementById('f-sev');
		s.value = '-1';
		s.dispatchEvent(new Event('change'));
		document.querySelector('th[data-key=msg] button').click();
		return performance.now() - t0;
	})()`)
	t.Logf("clearing the filter and sorting %d findings by message: %.0f ms", len(fs), took)
	if took > 1000 {
		t.Errorf("sort took %.0f ms", took)
	}
	p.checkClean()
}
