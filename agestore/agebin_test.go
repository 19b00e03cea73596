package agestore

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/httpsession/httpsession"
)

// TestAgeCommand runs the age command both ways: it decrypts what a Store
// wrote to the JSON a plain file holds, and a Store loads what it
// encrypted, binary and armored. The key comes from age-keygen.
func TestAgeCommand(t *testing.T) {
	ageBin := needTool(t, "age", "age")
	keygen := needTool(t, "age-keygen", "age")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.txt")
	if out, err := exec.Command(keygen, "-o", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v: %s", err, out)
	}
	key, err := KeyFromFile(nil, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	plainPath := filepath.Join(dir, "plain.json")
	if err := httpsession.SaveSession(httpsession.NewFileStore(nil, plainPath), testJar(t), testToken(), nil); err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile(plainPath)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("we encrypt, age decrypts", func(t *testing.T) {
		path := filepath.Join(dir, "session.json")
		if err := httpsession.SaveSession(NewFile(nil, path, key), testJar(t), testToken(), nil); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(ageBin, "-d", "-i", keyFile, path).Output()
		if err != nil {
			t.Fatalf("age -d: %v", err)
		}
		if !bytes.Equal(out, plain) {
			t.Errorf("age -d printed %q, want the plain file %q", out, plain)
		}
	})

	recipient, err := exec.Command(keygen, "-y", keyFile).Output()
	if err != nil {
		t.Fatalf("age-keygen -y: %v", err)
	}
	for _, armor := range []bool{false, true} {
		name := "age encrypts, we load"
		if armor {
			name += " armored"
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			args := []string{"-e", "-r", strings.TrimSpace(string(recipient)), "-o", path}
			if armor {
				args = append(args, "-a")
			}
			if out, err := exec.Command(ageBin, append(args, plainPath)...).CombinedOutput(); err != nil {
				t.Fatalf("age -e: %v: %s", err, out)
			}
			got, err := NewFile(nil, path, key).Load()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("Load = %q, want %q", got, plain)
			}
		})
	}
}
