//go:build !unix

package inventory

import (
	"os"
)

// openNonBlocking checks the file before opening it where there are no FIFOs to
// block on.
func openNonBlocking(p string) (*os.File, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &errNotRegular{st.Mode()}
	}
	return os.Open(p)
}
