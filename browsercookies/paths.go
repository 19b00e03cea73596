package browsercookies

import (
	"os"
	"path/filepath"
	"runtime"
)

// userDataDirs returns where browser b keeps its profiles on this
// platform: for Firefox the directories that may hold profiles.ini, for
// the Chromium family the user-data directories. Directories that do not
// exist are returned too; the callers skip them.
func userDataDirs(b Browser) []string {
	home, _ := os.UserHomeDir()
	return browserDirs(b, runtime.GOOS, home, os.Getenv("XDG_CONFIG_HOME"), os.Getenv("APPDATA"), os.Getenv("LOCALAPPDATA"))
}

// browserDirs is userDataDirs for a given platform and environment.
func browserDirs(b Browser, goos, home, xdgConfig, appData, localAppData string) []string {
	if xdgConfig == "" && home != "" {
		xdgConfig = filepath.Join(home, ".config")
	}
	join := func(parts ...string) string {
		if parts[0] == "" {
			return ""
		}
		return filepath.Join(parts...)
	}
	var dirs []string
	switch goos {
	case "windows":
		switch b {
		case Firefox:
			dirs = []string{join(appData, "Mozilla", "Firefox")}
		case Chromium:
			dirs = []string{join(localAppData, "Chromium", "User Data")}
		case Chrome:
			dirs = []string{join(localAppData, "Google", "Chrome", "User Data")}
		case Edge:
			dirs = []string{join(localAppData, "Microsoft", "Edge", "User Data")}
		case Brave:
			dirs = []string{join(localAppData, "BraveSoftware", "Brave-Browser", "User Data")}
		}
	case "darwin":
		support := join(home, "Library", "Application Support")
		switch b {
		case Firefox:
			dirs = []string{join(support, "Firefox")}
		case Chromium:
			dirs = []string{join(support, "Chromium")}
		case Chrome:
			dirs = []string{join(support, "Google", "Chrome")}
		case Edge:
			dirs = []string{join(support, "Microsoft Edge")}
		case Brave:
			dirs = []string{join(support, "BraveSoftware", "Brave-Browser")}
		}
	default: // Linux and the BSDs
		switch b {
		case Firefox:
			dirs = []string{
				join(xdgConfig, "mozilla", "firefox"), // Firefox 147 and later
				join(home, ".mozilla", "firefox"),
				join(home, "snap", "firefox", "common", ".mozilla", "firefox"),
				join(home, ".var", "app", "org.mozilla.firefox", ".mozilla", "firefox"),
			}
		case Chromium:
			dirs = []string{
				join(xdgConfig, "chromium"),
				join(home, "snap", "chromium", "common", "chromium"),
				join(home, ".var", "app", "org.chromium.Chromium", "config", "chromium"),
			}
		case Chrome:
			dirs = []string{join(xdgConfig, "google-chrome")}
		case Edge:
			dirs = []string{join(xdgConfig, "microsoft-edge")}
		case Brave:
			dirs = []string{join(xdgConfig, "BraveSoftware", "Brave-Browser")}
		}
	}
	out := dirs[:0]
	for _, d := range dirs {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}
