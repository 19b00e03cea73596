//go:build !windows && !darwin

package browsercookies

import (
	"context"
	"fmt"
	"runtime"
)

// newPlatformDecrypter returns the Linux (and BSD) decrypter: v11's
// password comes from the Options or the Secret Service.
func newPlatformDecrypter(ctx context.Context, b Browser, password, _ string) decrypter {
	return linuxDecrypter(func() (string, error) {
		if password != "" {
			return password, nil
		}
		pw, err := secretServicePassword(ctx, safeStorageName(b, runtime.GOOS), libsecretApp(b))
		if err != nil && ctx.Err() != nil {
			// Cancelled (Ctrl-C, SIGTERM) while asking: that, not a
			// missing key, is why the import ends.
			return "", fmt.Errorf("browsercookies: Secret Service: %w", ctx.Err())
		}
		return pw, err
	})
}

// libsecretApp is the "application" attribute Chromium-family browsers
// give their Secret Service item.
func libsecretApp(b Browser) string {
	switch b {
	case Chrome:
		return "chrome"
	case Brave:
		return "brave"
	case Edge:
		return "microsoft-edge"
	}
	return "chromium"
}
