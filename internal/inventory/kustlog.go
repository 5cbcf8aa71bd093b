package inventory

import (
	"bufio"
	"io"
	"log"
	"os"
	"strings"
	"sync"
)

// maxKustomizeLog bounds what is kept of kustomize's own printing during one build.
const maxKustomizeLog = 64 << 10

// captureKustomizeLog runs build with os.Stderr and the standard logger pointed at a
// pipe, and returns the lines kustomize printed there ("# Warning: 'vars' is
// deprecated", "well-defined vars that were never replaced", "Forcing the git
// protocol ..."), which would otherwise reach the terminal raw, outside Moat's
// warnings and outside -o json. Loading runs one build at a time and nothing else
// prints while it does, so borrowing the process-wide writers is safe.
func captureKustomizeLog(build func()) []string {
	r, w, err := os.Pipe()
	if err != nil {
		build()
		return nil
	}
	var lines []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(io.LimitReader(r, maxKustomizeLog))
		sc.Buffer(make([]byte, 4096), maxKustomizeLog)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		_, _ = io.Copy(io.Discard, r) // past the bound: drained, not kept
	}()
	stderr, logOut, logFlags := os.Stderr, log.Writer(), log.Flags()
	os.Stderr = w
	log.SetOutput(w)
	log.SetFlags(0)
	func() {
		defer func() {
			os.Stderr = stderr
			log.SetOutput(logOut)
			log.SetFlags(logFlags)
			w.Close()
		}()
		build()
	}()
	wg.Wait()
	r.Close()
	return lines
}

// kustomizeLogWarnings turns what kustomize printed during the build of kfile into
// warnings naming it. Its deprecation notices are left out: kustFS records each with
// the file that holds the field.
func kustomizeLogWarnings(kfile string, lines []string) []string {
	var out []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "# Warning:") {
			continue
		}
		out = append(out, kfile+": kustomize: "+strings.TrimPrefix(l, "Warning: "))
	}
	return out
}
