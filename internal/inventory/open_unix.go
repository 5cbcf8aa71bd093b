//go:build unix

package inventory

import (
	"os"
	"syscall"
)

// openNonBlocking opens p for reading with O_NONBLOCK, so that opening a FIFO
// returns at once instead of waiting for a writer.
func openNonBlocking(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
