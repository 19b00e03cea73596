package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLookupNetrc: machines, the default entry, quoted tokens, comments
// and macdef bodies, as curl reads a netrc file.
func TestLookupNetrc(t *testing.T) {
	const file = `# a comment
machine api.example.com login alice password "p w\"d" # trailing comment
macdef init
machine evil.example.com login mallory password stolen

machine API.other.test
	login bob
	password b0b
	account ignored
machine api.example.com login carol password c4r0l
default login anon password anon-pw
`
	path := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, user      string
		login, password string
		ok              bool
	}{
		{"api.example.com", "", "alice", `p w"d`, true},
		{"api.example.com", "carol", "carol", "c4r0l", true},
		{"api.other.test", "", "bob", "b0b", true},
		{"evil.example.com", "", "anon", "anon-pw", true}, // inside the macro: not a machine
		{"nowhere.test", "", "anon", "anon-pw", true},
		{"nowhere.test", "zed", "", "", false},
	}
	for _, tt := range tests {
		login, password, ok, err := lookupNetrc(path, tt.host, tt.user)
		if err != nil || ok != tt.ok || login != tt.login || password != tt.password {
			t.Errorf("lookupNetrc(%q, %q) = %q, %q, %v, %v; want %q, %q, %v", tt.host, tt.user, login, password, ok, err, tt.login, tt.password, tt.ok)
		}
	}
	if _, _, ok, err := lookupNetrc(filepath.Join(t.TempDir(), "missing"), "api.example.com", ""); ok || err != nil {
		t.Errorf("a missing netrc file: ok %v, err %v; want nothing found and no error, as curl", ok, err)
	}
}
