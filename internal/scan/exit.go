package scan

import "github.com/moat-dev/moat/internal/finding"

// Exit codes of every command (DESIGN.md).
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitError    = 2
)

// Code is the exit code of any command: 2 when an input could not be read, a scan was
// partial or a rule failed (the answer may be incomplete, and CI must not pass on it),
// else 1 when something is at or above the gate, else 0.
func Code(incomplete, gateReached bool) int {
	switch {
	case incomplete:
		return ExitError
	case gateReached:
		return ExitFindings
	}
	return ExitOK
}

// ExitCode is the exit code of a result: Code with the result's errors and partiality,
// and whether an unsuppressed finding is at or above failOn.
func (r *Result) ExitCode(failOn finding.Severity) int {
	return Code(len(r.Errors) > 0 || r.Partial, r.reaches(failOn))
}

func (r *Result) reaches(failOn finding.Severity) bool {
	for _, f := range r.Findings {
		if f.Suppressed == nil && f.Severity >= failOn {
			return true
		}
	}
	return false
}

// InputCode is the exit code of a command that answers a question over a loaded input
// (who-can, conns, explain): 2 when the input was incomplete, else 0.
func (l *Loaded) InputCode() int {
	return Code(len(l.Errors) > 0 || l.Partial, false)
}
