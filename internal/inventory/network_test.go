//go:build unix

package inventory

import (
	"bytes"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a loopback listener that counts every TCP connection made to it,
// whatever is spoken on it (HTTP, TLS, git over HTTP, ssh), and answers HTTP
// requests for the few files the fixtures name. It keeps no connection alive, so
// that a client's pooled connection cannot carry a request past the count.
type recorder struct {
	srv      *httptest.Server
	contacts atomic.Int64 // connections accepted and requests answered
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	files := map[string]string{
		"/cm.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n",
		"/patch.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\ndata:\n  source: patched\n",
		"/app.properties": "color=blue\n",
		"/schema.json":    `{"type": "object"}`,
	}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.contacts.Add(1) // a request on a connection counted before still counts
		body, ok := files[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	r.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.contacts.Add(1)
		}
	}
	r.srv.Config.SetKeepAlivesEnabled(false)
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

// host is the listener's host:port, which the fixtures' SERVER stands for.
func (r *recorder) host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// fakeTools puts on PATH only git, ssh and helm scripts that record each run in a
// log and fail: kustomize clones with git (and git with ssh) and inflates helmCharts
// with helm, none of them through Go's network code.
func fakeTools(t *testing.T) (log string) {
	t.Helper()
	bin := t.TempDir()
	log = filepath.Join(t.TempDir(), "runs.log")
	for _, name := range []string{"git", "ssh", "helm"} {
		script := "#!/bin/sh\necho \"" + name + " $*\" >> '" + log + "'\nexit 1\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
	return log
}

func toolRuns(t *testing.T, log string) string {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

// copyFixture copies testdata/kustomize/remote/NAME to a temporary directory with
// SERVER replaced by host, and returns the copy.
func copyFixture(t *testing.T, name, host string) string {
	t.Helper()
	src := filepath.Join("testdata", "kustomize", "remote", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), bytes.ReplaceAll(data, []byte("SERVER"), []byte(host)), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// A static scan opens no connection and runs no program that would: every way a
// kustomization or a chart names the network is an error that names the URL and the
// flag that allows it. The same fixtures with the flags do reach the listener (or
// the git and helm that would), so the test sees a connection when one is made.
func TestStaticScanOpensNoConnection(t *testing.T) {
	rec := newRecorder(t)
	log := fakeTools(t)
	server := rec.host()
	const allowRemote = "(--allow-remote fetches it)"
	tests := []struct {
		fixture string
		url     string // the URL the error names, SERVER replaced
		flag    string // the flag the error names
		opt     Options
	}{
		{fixture: "resource-http", url: "http://SERVER/cm.yaml", flag: allowRemote},
		{fixture: "resource-https", url: "https://SERVER/cm.yaml", flag: allowRemote},
		{fixture: "git-http", url: "http://SERVER/repo.git//base?ref=main", flag: allowRemote},
		{fixture: "git-forced", url: "git::http://SERVER/repo//base?ref=main", flag: allowRemote},
		{fixture: "git-ssh", url: "ssh://git@SERVER/repo.git//base?ref=main", flag: allowRemote},
		{fixture: "legacy-bases", url: "http://SERVER/repo.git//base?ref=main", flag: allowRemote},
		{fixture: "component", url: "http://SERVER/repo.git//components/probes?ref=main", flag: allowRemote},
		{fixture: "patch", url: "http://SERVER/patch.yaml", flag: allowRemote},
		{fixture: "generator", url: "http://SERVER/app.properties", flag: allowRemote},
		{fixture: "nested", url: "http://SERVER/cm.yaml", flag: allowRemote},
		{fixture: "helm-charts", url: `helmCharts "relay"`, flag: "(--enable-helm inflates it, as kustomize build --enable-helm does)"},
		{fixture: "helm-charts", url: "http://SERVER/charts", flag: allowRemote, opt: Options{EnableHelm: true}},
		{fixture: "chart-schema", url: "http://SERVER/schema.json", flag: "(--allow-remote fetches it)"},
	}
	for _, tt := range tests {
		name := tt.fixture
		if tt.opt.EnableHelm {
			name += " with EnableHelm"
		}
		t.Run(name, func(t *testing.T) {
			dir := copyFixture(t, tt.fixture, server)
			inv := loadWithin(t, 60*time.Second, []string{dir}, tt.opt)
			url := strings.ReplaceAll(tt.url, "SERVER", server)
			errs := errorStrings(inv.Errors)
			if len(errs) != 1 || !strings.Contains(errs[0], url) || !strings.Contains(errs[0], tt.flag) {
				t.Errorf("errors %q\nwant one that names %s and %s", errs, url, tt.flag)
			}
			if n := rec.contacts.Load(); n != 0 {
				t.Fatalf("the listener was contacted %d times (connections and requests), want none", n)
			}
			if runs := toolRuns(t, log); runs != "" {
				t.Fatalf("ran %q", runs)
			}

			// With the flags the scan reaches out: the listener or a fake tool sees it.
			allowed := Options{AllowRemote: true, EnableHelm: true}
			before := rec.contacts.Load()
			loadWithin(t, 60*time.Second, []string{dir}, allowed)
			if rec.contacts.Load() == before && toolRuns(t, log) == "" {
				t.Errorf("with %+v: no connection and no git or helm run; the test cannot see one", allowed)
			}
			rec.contacts.Store(0)
			if err := os.Remove(log); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		})
	}
}

// With --allow-remote a remote resource is read into the scan, and its findings point
// at the line of the kustomization that names its URL (kustomize's origin for it is
// the URL joined to the base's directory as a path: "base/http:/host/cm.yaml").
func TestAllowRemoteReadsTheRemoteResource(t *testing.T) {
	rec := newRecorder(t)
	fakeTools(t)
	dir := copyFixture(t, "nested", rec.host())
	inv := loadWithin(t, 60*time.Second, []string{dir}, Options{AllowRemote: true})
	fetched := inv.Find("ConfigMap", "default", "prod-fetched")
	if len(inv.Errors) > 0 || fetched == nil || inv.Find("ConfigMap", "default", "prod-local") == nil {
		t.Fatalf("objects %v errors %v", describeAll(inv.Objects), inv.Errors)
	}
	want := filepath.ToSlash(dir) + "/app/base/kustomization.yaml:3"
	if got := fetched.SourceAt("data").String(); got != want {
		t.Errorf("source %s, want %s", got, want)
	}
}

func TestRemoteFileSplitsKustomizesOriginPath(t *testing.T) {
	tests := []struct {
		origin, dir, url string
		ok               bool
	}{
		{"https:/example.com/cm.yaml", "", "https://example.com/cm.yaml", true},
		{"../../base/http:/127.0.0.1:8080/x/cm.yaml", "../../base", "http://127.0.0.1:8080/x/cm.yaml", true},
		{"base/cm.yaml", "", "", false},
		{"base/myhttp:/cm.yaml", "", "", false},
	}
	for _, tt := range tests {
		dir, url, ok := remoteFile(tt.origin)
		if dir != tt.dir || url != tt.url || ok != tt.ok {
			t.Errorf("remoteFile(%q) = %q, %q, %v; want %q, %q, %v", tt.origin, dir, url, ok, tt.dir, tt.url, tt.ok)
		}
	}
}
