//go:build windows

package httpsession

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockFlags: Windows has no O_NOFOLLOW; CreateFile opens a symbolic link's
// target, and only an administrator (or developer mode) can create one.
const lockFlags = 0

// readFlags: no special open flags for reading a session file (no FIFOs,
// and no O_NOFOLLOW, on Windows).
const readFlags = 0

// lockOSFile takes an exclusive LockFileEx lock on the first byte of f,
// waiting for it. Windows drops the lock when f is closed or the process
// dies.
func lockOSFile(f *os.File) error {
	ol := new(windows.Overlapped)
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, ol)
}

// tryLockOSFile tries to take the lock of lockOSFile without waiting.
func tryLockOSFile(f *os.File) (bool, error) {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return false, nil
	}
	return err == nil, err
}

// fileOwner reports no owner: ownership here is a matter of ACLs, which
// the file system enforces itself.
func fileOwner(os.FileInfo) (uid int, ok bool) { return 0, false }
