//go:build unix

package httpsession

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockFlags open a lock file without following a symbolic link planted in
// its place: the lock must never create or touch another file.
const lockFlags = unix.O_NOFOLLOW

// readFlags open a session file without following a symbolic link, and
// without blocking should a FIFO have taken its place since it was checked.
const readFlags = unix.O_NOFOLLOW | unix.O_NONBLOCK

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

// tryLockOSFile tries to take an exclusive flock(2) on f without waiting.
func tryLockOSFile(f *os.File) (bool, error) {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		case !errors.Is(err, unix.EINTR):
			return false, err
		}
	}
}

// fileOwner returns the user ID that owns the file fi describes, when the
// file system says (afero.MemMapFs files have no owner).
func fileOwner(fi os.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
