package agestore

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"github.com/zalando/go-keyring"
)

// The keyring entry KeyFromKeyring uses when given empty names.
const (
	DefaultKeyringService = "httpsession"
	DefaultKeyringUser    = "session-identity"
)

// KeyFromKeyring returns the age identity kept in the operating system's
// keyring (macOS Keychain, Windows Credential Manager, the Secret Service
// on Linux) under service and user ("" means DefaultKeyringService and
// DefaultKeyringUser). The first call creates a random X25519 identity and
// stores it there; later calls, in any process of the same user, find it.
// Two processes creating it at the same moment converge on the one stored
// last, read back after storing.
//
// Without a usable keyring the error is a *KeyError for which both
// errors.Is(err, ErrSessionKey) and errors.Is(err, ErrNoKeyring) hold; it
// says to use a key file or a passphrase instead. Nothing falls back to
// plain text.
func KeyFromKeyring(service, user string) (*Key, error) {
	service, user = cmpOr(service, DefaultKeyringService), cmpOr(user, DefaultKeyringUser)
	source := fmt.Sprintf("OS keyring (service %q, user %q)", service, user)
	if err := sessionBus(); err != nil {
		return nil, noKeyring(source, err)
	}
	secret, err := keyring.Get(service, user)
	if errors.Is(err, keyring.ErrNotFound) {
		id, gerr := age.GenerateX25519Identity()
		if gerr != nil {
			return nil, &KeyError{Source: source, Reason: "generate identity", Err: gerr}
		}
		if err := keyring.Set(service, user, id.String()); err != nil {
			return nil, noKeyring(source, err)
		}
		secret, err = keyring.Get(service, user)
	}
	if err != nil {
		return nil, noKeyring(source, err)
	}
	k, err := ParseKey([]byte(strings.TrimSpace(secret)), source)
	if err != nil {
		return nil, &KeyError{Source: source, Reason: "the keyring entry is not an age identity"}
	}
	return k, nil
}

// noKeyring reports a keyring that can't be used. The keyring's own error
// (a D-Bus or platform message) holds no secret.
func noKeyring(source string, err error) error {
	return &KeyError{
		Source: source,
		Reason: "unavailable; " + keySourceHint,
		Err:    fmt.Errorf("%w (%v)", ErrNoKeyring, err),
	}
}
