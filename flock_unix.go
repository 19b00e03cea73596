//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package httpsession

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on the file at path, creating it
// (0600) if needed, and returns its release. The kernel drops the lock when
// the process dies.
func lockFile(path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	return func() { f.Close() }, nil
}
