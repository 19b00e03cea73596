package agestore

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"filippo.io/age"
	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/storetest"
)

// keyFileEnv names the key file to a re-executed test binary.
const keyFileEnv = "AGESTORE_TEST_KEY"

// openEncrypted opens the encrypted session file at path with the key
// file keyFileEnv names, as every process sharing it does.
func openEncrypted(path string) (httpsession.Store, error) {
	key, err := KeyFromFile(nil, os.Getenv(keyFileEnv))
	if err != nil {
		return nil, err
	}
	return NewFile(nil, path, key), nil
}

// writeKeyFile writes a new X25519 identity file in dir and names it in
// keyFileEnv for this process and the children it starts.
func writeKeyFile(t *testing.T, dir string) (string, *Key) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(path, []byte(identityFileText(id)), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := KeyFromFile(nil, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(keyFileEnv, path)
	return path, key
}

// stillEncrypted checks a session file's bytes after a save or a kill.
func stillEncrypted(raw []byte) error {
	if !IsEncrypted(raw) {
		return errors.New("the session file is not encrypted")
	}
	return nil
}

// TestMultiProcessMerge has 6 processes add 60 distinct cookies each to one
// encrypted session file, saving after every 10, all at once: every cookie
// must be in the file afterwards, and the file must still be encrypted
// and 0600.
func TestMultiProcessMerge(t *testing.T) {
	storetest.Child(openEncrypted)
	dir := t.TempDir()
	writeKeyFile(t, dir)
	path := filepath.Join(dir, "state", "session.json")
	storetest.MultiProcessSave(t, "TestMultiProcessMerge", openEncrypted, path, 6, 60)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := stillEncrypted(raw); err != nil {
		t.Error(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

// TestCrashSafety re-executes the test binary as a child that saves a
// 3,000-cookie jar to an encrypted session file in a loop, kills it with
// SIGKILL at random moments of a save, and checks after every kill that
// the file is still an age file and decrypts and loads with all its
// cookies. 20 kills by default; set AGESTORE_CRASH_KILLS for more.
func TestCrashSafety(t *testing.T) {
	storetest.Child(openEncrypted)
	if testing.Short() {
		t.Skip("skipping the crash test in -short mode")
	}
	kills := 20
	if s := os.Getenv("AGESTORE_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("AGESTORE_CRASH_KILLS=%q: want a positive number", s)
		}
		kills = n
	}
	dir := t.TempDir()
	writeKeyFile(t, dir)
	path := filepath.Join(dir, "state", "session.json")
	mid := storetest.CrashSafety(t, "TestCrashSafety", openEncrypted, path, kills, 3000, stillEncrypted)
	t.Logf("%d kills, %d of them while the new file was being written", kills, mid)
}
