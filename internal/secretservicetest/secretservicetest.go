// Package secretservicetest runs a test against a real freedesktop.org
// Secret Service: a private D-Bus session bus (dbus-run-session) with an
// unlocked gnome-keyring-daemon, in a temporary home directory, all of it
// ended with the test. Without dbus-run-session or gnome-keyring-daemon
// the test is skipped, or fails when the environment variable CI is
// "true".
//
// The scenario runs in the test binary itself, re-executed on the private
// bus, so that nothing it does reaches the user's own keyring:
//
//	func TestX(t *testing.T) {
//		if secretservicetest.InChild(childEnv) {
//			scenario(t)
//			return
//		}
//		secretservicetest.Run(t, "TestX", childEnv)
//	}
package secretservicetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keyringPassword unlocks the test's login keyring.
const keyringPassword = "test-keyring-password"

// InChild reports whether this process is the re-executed test binary
// that Run started with childEnv set.
func InChild(childEnv string) bool { return os.Getenv(childEnv) == "1" }

// Tool returns the path of a program a test runs. Without it the test
// skips, except in CI (CI=true), where it fails: a green CI run means the
// real program was exercised. pkg names the Debian package providing it.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (Debian package %s); CI must install it", name, pkg)
		}
		t.Skipf("%s not found (Debian package %s)", name, pkg)
	}
	return p
}

// Run re-executes the test binary to run the test named name (and only
// it, verbosely) under dbus-run-session, after gnome-keyring-daemon has
// been started on that bus with its login keyring unlocked. The child
// runs with childEnv=1 and with HOME, XDG_DATA_HOME, XDG_CONFIG_HOME,
// XDG_CACHE_HOME and XDG_RUNTIME_DIR in a temporary directory, plus env.
//
// Run fails t when the child fails or did not run the test, and when any
// process of the session (the bus, the keyring daemon, whatever the test
// started: they are found by the temporary HOME they inherited) is still
// running a few seconds after the child ended; those are killed. It
// returns the child's output, which Run also logs.
func Run(t *testing.T, name, childEnv string, env ...string) string {
	t.Helper()
	runSession := Tool(t, "dbus-run-session", "dbus")
	Tool(t, "gnome-keyring-daemon", "gnome-keyring")
	home := t.TempDir()
	runtimeDir := filepath.Join(home, "run")
	if err := os.Mkdir(runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	script := `printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 3
exec "$0" -test.run="^$1\$" -test.v`
	cmd := exec.Command(runSession, "--", "sh", "-c", script, os.Args[0], name)
	cmd.Env = append(os.Environ(),
		childEnv+"=1",
		"KEYRING_PASSWORD="+keyringPassword,
		"HOME="+home,
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"XDG_RUNTIME_DIR="+runtimeDir,
	)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	t.Logf("child output:\n%s", out)
	defer checkGone(t, "HOME="+home)
	if err != nil {
		t.Fatalf("%s on a private Secret Service: %v", name, err)
	}
	if !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("%s did not run on the private Secret Service", name)
	}
	return string(out)
}

// checkGone fails t for every process whose environment holds kv that is
// still running after a grace period, and kills it.
func checkGone(t *testing.T, kv string) {
	t.Helper()
	for _, pid := range Processes(kv) {
		if !waitGone(pid, 5*time.Second) {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
			t.Errorf("process %d (%s) of the test's D-Bus session still running after it ended", pid, comm(pid))
		}
	}
}

// Processes returns the running processes (zombies excluded) whose
// environment holds kv, such as "HOME=" and a test's temporary directory.
func Processes(kv string) []int {
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
		for v := range strings.SplitSeq(string(env), "\x00") {
			if v == kv && !ended(pid) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// waitGone waits until process pid has ended.
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if ended(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ended reports whether process pid is gone or a zombie (ended, not yet
// reaped by its parent).
func ended(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

// comm is the command name of process pid, for the error message.
func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}
