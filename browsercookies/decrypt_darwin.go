//go:build darwin

package browsercookies

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
)

// newPlatformDecrypter returns the macOS decrypter: v10's password comes
// from the Options or the login Keychain, through the security tool, which
// shows the Keychain's own prompt when the item needs one.
func newPlatformDecrypter(ctx context.Context, b Browser, password, _ string) decrypter {
	return macDecrypter(func() (string, error) {
		if password != "" {
			return password, nil
		}
		name := safeStorageName(b, "darwin")
		out, err := exec.CommandContext(ctx, "security", "find-generic-password", "-w",
			"-a", name, "-s", name+" Safe Storage").Output()
		if err != nil {
			return "", fmt.Errorf("%w: Keychain item %q: %w", ErrNoKey, name+" Safe Storage", err)
		}
		return string(bytes.TrimRight(out, "\n")), nil
	})
}

// macDecrypter decrypts macOS profiles with the Keychain's password.
func macDecrypter(password func() (string, error)) *cbcDecrypter {
	return &cbcDecrypter{keys: map[string]func() ([][]byte, error){
		"v10": func() ([][]byte, error) {
			pw, err := password()
			if err != nil {
				return nil, err
			}
			return [][]byte{cbcKey(pw, 1003)}, nil
		},
	}}
}
