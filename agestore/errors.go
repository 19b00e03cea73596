package agestore

import (
	"errors"
	"fmt"
)

// ErrSessionKey is matched (with errors.Is) by every error that reports a
// key problem: no key, a key that doesn't open the session file, a key
// file that can't be read or parsed, no OS keyring. The concrete error is
// a *KeyError. The file is never written after such an error.
var ErrSessionKey = errors.New("agestore: session key")

// ErrNoKeyring is matched (with errors.Is) by the error of KeyFromKeyring
// when the operating system has no usable keyring: headless Linux without a
// Secret Service on D-Bus, WSL, a container. Use a key file or a
// passphrase there instead.
var ErrNoKeyring = errors.New("agestore: no OS keyring available")

// ErrKeyFileMode is matched (with errors.Is) by the *KeyError of a key file
// that other users may read or write (mode bits 077 set, as in 0644):
// KeyFromFile refuses it, as ssh refuses such a private key.
var ErrKeyFileMode = errors.New("agestore: key file open to other users")

// A KeyError reports a key that is missing, unusable or wrong for the
// session file. It names the file (when there is one) and the key source
// that was tried, and never holds key material.
// errors.Is(err, ErrSessionKey) holds for it.
type KeyError struct {
	Path   string // the session file or store; "" for an error about the key alone
	Source string // the key source tried, e.g. `key file "/home/u/key.txt"`
	Reason string // what is wrong, e.g. "wrong key: no identity matches the file"
	Err    error  // the underlying error, if any
}

func (e *KeyError) Error() string {
	s := "agestore: "
	if e.Path != "" {
		s += fmt.Sprintf("session file %q: ", e.Path)
	}
	s += "key from " + e.Source + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is ErrSessionKey.
func (e *KeyError) Is(target error) bool { return target == ErrSessionKey }

// Unwrap returns Err.
func (e *KeyError) Unwrap() error { return e.Err }
