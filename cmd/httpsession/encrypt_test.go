package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEncryptedSession drives the command with an encrypted session file:
// log in, request, token show and cookies list through the key; no
// secret in the file; without the key a clear error and exit 1; session
// decrypt/encrypt switch the file's form explicitly; age decrypts it.
func TestEncryptedSession(t *testing.T) {
	srv, ts := demoServer(t)
	dir := t.TempDir()
	session := filepath.Join(dir, "s", "session.json")
	keyFile := filepath.Join(dir, "key.txt")
	if r := cli(t, "", nil, "demo", "--encrypt", "--file", filepath.Join(dir, "demo.json"), "--key-file", keyFile); r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("demo with a missing --key-file: exit %d, stderr %q; want exit 1 naming the file", r.code, r.stderr)
	}
	// A key file as age-keygen writes it: comments first.
	if err := os.WriteFile(keyFile, []byte("# created: 2026-01-01T00:00:00Z\n# public key: age1qrxkq7mq0wt0v6e9ru6lq3t0e3d4mxcxhq0y3uxwf4m5kj6p5rfsl8rnmf\nAGE-SECRET-KEY-1LY909AUMY6H0Z5XP28P8J5FCZATMNPSHAJ07PGQWHZ6HF70VV7JQKFUTWQ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withKey := []string{"HTTPSESSION_KEY_FILE=" + keyFile}

	r := cli(t, "", append(withKey, "HTTPSESSION_PASSWORD=demo-password"), "login", "--session", session, "--kind", "json",
		"--login-url", ts.URL+"/auth/login", "--refresh-url", ts.URL+"/auth/refresh", "--username", "demo")
	if r.code != 0 {
		t.Fatalf("login: exit %d, stderr %q", r.code, r.stderr)
	}
	if r = cli(t, "", nil, "get", ts.URL+"/page", "--session", session, "--key-file", keyFile); r.code != 0 {
		t.Fatalf("get /page: exit %d, stderr %q", r.code, r.stderr)
	}
	raw, err := os.ReadFile(session)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) {
		t.Fatalf("session file starts %q, want an age file", raw[:min(len(raw), 30)])
	}
	if st, _ := os.Stat(session); st.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", st.Mode().Perm())
	}

	r = cli(t, "", withKey, "token", "show", "--session", session)
	if r.code != 0 || !strings.Contains(r.stdout, "redacted") {
		t.Errorf("token show: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = cli(t, "", withKey, "cookies", "list", "--session", session, "--json", "--show-values")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "visits"`) {
		t.Errorf("cookies list: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if s := srv.Stats(); s.Logins != 1 {
		t.Errorf("logins = %d, want 1", s.Logins)
	}

	// Without the key, or with another one: exit 1, the file named, the
	// key sources pointed to, the file untouched.
	otherKey := filepath.Join(dir, "other.txt")
	os.WriteFile(otherKey, []byte("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\n"), 0o600)
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"no key", nil, "--key-file"},
		{"another key", []string{"HTTPSESSION_KEY_FILE=" + otherKey}, "wrong key"},
		{"a passphrase", []string{"HTTPSESSION_PASSPHRASE=guess"}, "wrong key"},
	} {
		r := cli(t, "", tc.env, "cookies", "list", "--session", session)
		if r.code != 1 || !strings.Contains(r.stderr, session) || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 naming the file and %q", tc.name, r.code, r.stderr, tc.want)
		}
		if strings.Contains(r.stderr, "AGE-SECRET-KEY") {
			t.Errorf("%s: stderr %q holds key material", tc.name, r.stderr)
		}
	}
	if now, _ := os.ReadFile(session); !bytes.Equal(now, raw) {
		t.Error("a failed open changed the file")
	}
	if r := cli(t, "", append(withKey, "HTTPSESSION_PASSPHRASE=x"), "cookies", "list", "--session", session); r.code != 2 {
		t.Errorf("two keys: exit %d, want 2 (usage)", r.code)
	}

	// The age command reads it with the same key file.
	if ageBin, err := exec.LookPath("age"); err == nil {
		out, err := exec.Command(ageBin, "-d", "-i", keyFile, session).Output()
		var doc map[string]any
		if err != nil || json.Unmarshal(out, &doc) != nil || doc["version"] != 1.0 {
			t.Errorf("age -d: %v, %q", err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Error("age not found (Debian package age); CI must install it")
	}

	// decrypt is explicit and says the file is now plain text.
	r = cli(t, "", withKey, "session", "decrypt", "--session", session)
	if r.code != 0 || !strings.Contains(r.stderr, "now PLAIN TEXT") {
		t.Fatalf("session decrypt: exit %d, stderr %q", r.code, r.stderr)
	}
	plain, _ := os.ReadFile(session)
	if !bytes.HasPrefix(plain, []byte(`{"version":1`)) {
		t.Fatalf("after decrypt the file starts %q", plain[:min(len(plain), 30)])
	}
	if r = cli(t, "", nil, "token", "show", "--session", session); r.code != 0 {
		t.Errorf("token show on the plain file: exit %d, stderr %q", r.code, r.stderr)
	}
	// encrypt, with a passphrase this time; then the passphrase opens it.
	pass := []string{"HTTPSESSION_PASSPHRASE=correct horse battery staple"}
	r = cli(t, "", pass, "session", "encrypt", "--session", session)
	if r.code != 0 || !strings.Contains(r.stderr, "now encrypted") {
		t.Fatalf("session encrypt: exit %d, stderr %q", r.code, r.stderr)
	}
	if enc, _ := os.ReadFile(session); !bytes.Contains(enc, []byte("\n-> scrypt ")) {
		t.Errorf("passphrase-encrypted file has no scrypt stanza: %q", enc[:min(len(enc), 80)])
	}
	r = cli(t, "", pass, "cookies", "list", "--session", session)
	if r.code != 0 || !strings.Contains(r.stdout, "visits") {
		t.Errorf("cookies list with the passphrase: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r = cli(t, "", nil, "session", "encrypt", "--session", session); r.code != 2 {
		t.Errorf("session encrypt without a key: exit %d, want 2", r.code)
	}
}

// TestMigrationOnSave: a plain session file used with a key is said to be
// plain, and the next save that changes it writes it encrypted.
func TestMigrationOnSave(t *testing.T) {
	_, ts := demoServer(t)
	dir := t.TempDir()
	session := filepath.Join(dir, "session.json")
	if r := cli(t, "", nil, "get", ts.URL+"/page", "--session", session); r.code != 0 {
		t.Fatalf("get: exit %d, stderr %q", r.code, r.stderr)
	}
	pass := []string{"HTTPSESSION_PASSPHRASE=pw"}
	r := cli(t, "", pass, "get", ts.URL+"/page", "--session", session)
	if r.code != 0 || !strings.Contains(r.stderr, "is plain text") {
		t.Fatalf("get with a key: exit %d, stderr %q", r.code, r.stderr)
	}
	raw, _ := os.ReadFile(session)
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) {
		t.Fatalf("after a save with a key the file starts %q", raw[:min(len(raw), 30)])
	}
	r = cli(t, "", pass, "cookies", "list", "--session", session, "--json", "--show-values")
	if r.code != 0 || !strings.Contains(r.stdout, `"value": "2"`) {
		t.Errorf("cookies list: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestDemoEncrypt runs demo --encrypt twice: the first run creates a key
// file and an encrypted session, the second resumes it.
func TestDemoEncrypt(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "demo.json")
	r := cli(t, "", nil, "demo", "--encrypt", "--file", file)
	if r.code != 0 || !strings.Contains(r.stdout, "created the age identity") || !strings.Contains(r.stdout, "age -d -i") {
		t.Fatalf("demo --encrypt: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	raw, _ := os.ReadFile(file)
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) {
		t.Fatalf("demo file starts %q", raw[:min(len(raw), 30)])
	}
	if st, err := os.Stat(file + ".key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, want mode 0600", err)
	}
	r = cli(t, "", nil, "demo", "--encrypt", "--file", file)
	if r.code != 0 || !strings.Contains(r.stdout, "resumed") {
		t.Errorf("second demo --encrypt: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
