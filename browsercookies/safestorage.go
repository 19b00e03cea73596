//go:build !windows

package browsercookies

// safeStorageName is the name under which browser b keeps its Safe
// Storage password: the Keychain service is name+" Safe Storage" with
// account name, and the Secret Service item's label is the same.
func safeStorageName(b Browser, goos string) string {
	switch b {
	case Chrome:
		return "Chrome"
	case Edge:
		if goos == "darwin" {
			return "Microsoft Edge"
		}
	case Brave:
		return "Brave"
	}
	return "Chromium"
}
