//go:build linux || freebsd || openbsd || netbsd || dragonfly

package agestore

import (
	"errors"
	"os"
	"path/filepath"
)

// sessionBus reports an error when there is no D-Bus session bus to find a
// Secret Service on. Without this check the D-Bus client would try to
// autolaunch a bus (dbus-launch), leaving a bus and keyring daemons
// running behind the user's back on a headless machine.
func sessionBus() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if fi, err := os.Stat(filepath.Join(dir, "bus")); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
	}
	return errors.New("no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is unset and $XDG_RUNTIME_DIR/bus is missing")
}
