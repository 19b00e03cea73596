//go:build !windows && !darwin

package browsercookies

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"
)

// The freedesktop.org Secret Service, spoken over D-Bus directly rather
// than through libsecret (cgo) or the secret-tool binary (not installed on
// most desktops), so that a `go install`ed binary finds the key wherever a
// Secret Service (GNOME Keyring, KeePassXC, KWallet 5.97+) runs.
const (
	secretsDest    = "org.freedesktop.secrets"
	secretsPath    = dbus.ObjectPath("/org/freedesktop/secrets")
	secretsService = "org.freedesktop.Secret.Service"
	secretsItem    = "org.freedesktop.Secret.Item"
)

// chromiumSchemas are the libsecret schemas Chromium stored its password
// under, newest first.
var chromiumSchemas = []string{"chrome_libsecret_os_crypt_password_v2", "chrome_libsecret_os_crypt_password_v1"}

// secretServicePassword returns the Safe Storage password of a Chromium
// browser from the Secret Service: the item of Chromium's schema labelled
// name+" Safe Storage", or else the one whose application attribute is
// app. A locked item is unlocked if that needs no prompt.
func secretServicePassword(ctx context.Context, name, app string) (string, error) {
	conn, err := connectSessionBus(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: no D-Bus session bus for the Secret Service: %w", ErrNoKey, err)
	}
	defer conn.Close()
	svc := conn.Object(secretsDest, secretsPath)
	var item dbus.ObjectPath
	for _, schema := range chromiumSchemas {
		var unlocked, locked []dbus.ObjectPath
		if err := svc.CallWithContext(ctx, secretsService+".SearchItems", 0,
			map[string]string{"xdg:schema": schema}).Store(&unlocked, &locked); err != nil {
			return "", fmt.Errorf("%w: Secret Service: %w", ErrNoKey, err)
		}
		for _, p := range append(unlocked, locked...) {
			obj := conn.Object(secretsDest, p)
			label, _ := obj.GetProperty(secretsItem + ".Label")
			attrs, _ := obj.GetProperty(secretsItem + ".Attributes")
			a, _ := attrs.Value().(map[string]string)
			if l, _ := label.Value().(string); l == name+" Safe Storage" || a["application"] == app {
				item = p
				break
			}
		}
		if item != "" {
			break
		}
	}
	if item == "" {
		return "", fmt.Errorf("%w: no %q in the Secret Service", ErrNoKey, name+" Safe Storage")
	}
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := svc.CallWithContext(ctx, secretsService+".Unlock", 0, []dbus.ObjectPath{item}).Store(&unlocked, &prompt); err != nil {
		return "", fmt.Errorf("%w: Secret Service: unlock: %w", ErrNoKey, err)
	}
	if len(unlocked) == 0 {
		return "", fmt.Errorf("%w: the keyring holding %q is locked", ErrNoKey, name+" Safe Storage")
	}
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := svc.CallWithContext(ctx, secretsService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		return "", fmt.Errorf("%w: Secret Service: open session: %w", ErrNoKey, err)
	}
	defer conn.Object(secretsDest, session).CallWithContext(ctx, "org.freedesktop.Secret.Session.Close", 0)
	var secret struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}
	if err := conn.Object(secretsDest, item).CallWithContext(ctx, secretsItem+".GetSecret", 0, session).Store(&secret); err != nil {
		return "", fmt.Errorf("%w: Secret Service: get secret: %w", ErrNoKey, err)
	}
	return string(secret.Value), nil
}

// connectSessionBus connects to the user's D-Bus session bus.
func connectSessionBus(ctx context.Context) (*dbus.Conn, error) {
	addr, err := sessionBusAddress()
	if err != nil {
		return nil, err
	}
	return dbus.Connect(addr, dbus.WithContext(ctx))
}

// sessionBusAddress returns the address of the user's D-Bus session bus:
// $DBUS_SESSION_BUS_ADDRESS, or else the socket $XDG_RUNTIME_DIR/bus that
// systemd provides. It never starts a bus, as dbus.ConnectSessionBus
// would (it runs dbus-launch when it finds none, which leaves a
// dbus-daemon, and the keyring daemon the lookup activates on it, running
// after the import on a headless machine).
func sessionBusAddress() (string, error) {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		p := filepath.Join(dir, "bus")
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + dbus.EscapeBusAddressValue(p), nil
		}
	}
	return "", errors.New("DBUS_SESSION_BUS_ADDRESS is unset and $XDG_RUNTIME_DIR/bus is missing")
}
