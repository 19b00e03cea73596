//go:build !unix && !windows

package httpsession

import "os"

// lockFlags: no special open flags on this platform.
const lockFlags = 0

// readFlags: no special open flags for reading a session file.
const readFlags = 0

// lockOSFile takes no lock: this platform (js, wasip1, plan9) has no
// cross-process file lock, so FileStore serialises saves within the process
// only, and processes sharing one session file there can lose each other's
// changes.
func lockOSFile(*os.File) error { return nil }

// tryLockOSFile takes no lock, like lockOSFile.
func tryLockOSFile(*os.File) (bool, error) { return true, nil }

// fileOwner reports no owner: ownership here is a matter of ACLs, which
// the file system enforces itself.
func fileOwner(os.FileInfo) (uid int, ok bool) { return 0, false }
