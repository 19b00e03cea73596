//go:build unix

package browsercookies

import (
	"errors"
	"syscall"
)

// processExists reports whether process pid exists (signal 0 reaches it,
// or it belongs to another user).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
