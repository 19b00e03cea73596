//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package httpsession

// lockFile has no cross-process lock on this platform: FileStore's
// in-process lock is all there is, so processes sharing a session file
// can lose each other's changes here.
func lockFile(string) (release func(), err error) {
	return func() {}, nil
}
