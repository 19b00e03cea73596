//go:build unix

package httpsession

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFlags open a lock file without following a symbolic link planted in
// its place: the lock must never create or touch another file.
const lockFlags = unix.O_NOFOLLOW

// lockOSFile takes an exclusive flock(2) on f, waiting for it. The kernel
// drops the lock when f is closed or the process dies.
func lockOSFile(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
