package agestore

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
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
	if os.Getenv(keyringChildEnv) == "1" {
		keyringChild(t)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service test runs on Linux")
	}
	runSession := needTool(t, "dbus-run-session", "dbus")
	needTool(t, "gnome-keyring-daemon", "gnome-keyring")
	home := t.TempDir()
	runtimeDir := filepath.Join(home, "run")
	if err := os.Mkdir(runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	script := `printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 3
exec "$0" -test.run='^TestKeyringSecretService$' -test.v`
	cmd := exec.Command(runSession, "--", "sh", "-c", script, os.Args[0])
	cmd.Env = append(os.Environ(),
		keyringChildEnv+"=1",
		"KEYRING_PASSWORD=test-keyring-password",
		"HOME="+home,
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"XDG_RUNTIME_DIR="+runtimeDir,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("child output:\n%s", out)
	if err != nil {
		t.Fatalf("keyring scenario: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestKeyringSecretService") {
		t.Fatal("the keyring scenario did not run")
	}
	// Nothing left running: the bus and the daemons it started end with
	// the session. They are found by the temporary HOME they run with.
	for _, pid := range processesWithEnv("HOME=" + home) {
		if !waitGone(pid, 5*time.Second) {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
			t.Errorf("process %d of the test's D-Bus session still running after it ended", pid)
		}
	}
}

// processesWithEnv returns the processes whose environment holds kv.
func processesWithEnv(kv string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, v := range strings.Split(string(env), "\x00") {
			if v == kv {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// waitGone waits until process pid has ended (or is a zombie).
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
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
	if os.Getenv(keyringChildEnv) == "1" {
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
