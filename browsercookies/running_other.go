//go:build !unix

package browsercookies

// processExists cannot tell here: every lock is taken as held.
func processExists(int) bool { return true }
