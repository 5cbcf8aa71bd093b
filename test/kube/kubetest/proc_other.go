//go:build !linux

package kubetest

import (
	"os"
	"syscall"
)

// sysProcAttr: outside Linux there is no Pdeathsig; the cleanup of Start
// still kills the processes when the test ends normally, fails or panics.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(p *os.Process) { p.Kill() }

func fastDataDir() string { return "" }
