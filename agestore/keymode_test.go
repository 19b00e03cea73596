package agestore

import (
	"errors"
	"os"
	"runtime"
	"testing"

	"filippo.io/age"
	"github.com/spf13/afero"
)

// TestKeyFromFileRefusesOpenModes: a key file that group or other users
// may read or write is refused with a *KeyError matching ErrKeyFileMode
// (and ErrSessionKey), as ssh refuses such a private key; 0600 and 0400
// are used.
func TestKeyFromFileRefusesOpenModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no mode bits for other users")
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode    os.FileMode
		refused bool
	}{
		{0o600, false},
		{0o400, false},
		{0o644, true},
		{0o640, true},
		{0o604, true},
		{0o620, true},
	} {
		fsys := afero.NewMemMapFs()
		if err := afero.WriteFile(fsys, "/key.txt", []byte(identityFileText(id)), tc.mode); err != nil {
			t.Fatal(err)
		}
		fsys.Chmod("/key.txt", tc.mode)
		key, err := KeyFromFile(fsys, "/key.txt")
		var ke *KeyError
		switch {
		case tc.refused && (!errors.Is(err, ErrKeyFileMode) || !errors.Is(err, ErrSessionKey) || !errors.As(err, &ke)):
			t.Errorf("KeyFromFile(mode %#o) = %v, %v; want a *KeyError matching ErrKeyFileMode", tc.mode, key, err)
		case !tc.refused && err != nil:
			t.Errorf("KeyFromFile(mode %#o): %v", tc.mode, err)
		}
	}
}
