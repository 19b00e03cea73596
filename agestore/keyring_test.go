package agestore

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/secretservicetest"
	"github.com/spf13/afero"
)

// keyringChildEnv makes the re-executed test binary run the keyring
// scenario against the Secret Service on its session bus.
const keyringChildEnv = "AGESTORE_TEST_KEYRING_CHILD"

// TestKeyringSecretService runs KeyFromKeyring against a real Secret
// Service: a private D-Bus session (dbus-run-session) with an unlocked
// gnome-keyring-daemon, in a temporary home. The scenario runs in a
// re-executed test binary on that bus: the first call creates and stores
// an identity, the second finds the same one, and a session saved with
// the first loads with the second. The bus and the daemon end with it.
func TestKeyringSecretService(t *testing.T) {
	if secretservicetest.InChild(keyringChildEnv) {
		keyringChild(t)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service test runs on Linux")
	}
	secretservicetest.Run(t, "TestKeyringSecretService", keyringChildEnv)
}

func keyringChild(t *testing.T) {
	k1, err := KeyFromKeyring("httpsession-test", "identity")
	if err != nil {
		t.Fatalf("first KeyFromKeyring: %v", err)
	}
	if !strings.Contains(k1.Source(), "OS keyring") {
		t.Errorf("Source() = %q", k1.Source())
	}
	fsys := afero.NewMemMapFs()
	if err := httpsession.SaveSession(NewFile(fsys, "/s.json", k1), testJar(t), testToken(), nil); err != nil {
		t.Fatal(err)
	}
	k2, err := KeyFromKeyring("httpsession-test", "identity")
	if err != nil {
		t.Fatalf("second KeyFromKeyring: %v", err)
	}
	tok, err := httpsession.LoadSession(NewFile(fsys, "/s.json", k2), httpsession.NewJar(nil))
	if err != nil {
		t.Fatalf("the identity found in the keyring does not open the file: %v", err)
	}
	if tok == nil || tok.RefreshToken != refreshToken {
		t.Error("token not loaded")
	}
	// Another entry is another identity.
	k3, err := KeyFromKeyring("httpsession-test", "other")
	if err != nil {
		t.Fatal(err)
	}
	_, err = httpsession.LoadSession(NewFile(fsys, "/s.json", k3), httpsession.NewJar(nil))
	if !errors.Is(err, ErrSessionKey) {
		t.Errorf("another keyring entry's key: error %v, want ErrSessionKey", err)
	}
}

// TestNoKeyring: with no Secret Service on the bus the error says so and
// points to the other key sources.
func TestNoKeyring(t *testing.T) {
	if secretservicetest.InChild(keyringChildEnv) {
		t.Skip("runs in the parent")
	}
	if runtime.GOOS != "linux" {
		t.Skip("tests the Secret Service backend")
	}
	for _, bus := range []string{"", "unix:path=" + filepath.Join(t.TempDir(), "no-bus")} {
		// "": no bus at all; nothing may be autolaunched.
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
		t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
		_, err := KeyFromKeyring("", "")
		if !errors.Is(err, ErrNoKeyring) || !errors.Is(err, ErrSessionKey) {
			t.Fatalf("bus %q: KeyFromKeyring error = %v, want ErrNoKeyring and ErrSessionKey", bus, err)
		}
		for _, want := range []string{EnvKeyFile, EnvPassphrase, "keyring"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
	}
}
