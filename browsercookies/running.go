package browsercookies

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A running browser keeps its newest cookies in memory: Chromium writes
// its Cookies database about every 30 seconds, Firefox its session store
// about every 15, so an import right after a login can miss it. Each
// browser marks a profile in use with a lock, which is all that is
// checked here; the lock's process is not asked.

// runningLock returns the lock that says a browser has the profile in dir
// open, or "" if there is none: Chromium's SingletonLock symlink in the
// user-data directory (the profile directory's parent), Firefox's "lock"
// symlink (Linux, macOS) or parent.lock (Windows, while open) in the
// profile directory. A lock whose process is known to be gone is stale
// and not reported.
func runningLock(b Browser, dir string) string {
	var locks []string
	if b == Firefox {
		locks = []string{filepath.Join(dir, "lock"), filepath.Join(dir, "parent.lock")}
	} else {
		locks = []string{filepath.Join(filepath.Dir(dir), "SingletonLock"), filepath.Join(dir, "SingletonLock")}
	}
	for _, l := range locks {
		fi, err := os.Lstat(l)
		if err != nil {
			continue
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(l)
			if err == nil && staleLock(target) {
				continue
			}
		} else if filepath.Base(l) != "parent.lock" {
			continue // a SingletonLock or lock that is no symlink is not the browser's
		}
		return l
	}
	return ""
}

// staleLock reports whether a lock symlink's target, "HOST-PID" (Chromium)
// or "ADDR:+PID" (Firefox), names a process of this host that no longer
// exists.
func staleLock(target string) bool {
	i := strings.LastIndexAny(target, "-+")
	if i < 0 {
		return false
	}
	pid, err := strconv.Atoi(target[i+1:])
	host := strings.TrimSuffix(target[:i], ":")
	if err != nil || pid <= 0 {
		return false
	}
	if h, _ := os.Hostname(); host != h && !strings.Contains(target, ":") {
		return false // another machine's lock (a shared home): trust it
	}
	return !processExists(pid)
}

// runningNote is the note of a Report whose profile is in use.
func runningNote(b Browser, lock string) string {
	if b == Firefox {
		return fmt.Sprintf("%s has this profile open (%s): it writes session cookies to its session store only every 15 seconds, "+
			"so one a login just made may be missing; close the browser, or wait half a minute, and import again", b, lock)
	}
	return fmt.Sprintf("%s has this profile open (%s): it writes new cookies to disk only every 30 seconds or so, "+
		"so the newest (a login just made) may be missing; close the browser, or wait a minute, and import again", b, lock)
}
