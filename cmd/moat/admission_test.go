package main

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/golden"
)

func TestPrintManifestsIsTheDeployedCopy(t *testing.T) {
	code, out, errs := run(t, "", "serve", "admission", "--print-manifests")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden.Check(t, "../../deploy/admission/manifests.yaml", []byte(out))
	if code, _, errs := run(t, "", "serve", "admission", "--print-manifests", "--image", "moat:latest"); code != 2 || !strings.Contains(errs, "pin the image by digest") {
		t.Errorf("an unpinned image: exit %d, %s", code, errs)
	}
}

func TestServeAdmissionNeedsCertificates(t *testing.T) {
	code, _, errs := run(t, "", "serve", "admission", "--addr", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errs, "--tls-cert") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

func TestVAPExport(t *testing.T) {
	code, out, errs := run(t, "", "vap", "export", "--pss-level", "baseline")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"kind: ValidatingAdmissionPolicy\n", "kind: ValidatingAdmissionPolicyBinding\n", "name: moat-pod-privileged-container", "object.spec.template.spec"} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	if strings.Contains(out, "moat-pod-run-as-non-root") {
		t.Error("a restricted rule in a baseline export")
	}
	code, out, _ = run(t, "", "vap", "export", "--list")
	if code != 0 || !strings.Contains(out, "pod/privileged-container") || !strings.Contains(out, "judges relations between objects") {
		t.Errorf("--list: exit %d\n%s", code, out)
	}
	if code, _, _ := run(t, "", "vap", "export", "--pss-level", "strict"); code != 2 {
		t.Errorf("a bad level: exit %d", code)
	}
}

// --pprof-addr serves unauthenticated profiles: only on a loopback IP address.
func TestPprofAddrIsLoopbackOnly(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "localhost:0", "10.0.0.1:0", "127.0.0.1"} {
		if ln, err := listenLoopback(addr); err == nil {
			ln.Close()
			t.Errorf("listenLoopback(%q) listened", addr)
		}
	}
	ln, err := listenLoopback("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	code, _, errs := run(t, "", "serve", "admission", "--pprof-addr", "0.0.0.0:0", "--tls-cert", "x", "--tls-key", "y")
	if code == 0 || !strings.Contains(errs, "--pprof-addr") {
		t.Errorf("--pprof-addr 0.0.0.0:0: exit %d: %s", code, errs)
	}
}
