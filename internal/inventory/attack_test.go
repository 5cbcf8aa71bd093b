//go:build unix

package inventory

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These tests reproduce attacks on the loaders (issue 11): a chart or an overlay
// contributed by someone who wants the scan to hang, to read what is not theirs, to
// reach the network, or to exhaust memory. Each one hung, leaked or fetched before
// the fix.

// loadWithin loads paths or fails the test when that takes longer than d: a FIFO
// that blocks the scan must fail the test, not hang it.
func loadWithin(t *testing.T, d time.Duration, paths []string, opt Options) *Inventory {
	t.Helper()
	done := make(chan *Inventory, 1)
	go func() { done <- Load(paths, opt) }()
	select {
	case inv := <-done:
		return inv
	case <-time.After(d):
		t.Fatalf("Load(%v) did not return within %s", paths, d)
		return nil
	}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func hasString(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"

func TestChartSymlinksOutOfTheChartAreRefused(t *testing.T) {
	t.Setenv("MOAT_TEST_SECRET", "hunter2-secret-value")
	outside := t.TempDir()
	writeFile(t, outside+"/shared.txt", "shared")
	for _, tt := range []struct {
		name, target string
		follow       bool
		want         string // in the error; "" means the chart renders
	}{
		{"the CI job's environment", "/proc/self/environ", false, "a symbolic link to /proc/self/environ, which is never read"},
		{"the environment, even with --follow-symlinks", "/proc/self/environ", true, "which is never read"},
		{"a system file", "/etc/passwd", false, "a symbolic link to /etc/passwd, outside the chart (--follow-symlinks reads it)"},
		{"a file outside the chart", outside + "/shared.txt", false, "outside the chart"},
		{"a file outside the chart with --follow-symlinks", outside + "/shared.txt", true, ""},
		{"a file inside the chart", "../values.yaml", false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir+"/Chart.yaml", "apiVersion: v2\nname: leak\nversion: 0.1.0\n")
			writeFile(t, dir+"/values.yaml", "x: 1\n")
			mkdir(t, dir+"/templates")
			mkdir(t, dir+"/files")
			// Every line of the file becomes the name of a Service: the table prints it.
			writeFile(t, dir+"/templates/svc.yaml", `{{- range $i, $l := .Files.Lines "files/leak" }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $l | quote }}
{{- end }}
`)
			symlink(t, tt.target, dir+"/files/leak")
			inv := loadWithin(t, 30*time.Second, []string{dir}, Options{FollowSymlinks: tt.follow})
			for _, o := range inv.Objects {
				if strings.Contains(o.Name(), "hunter2") || strings.Contains(o.Name(), "root:") {
					t.Errorf("the scan read %q into an object", o.Name())
				}
			}
			errs := errorStrings(inv.Errors)
			if tt.want == "" {
				if len(errs) > 0 || len(inv.Objects) == 0 {
					t.Errorf("errors %q, objects %v: want the chart rendered", errs, describeAll(inv.Objects))
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0], tt.want) || !strings.HasPrefix(errs[0], filepath.ToSlash(dir)+"/files/leak: ") {
				t.Errorf("errors %q, want one naming the link and saying %q", errs, tt.want)
			}
		})
	}
}

func TestChartWithAFIFOIsAnErrorNotAHang(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/Chart.yaml", "apiVersion: v2\nname: fifo\nversion: 0.1.0\n")
	mkdir(t, dir+"/templates")
	mkfifo(t, dir+"/templates/cm.yaml")
	inv := loadWithin(t, 30*time.Second, []string{dir}, Options{})
	if errs := errorStrings(inv.Errors); len(errs) != 1 || errs[0] != filepath.ToSlash(dir)+"/templates/cm.yaml: helm chart: not read: a FIFO, not a regular file" {
		t.Errorf("errors %q", errs)
	}
}

func TestWalkSkipsWhatItMustNotRead(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, outside+"/elsewhere.yaml", fmt.Sprintf(cm, "elsewhere"))
	root := t.TempDir()
	writeFile(t, root+"/ok.yaml", fmt.Sprintf(cm, "ok"))
	mkfifo(t, root+"/x.yaml")
	symlink(t, "/dev/zero", root+"/zero.yaml")
	symlink(t, "/etc/passwd", root+"/passwd.yaml")
	symlink(t, outside+"/elsewhere.yaml", root+"/elsewhere.yaml")
	symlink(t, "ok.yaml", root+"/inside.yaml")
	mkdir(t, root+"/k")
	mkfifo(t, root+"/k/kustomization.yaml") // not a kustomization: a FIFO by that name

	inv := loadWithin(t, 30*time.Second, []string{root}, Options{})
	if len(inv.Errors) > 0 {
		t.Errorf("errors %v", inv.Errors)
	}
	want := []string{
		"v1 ConfigMap ok @ " + filepath.ToSlash(root) + "/inside.yaml:1",
		"v1 ConfigMap ok @ " + filepath.ToSlash(root) + "/ok.yaml:1",
	}
	if got := describeAll(inv.Objects); !sameSet(got, want) {
		t.Errorf("objects %v, want %v", got, want)
	}
	for _, w := range []string{
		"skipped " + filepath.ToSlash(root) + "/x.yaml: a FIFO, not a regular file",
		"skipped " + filepath.ToSlash(root) + "/zero.yaml: a symbolic link to /dev/zero, which is never read",
		"skipped " + filepath.ToSlash(root) + "/passwd.yaml: a symbolic link to /etc/passwd, outside the scanned tree (--follow-symlinks reads it)",
		"elsewhere.yaml, outside the scanned tree",
		"skipped " + filepath.ToSlash(root) + "/k/kustomization.yaml: a FIFO",
	} {
		if !hasString(inv.Warnings, w) {
			t.Errorf("no warning %q in %q", w, inv.Warnings)
		}
	}

	// --follow-symlinks reads the file outside the tree, and still not /dev/zero.
	inv = loadWithin(t, 30*time.Second, []string{root}, Options{FollowSymlinks: true})
	if inv.Find("ConfigMap", "default", "elsewhere") == nil || !hasString(inv.Warnings, "/dev/zero, which is never read") {
		t.Errorf("with FollowSymlinks: objects %v warnings %q", describeAll(inv.Objects), inv.Warnings)
	}
}

func TestKustomizeRefusesFIFOsAndLinksOutOfTheTree(t *testing.T) {
	root := t.TempDir()
	k := func(dir, kust string) string {
		mkdir(t, root+"/"+dir)
		writeFile(t, root+"/"+dir+"/kustomization.yaml", kust)
		return root + "/" + dir
	}
	fifo := k("fifo", "resources: [cm.yaml, fifo.yaml]\n")
	writeFile(t, fifo+"/cm.yaml", fmt.Sprintf(cm, "a"))
	mkfifo(t, fifo+"/fifo.yaml")
	passwd := k("passwd", "resources: [passwd.yaml]\n")
	symlink(t, "/etc/passwd", passwd+"/passwd.yaml")
	env := k("env", "configMapGenerator:\n- name: env\n  files: [environ]\n")
	symlink(t, "/proc/self/environ", env+"/environ")

	for _, tt := range []struct{ dir, want string }{
		{fifo, "fifo/fifo.yaml: not read: a FIFO, not a regular file"},
		{passwd, "passwd/passwd.yaml: a symbolic link to /etc/passwd, outside the scanned tree"},
		{env, "env/environ: a symbolic link to /proc/self/environ, which is never read"},
	} {
		inv := loadWithin(t, 30*time.Second, []string{tt.dir}, Options{FollowSymlinks: strings.Contains(tt.dir, "env")})
		if errs := errorStrings(inv.Errors); len(errs) != 1 || !strings.Contains(errs[0], tt.want) {
			t.Errorf("%s: errors %q, want %q", tt.dir, errs, tt.want)
		}
		if len(inv.Objects) != 0 {
			t.Errorf("%s: objects %v", tt.dir, describeAll(inv.Objects))
		}
	}
}

func TestFilesNamedOnTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	// A FIFO named on the command line is read: `moat scan <(helm template ...)`.
	pipe := dir + "/rendered.yaml"
	mkfifo(t, pipe)
	go func() {
		f, err := os.OpenFile(pipe, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		fmt.Fprintf(f, cm, "piped")
	}()
	inv := loadWithin(t, 30*time.Second, []string{pipe}, Options{})
	if len(inv.Errors) > 0 || inv.Find("ConfigMap", "default", "piped") == nil {
		t.Errorf("FIFO argument: objects %v errors %v", describeAll(inv.Objects), inv.Errors)
	}

	// ... up to a bound: an endless stream stops there with an error.
	defer func(n int64) { maxStreamBytes = n }(maxStreamBytes)
	maxStreamBytes = 4 << 20
	endless := dir + "/endless.yaml"
	mkfifo(t, endless)
	go func() {
		f, err := os.OpenFile(endless, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		fmt.Fprintf(f, cm, "first")
		line := []byte("# " + strings.Repeat("x", 1000) + "\n")
		for {
			if _, err := f.Write(line); err != nil {
				return
			}
		}
	}()
	inv = loadWithin(t, 30*time.Second, []string{endless}, Options{})
	if errs := errorStrings(inv.Errors); len(errs) != 1 || !strings.Contains(errs[0], "larger than 4 MiB; the rest is not read") {
		t.Errorf("endless FIFO: errors %q", errs)
	}

	// Devices are not read, named or not.
	inv = loadWithin(t, 30*time.Second, []string{"/dev/zero"}, Options{})
	if errs := errorStrings(inv.Errors); len(errs) != 1 || errs[0] != "/dev/zero: not read: a character device, not a regular file or a FIFO" {
		t.Errorf("/dev/zero: errors %q", errs)
	}
	// A link named on the command line is followed: the user named it.
	writeFile(t, dir+"/real.yaml", fmt.Sprintf(cm, "linked"))
	symlink(t, dir+"/real.yaml", dir+"/link.yaml")
	if inv := Load([]string{dir + "/link.yaml"}, Options{}); inv.Find("ConfigMap", "default", "linked") == nil {
		t.Errorf("named link: objects %v errors %v", describeAll(inv.Objects), inv.Errors)
	}
}

// countingServer answers every request with body and counts them.
func countingServer(t *testing.T, body string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestChartSchemaRefsReadNoNetworkAndNoFiles(t *testing.T) {
	srv, hits := countingServer(t, `{"type": "object", "properties": {"replicas": {"type": "integer"}}}`)
	chart := func(ref string) string {
		dir := t.TempDir()
		writeFile(t, dir+"/Chart.yaml", "apiVersion: v2\nname: schema\nversion: 0.1.0\n")
		writeFile(t, dir+"/values.yaml", "replicas: 2\n")
		writeFile(t, dir+"/values.schema.json", `{"$ref": "`+ref+`"}`)
		mkdir(t, dir+"/templates")
		writeFile(t, dir+"/templates/cm.yaml", fmt.Sprintf(cm, "r{{ .Values.replicas }}"))
		return dir
	}
	url := srv.URL + "/values.schema.json"
	dir := chart(url)
	inv := loadWithin(t, 60*time.Second, []string{dir}, Options{})
	want := filepath.ToSlash(dir) + `/values.schema.json: helm chart "schema": values.schema.json of chart "schema": $ref "` + url + `": not fetched: a static scan reads no network (--allow-remote fetches it)`
	if errs := errorStrings(inv.Errors); len(errs) != 1 || errs[0] != want {
		t.Errorf("errors %q\nwant %q", errs, want)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the schema server received %d requests, want none", n)
	}

	inv = loadWithin(t, 60*time.Second, []string{dir}, Options{AllowRemote: true})
	if len(inv.Errors) > 0 || inv.Find("ConfigMap", "default", "r2") == nil || hits.Load() != 1 {
		t.Errorf("with AllowRemote: errors %v objects %v requests %d", inv.Errors, describeAll(inv.Objects), hits.Load())
	}

	inv = loadWithin(t, 60*time.Second, []string{chart("file:///etc/passwd")}, Options{AllowRemote: true})
	if errs := errorStrings(inv.Errors); len(errs) != 1 || !strings.Contains(errs[0], `$ref "file:///etc/passwd": not read`) {
		t.Errorf("file $ref: errors %q", errs)
	}
}

func TestKustomizeReadsNoNetwork(t *testing.T) {
	// No git either: with PATH empty, a git kustomize ran would fail with its own
	// message, not with the one that names the option.
	t.Setenv("PATH", t.TempDir())
	srv, hits := countingServer(t, fmt.Sprintf(cm, "remote"))
	gitRepo := t.TempDir()
	for _, ref := range []string{
		srv.URL + "/cm.yaml",
		"https://github.com/example/repo//deploy?ref=v1",
		"github.com/example/repo/deploy?ref=v1",
		"git@github.com:example/repo.git//deploy",
		"ssh://git@example.com/repo.git",
		"file://" + gitRepo,
	} {
		dir := t.TempDir()
		writeFile(t, dir+"/kustomization.yaml", "resources:\n- local.yaml\n- "+ref+"\n")
		writeFile(t, dir+"/local.yaml", fmt.Sprintf(cm, "local"))
		inv := loadWithin(t, 30*time.Second, []string{dir}, Options{})
		want := fmt.Sprintf("%s/kustomization.yaml: kustomize build: %s/kustomization.yaml: resources %q: not fetched: a static scan reads no network and nothing outside the tree (--allow-remote fetches it)", filepath.ToSlash(dir), filepath.ToSlash(dir), ref)
		if errs := errorStrings(inv.Errors); len(errs) != 1 || errs[0] != want {
			t.Errorf("%s: errors %q\nwant %q", ref, errs, want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server received %d requests, want none", n)
	}

	// A remote reference in a base is caught as well, where the base is read.
	root := t.TempDir()
	mkdir(t, root+"/base")
	mkdir(t, root+"/overlay")
	writeFile(t, root+"/base/kustomization.yaml", "resources: ["+srv.URL+"/cm.yaml]\n")
	writeFile(t, root+"/overlay/kustomization.yaml", "resources: [../base]\nnamePrefix: p-\n")
	inv := loadWithin(t, 30*time.Second, []string{root}, Options{})
	if errs := errorStrings(inv.Errors); len(errs) != 1 || !strings.Contains(errs[0], "base/kustomization.yaml: resources \""+srv.URL+"/cm.yaml\": not fetched") {
		t.Errorf("remote base: errors %q", errs)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server received %d requests, want none", n)
	}

	// With AllowRemote the file is fetched.
	inv = loadWithin(t, 30*time.Second, []string{root}, Options{AllowRemote: true})
	if len(inv.Errors) > 0 || inv.Find("ConfigMap", "default", "p-remote") == nil || hits.Load() != 1 {
		t.Errorf("with AllowRemote: errors %v objects %v requests %d", inv.Errors, describeAll(inv.Objects), hits.Load())
	}
}

func TestKustomizeHelmChartsAndFunctionsNeedOptions(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	writeFile(t, dir+"/kustomization.yaml", "helmCharts:\n- name: redis\n  repo: https://charts.example.com\n  version: 1.0.0\n")
	inv := loadWithin(t, 30*time.Second, []string{dir}, Options{})
	if errs := errorStrings(inv.Errors); len(errs) != 1 || !strings.Contains(errs[0], `helmCharts "redis": not inflated: it runs the helm binary (--enable-helm inflates it`) {
		t.Errorf("helmCharts: errors %q", errs)
	}
	inv = loadWithin(t, 30*time.Second, []string{dir}, Options{EnableHelm: true})
	if errs := errorStrings(inv.Errors); len(errs) != 1 || !strings.Contains(errs[0], `helmCharts repo "https://charts.example.com": chart "redis" is not vendored`) || !strings.Contains(errs[0], "--allow-remote") {
		t.Errorf("helmCharts with a repo: errors %q", errs)
	}

	for _, fn := range []string{"exec:\n        path: ./fn.sh", "container:\n        image: example.com/fn:1"} {
		dir := t.TempDir()
		writeFile(t, dir+"/kustomization.yaml", "resources: [cm.yaml]\ntransformers: [fn.yaml]\n")
		writeFile(t, dir+"/cm.yaml", fmt.Sprintf(cm, "a"))
		writeFile(t, dir+"/fn.sh", "#!/bin/sh\ntouch "+dir+"/ran\n")
		writeFile(t, dir+"/fn.yaml", "apiVersion: example.com/v1\nkind: Fn\nmetadata:\n  name: fn\n  annotations:\n    config.kubernetes.io/function: |\n      "+fn+"\n")
		inv := loadWithin(t, 30*time.Second, []string{dir}, Options{})
		if errs := errorStrings(inv.Errors); len(errs) != 1 || !strings.Contains(errs[0], "Moat runs no exec or container KRM functions") {
			t.Errorf("%s: errors %q", fn, errs)
		}
		if _, err := os.Stat(dir + "/ran"); err == nil {
			t.Errorf("%s: the function ran", fn)
		}
	}
}

func TestAliasExpansionIsBounded(t *testing.T) {
	// Each alias names one 1 MiB scalar: 100 of them would be 100 MiB of JSON.
	// Before the bound: 1,000 such aliases took 3.2 GB and 36 s.
	var b strings.Builder
	b.WriteString("apiVersion: example.com/v1\nkind: Bomb\nmetadata:\n  name: b\nspec:\n  a: &a ")
	b.WriteString(strings.Repeat("x", 1<<20))
	b.WriteString("\n  l: [")
	for i := range 100 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*a, 1")
	}
	b.WriteString("]\n")
	start := time.Now()
	objs, errs := Decode(strings.NewReader(b.String()), "bomb.yaml")
	if len(objs) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "bomb.yaml:1: YAML aliases expand this document to more than 64 MiB; not decoded") {
		t.Errorf("objects %d errors %v", len(objs), errs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	// Anchors and merge keys of ordinary size still decode.
	objs, errs = Decode(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  labels: &l {app: web}\n  annotations: *l\ndata:\n  a: &v x\n  b: *v\n"), "ok.yaml")
	if len(objs) != 1 || len(errs) != 0 {
		t.Errorf("ordinary anchors: objects %d errors %v", len(objs), errs)
	}
	// A kustomize resource is checked where kustomize reads it.
	dir := t.TempDir()
	writeFile(t, dir+"/kustomization.yaml", "resources: [bomb.yaml]\n")
	writeFile(t, dir+"/bomb.yaml", b.String())
	inv := loadWithin(t, 30*time.Second, []string{dir}, Options{})
	if errs := errorStrings(inv.Errors); len(errs) != 1 || !strings.Contains(errs[0], "bomb.yaml: line 1: YAML aliases expand this document to more than 64 MiB") {
		t.Errorf("kustomize: errors %q", errs)
	}
}

func TestChartRenderingIsBounded(t *testing.T) {
	chart := func(tpl string) string {
		dir := t.TempDir()
		writeFile(t, dir+"/Chart.yaml", "apiVersion: v2\nname: loop\nversion: 0.1.0\n")
		mkdir(t, dir+"/templates")
		writeFile(t, dir+"/templates/cm.yaml", tpl)
		return dir
	}
	t.Run("memory", func(t *testing.T) {
		defer func(m int64) { renderMemory = m }(renderMemory)
		renderMemory = 400 << 20
		// Before: `fatal error: out of memory` for the whole scan after 4 GB.
		dir := chart("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loop\ndata:\n{{- range until 20000000 }}\n  k{{ . }}: \"" + strings.Repeat("a", 100) + "\"\n{{- end }}\n")
		start := time.Now()
		inv := loadWithin(t, 60*time.Second, []string{dir, "testdata/object.json"}, Options{})
		want := filepath.ToSlash(dir) + "/Chart.yaml: helm chart: rendering needed more than 400 MiB of memory and was stopped"
		if errs := errorStrings(inv.Errors); len(errs) != 1 || errs[0] != want {
			t.Errorf("errors %q, want %q", errs, want)
		}
		if len(inv.Objects) != 1 {
			t.Errorf("the other input was not read: %v", describeAll(inv.Objects))
		}
		t.Logf("stopped after %s", time.Since(start))
	})
	t.Run("time", func(t *testing.T) {
		dir := chart("{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\n")
		start := time.Now()
		inv := loadWithin(t, 60*time.Second, []string{dir}, Options{RenderTimeout: 2 * time.Second})
		want := filepath.ToSlash(dir) + "/Chart.yaml: helm chart: rendering took longer than 2s and was stopped"
		if errs := errorStrings(inv.Errors); len(errs) != 1 || errs[0] != want {
			t.Errorf("errors %q, want %q", errs, want)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %s", d)
		}
	})
	t.Run("output", func(t *testing.T) {
		defer func(r int) { maxRendered = r }(maxRendered)
		maxRendered = 1 << 20
		dir := chart("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n{{- range until 20000 }}\n  k{{ . }}: \"" + strings.Repeat("a", 100) + "\"\n{{- end }}\n")
		inv := loadWithin(t, 60*time.Second, []string{dir}, Options{})
		want := filepath.ToSlash(dir) + `/Chart.yaml: helm chart "loop": renders more than 1 MiB; not scanned`
		if errs := errorStrings(inv.Errors); len(errs) != 1 || errs[0] != want {
			t.Errorf("errors %q, want %q", errs, want)
		}
	})
}

func TestARecursiveIncludeIsOneShortError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/Chart.yaml", "apiVersion: v2\nname: rec\nversion: 0.1.0\n")
	mkdir(t, dir+"/templates")
	writeFile(t, dir+"/templates/cm.yaml", "{{- define \"a\" }}{{ include \"a\" . }}{{ end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"a\" . }}\n")
	inv := loadWithin(t, 60*time.Second, []string{dir}, Options{})
	errs := errorStrings(inv.Errors)
	if len(errs) != 1 {
		t.Fatalf("errors %q, want one", errs)
	}
	// Before: one line of 95 KB.
	if e := errs[0]; len(e) > 1500 || !strings.Contains(e, "times in all] error calling include: rendering template has a nested reference name: a") || !strings.HasSuffix(e, "unable to execute template") || !strings.HasPrefix(e, filepath.ToSlash(dir)+"/templates/cm.yaml:5: ") {
		t.Errorf("error of %d bytes: %s", len(e), e)
	}
}

func TestShortenKeepsBothEnds(t *testing.T) {
	long := "start " + strings.Repeat("é", 2000) + " cause"
	got := shorten(long)
	if len(got) > maxErrorBytes+64 || !strings.HasPrefix(got, "start ") || !strings.HasSuffix(got, " cause") || !strings.Contains(got, " bytes left out) … ") {
		t.Errorf("shorten = %q", got)
	}
	if shorten("short") != "short" {
		t.Error("a short message changed")
	}
}

func TestAMarkerFileDoesNotHideATree(t *testing.T) {
	manifests := func(t *testing.T) string {
		dir := t.TempDir()
		writeFile(t, dir+"/a.yaml", fmt.Sprintf(cm, "a"))
		mkdir(t, dir+"/sub")
		writeFile(t, dir+"/sub/b.yaml", fmt.Sprintf(cm, "b"))
		writeFile(t, dir+"/sub/values-prod.yaml", "replicas: 3\n") // not an object: not scanned, not an error
		return dir
	}
	t.Run("an empty kustomization", func(t *testing.T) {
		dir := manifests(t)
		writeFile(t, dir+"/kustomization.yaml", "resources: []\n")
		inv := Load([]string{dir}, Options{})
		if len(inv.Errors) > 0 || len(inv.Objects) != 2 {
			t.Fatalf("objects %v errors %v", describeAll(inv.Objects), inv.Errors)
		}
		want := filepath.ToSlash(dir) + ": 2 files hold Kubernetes objects that no kustomization in the scan uses; scanned as plain manifests: a.yaml, sub/b.yaml"
		if len(inv.Warnings) != 1 || inv.Warnings[0] != want {
			t.Errorf("warnings %q, want %q", inv.Warnings, want)
		}
	})
	t.Run("a bare Chart.yaml", func(t *testing.T) {
		dir := manifests(t)
		writeFile(t, dir+"/Chart.yaml", "apiVersion: v2\nname: bare\nversion: 0.1.0\n")
		inv := Load([]string{dir}, Options{})
		if len(inv.Errors) > 0 || len(inv.Objects) != 2 {
			t.Fatalf("objects %v errors %v", describeAll(inv.Objects), inv.Errors)
		}
		want := filepath.ToSlash(dir) + ": 2 files hold Kubernetes objects that the Helm chart does not render; scanned as plain manifests: a.yaml, sub/b.yaml"
		if len(inv.Warnings) != 1 || inv.Warnings[0] != want {
			t.Errorf("warnings %q, want %q", inv.Warnings, want)
		}
	})
	t.Run("a chart with examples beside its templates and a file it reads", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir+"/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
		mkdir(t, dir+"/templates")
		writeFile(t, dir+"/templates/cm.yaml", fmt.Sprintf(cm, "rendered")+"data:\n  f: {{ .Files.Get \"files/embedded.yaml\" | quote }}\n")
		mkdir(t, dir+"/files")
		writeFile(t, dir+"/files/embedded.yaml", fmt.Sprintf(cm, "embedded"))
		mkdir(t, dir+"/examples")
		writeFile(t, dir+"/examples/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: example\nspec:\n  containers: [{name: c, image: x}]\n")
		inv := Load([]string{dir}, Options{})
		if len(inv.Errors) > 0 || inv.Find("Pod", "default", "example") == nil || inv.Find("ConfigMap", "default", "embedded") != nil || inv.Find("ConfigMap", "default", "rendered") == nil {
			t.Fatalf("objects %v errors %v", describeAll(inv.Objects), inv.Errors)
		}
		if len(inv.Warnings) != 1 || !strings.HasSuffix(inv.Warnings[0], ": 1 file holds Kubernetes objects that the Helm chart does not render; scanned as plain manifests: examples/pod.yaml") {
			t.Errorf("warnings %q", inv.Warnings)
		}
	})
	t.Run("a chart named with a trailing slash, or through a link", func(t *testing.T) {
		link := t.TempDir() + "/link"
		symlink(t, mustAbs(t, "testdata/tree/shop-chart"), link)
		for _, p := range []string{"testdata/tree/shop-chart/", link} {
			inv := Load([]string{p}, Options{})
			if len(inv.Errors) > 0 || len(inv.Warnings) > 0 || len(inv.Objects) != 4 {
				t.Errorf("%s: objects %v errors %v warnings %q", p, describeAll(inv.Objects), inv.Errors, inv.Warnings)
			}
		}
	})
	t.Run("an overlay's patches, bases and components are its own: no warning", func(t *testing.T) {
		inv := Load([]string{"testdata/tree/deploy"}, Options{})
		if len(inv.Errors) > 0 || len(inv.Warnings) > 0 || len(inv.Objects) != 3 {
			t.Errorf("objects %v errors %v warnings %q", describeAll(inv.Objects), inv.Errors, inv.Warnings)
		}
	})
	t.Run("a nested overlay no other uses is built", func(t *testing.T) {
		root := t.TempDir()
		mkdir(t, root+"/app/overlays/prod")
		mkdir(t, root+"/app/base")
		writeFile(t, root+"/app/kustomization.yaml", "resources: [base]\n")
		writeFile(t, root+"/app/base/kustomization.yaml", "resources: [cm.yaml]\n")
		writeFile(t, root+"/app/base/cm.yaml", fmt.Sprintf(cm, "base"))
		writeFile(t, root+"/app/overlays/prod/kustomization.yaml", "resources: [../../base]\nnamePrefix: prod-\n")
		inv := Load([]string{root}, Options{})
		if len(inv.Errors) > 0 || len(inv.Objects) != 2 || inv.Find("ConfigMap", "default", "prod-base") == nil || inv.Find("ConfigMap", "default", "base") == nil {
			t.Errorf("objects %v errors %v", describeAll(inv.Objects), inv.Errors)
		}
	})
	t.Run("a component nobody uses is named", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, root+"/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches: [{path: p.yaml}]\n")
		writeFile(t, root+"/p.yaml", fmt.Sprintf(cm, "patch"))
		inv := Load([]string{root}, Options{})
		if len(inv.Objects) != 0 || len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "a Kustomize Component, built only as part of an overlay, and no kustomization in the scan uses it; not scanned") {
			t.Errorf("objects %v warnings %q", describeAll(inv.Objects), inv.Warnings)
		}
	})
}

func TestHelmValuesFromAFIFOReachTheRenderer(t *testing.T) {
	// `moat scan -f <(sops -d values.yaml) chart/`: the FIFO is read once, by the
	// scan, and its values cross to the rendering process with their types.
	dir := t.TempDir()
	pipe := dir + "/values.yaml"
	mkfifo(t, pipe)
	go func() {
		f, err := os.OpenFile(pipe, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		fmt.Fprint(f, "image:\n  tag: from-fifo\n")
	}()
	inv := loadWithin(t, 60*time.Second, []string{"testdata/tree/shop-chart"}, Options{HelmValues: []string{pipe}, HelmSet: []string{"service.port=8443"}})
	if len(inv.Errors) > 0 {
		t.Fatalf("errors %v", inv.Errors)
	}
	if o := inv.Find("Deployment", "default", "shop-storefront"); o == nil || !strings.Contains(fmt.Sprint(o.Obj), "storefront:from-fifo") {
		t.Errorf("values from the FIFO not applied: %v", describeAll(inv.Objects))
	}
}

func TestKustomizeBasesAboveTheNamedOverlay(t *testing.T) {
	// `moat scan overlays/prod` builds ../../base as kustomize does, also when the
	// checkout itself lies behind a link (/var is /private/var on macOS); a base that
	// is a link out of the tree is refused.
	real := t.TempDir()
	mkdir(t, real+"/repo/base")
	mkdir(t, real+"/repo/overlays/prod")
	writeFile(t, real+"/repo/base/kustomization.yaml", "resources: [cm.yaml]\n")
	writeFile(t, real+"/repo/base/cm.yaml", fmt.Sprintf(cm, "base"))
	writeFile(t, real+"/repo/overlays/prod/kustomization.yaml", "resources: [../../base]\nnamePrefix: prod-\n")
	outside := t.TempDir()
	writeFile(t, outside+"/kustomization.yaml", "resources: [cm.yaml]\n")
	writeFile(t, outside+"/cm.yaml", fmt.Sprintf(cm, "outside"))
	symlink(t, outside, real+"/repo/linked")
	mkdir(t, real+"/repo/overlays/linked")
	writeFile(t, real+"/repo/overlays/linked/kustomization.yaml", "resources: [../../linked]\n")
	checkout := t.TempDir() + "/checkout"
	symlink(t, real+"/repo", checkout)

	inv := loadWithin(t, 30*time.Second, []string{checkout + "/overlays/prod"}, Options{})
	if len(inv.Errors) > 0 || inv.Find("ConfigMap", "default", "prod-base") == nil {
		t.Errorf("objects %v errors %v", describeAll(inv.Objects), inv.Errors)
	}
	inv = loadWithin(t, 30*time.Second, []string{checkout + "/overlays/linked"}, Options{})
	if errs := errorStrings(inv.Errors); len(errs) != 1 || !strings.Contains(errs[0], "/repo/linked: a symbolic link to "+outside+", outside the scanned tree") {
		t.Errorf("errors %q", errs)
	}
	inv = loadWithin(t, 30*time.Second, []string{checkout + "/overlays/linked"}, Options{FollowSymlinks: true})
	if len(inv.Errors) > 0 || inv.Find("ConfigMap", "default", "outside") == nil {
		t.Errorf("with FollowSymlinks: objects %v errors %v", describeAll(inv.Objects), inv.Errors)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
