package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The hidden --cpuprofile and --trace options write their files, and a file that
// cannot be made is a usage error that names the option.
func TestScanWritesProfileAndTrace(t *testing.T) {
	dir := t.TempDir()
	for _, flag := range []string{"--cpuprofile", "--trace"} {
		t.Run(flag, func(t *testing.T) {
			path := filepath.Join(dir, strings.TrimPrefix(flag, "--"))
			code, _, errb := run(t, "", "scan", "-o", "json", flag, path, "testdata/privileged.yaml")
			if code != 1 {
				t.Fatalf("exit %d, want 1 (a privileged pod)\n%s", code, errb)
			}
			if st, err := os.Stat(path); err != nil || st.Size() == 0 {
				t.Errorf("%s wrote nothing to %s: %v", flag, path, err)
			}
			code, _, errb = run(t, "", "scan", flag, filepath.Join(dir, "missing", "x"), "testdata/privileged.yaml")
			if code != 2 || !strings.Contains(errb, flag+":") {
				t.Errorf("to a directory that is not there: exit %d, stderr %q; want 2 and the option named", code, errb)
			}
		})
	}
}
