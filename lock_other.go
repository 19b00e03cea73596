//go:build !unix && !windows

package httpsession

import "os"

// lockFlags: no special open flags on this platform.
const lockFlags = 0

// lockOSFile takes no lock: this platform (js, wasip1, plan9) has no
// cross-process file lock, so FileStore serialises saves within the process
// only, and processes sharing one session file there can lose each other's
// changes.
func lockOSFile(*os.File) error { return nil }

// tryLockOSFile takes no lock, like lockOSFile.
func tryLockOSFile(*os.File) (bool, error) { return true, nil }

// checkOwner passes every file: ownership here is a matter of ACLs, which
// the file system enforces itself.
func checkOwner(os.FileInfo, string) error { return nil }
