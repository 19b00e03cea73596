//go:build linux

package browsercookies

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/secretservicetest"
)

// secretServiceChildEnv makes the re-executed test binary run the
// Chromium scenario on its private Secret Service.
const secretServiceChildEnv = "BROWSERCOOKIES_TEST_SECRET_SERVICE_CHILD"

// TestChromiumSecretService runs Chromium with its cookie key in a real
// Secret Service (gnome-keyring-daemon on a private D-Bus session, in a
// temporary home): Chromium stores its "Chromium Safe Storage" password
// there and writes v11 cookies, and the import finds the password on the
// same bus and decrypts them. The bus, the keyring daemon and the browser
// end with the test.
func TestChromiumSecretService(t *testing.T) {
	if secretservicetest.InChild(secretServiceChildEnv) {
		chromiumSecretServiceChild(t)
		return
	}
	needBinary(t, "chromium")
	secretservicetest.Run(t, "TestChromiumSecretService", secretServiceChildEnv)
}

func chromiumSecretServiceChild(t *testing.T) {
	bin := needBinary(t, "chromium")
	t.Logf("%s", browserVersion(t, bin))
	s := newCookieServer(t)
	dir := t.TempDir()
	runChromium(t, s, bin, dir, "--password-store=gnome-libsecret")

	prefixes := valuePrefixes(t, filepath.Join(dir, "Default"))
	if prefixes["v11"] != 5 || len(prefixes) != 1 {
		t.Fatalf("encrypted_value prefixes = %v, want 5 cookies with v11", prefixes)
	}
	importChromium(t, s, dir)

	// The keyring's password is what decrypts them: another one (with the
	// empty password Chromium falls back to) decrypts none.
	r, err := Import(context.Background(), httpsession.NewJar(nil),
		Options{Browser: Chromium, UserDataDir: dir, SafeStoragePassword: "not the password"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Skip{{Reason: "undecryptable value (wrong key?)", Count: 5, Domains: []string{"example.com", "www.example.com"}}}
	if r.Kept != 0 || !cmp.Equal(r.Skipped, want) {
		t.Errorf("Import with another password: kept %d, skipped %+v; want 0 kept, skipped %+v", r.Kept, r.Skipped, want)
	}
}

// valuePrefixes counts the cookies of a Chromium profile by the version
// prefix of their encrypted_value ("" for a cookie stored unencrypted).
func valuePrefixes(t *testing.T, profileDir string) map[string]int {
	t.Helper()
	path, ok := cookiesPath(profileDir)
	if !ok {
		t.Fatalf("no Cookies database in %s", profileDir)
	}
	db, cleanup, err := openCopy(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	rows, err := db.Query("SELECT encrypted_value FROM cookies")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := map[string]int{}
	for rows.Next() {
		var enc []byte
		if err := rows.Scan(&enc); err != nil {
			t.Fatal(err)
		}
		n[string(enc[:min(3, len(enc))])]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSecretServiceNoBus: without a session bus the v11 key is ErrNoKey,
// and no bus is started to look for it (dbus-launch would leave a
// dbus-daemon running behind the user's back).
func TestSecretServiceNoBus(t *testing.T) {
	if secretservicetest.InChild(secretServiceChildEnv) {
		t.Skip("runs in the parent")
	}
	home := t.TempDir()
	t.Setenv("HOME", home) // marks whatever a lookup would start
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	_, err := secretServicePassword(context.Background(), "Chromium", "chromium")
	if !errors.Is(err, ErrNoKey) {
		t.Errorf("secretServicePassword without a bus: error %v, want ErrNoKey", err)
	}
	if pids := secretservicetest.Processes("HOME=" + home); len(pids) > 0 {
		for _, pid := range pids {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
		t.Errorf("processes %v started by the lookup", pids)
	}
}
