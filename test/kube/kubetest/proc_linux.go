package kubetest

import (
	"os"
	"syscall"
)

// sysProcAttr puts a child in its own process group, so that stop kills
// whatever it spawned too and a terminal's Ctrl-C reaches only the parent, and
// has the kernel kill it when the test binary dies (Pdeathsig), so that no
// etcd or API server outlives a crashed or killed test.
//
// Pdeathsig fires when the OS thread that started the child ends; the Go
// runtime ends threads only when a goroutine locked to one exits, which this
// package never does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killGroup(p *os.Process) {
	// The group id is the child's pid (Setpgid with Pgid 0).
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		p.Kill()
	}
}

// fastDataDir is a directory on tmpfs for etcd's data when /dev/shm has room
// for it (etcd preallocates 64 MiB WAL files; a container's default /dev/shm
// is 64 MiB). etcd 3.4 has no --unsafe-no-fsync, and fsync on tmpfs is free.
func fastDataDir() string {
	const need = 1 << 30
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil {
		return ""
	}
	if uint64(st.Bavail)*uint64(st.Bsize) < need {
		return ""
	}
	return "/dev/shm"
}
