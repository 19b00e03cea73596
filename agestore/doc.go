// Package agestore encrypts an httpsession session at rest: a Store that
// wraps another [httpsession.Store] (the session file's
// [httpsession.FileStore], or a networked store) and keeps the session
// document in it as an age file (https://age-encryption.org/v1), so that
// backups, synced folders and container images hold no usable cookie or
// token. It is a package of its own so that programs that don't encrypt
// compile neither age nor a keyring client.
//
// The file is a standard age file: with an identity file,
//
//	age -d -i key.txt session.json
//
// prints the JSON document a plain session file would hold, and a file
// encrypted by the age command (binary or armored) loads.
//
// # Keys
//
// A [Key] is an age identity or a passphrase, from one of three sources:
//   - a key file as age-keygen writes it: [KeyFromFile], or
//     $HTTPSESSION_KEY_FILE through [KeyFromEnv];
//   - a passphrase (age's scrypt recipient): [PassphraseKey], or
//     $HTTPSESSION_PASSPHRASE through [KeyFromEnv]. scrypt runs once per
//     Key, not per save;
//   - the operating system's keyring (macOS Keychain, Windows Credential
//     Manager, the Secret Service on Linux): [KeyFromKeyring] creates a
//     random identity on first use and finds it later. Where there is no
//     keyring (headless Linux, WSL, CI) it fails with [ErrNoKeyring] and
//     points to the other two sources; nothing falls back to plain text.
//
// # Behaviour
//
// Everything the plain store promises holds: atomic writes, mode 0600,
// saves merged with other processes under the store's lock (decrypt,
// merge, encrypt), and no write when the merged document equals the stored
// one (plaintexts are compared; a rewrite per save would change every
// byte). A plain session file is read, and the next save writes it
// encrypted ([Store.Encrypt] does it at once); going back to plain text
// takes [Store.Decrypt].
//
// # Errors
//
// A key that doesn't open the file, a missing or malformed key file, a key
// file that others may read (errors.Is(err, [ErrKeyFileMode]) too) and a
// missing keyring give a [*KeyError] (errors.Is(err, [ErrSessionKey])),
// naming the file and the key source tried. A malformed, truncated or
// altered age file gives an [*httpsession.SessionFileError]
// (errors.Is(err, [httpsession.ErrCorruptSession])). In both cases the
// file is left as it is. Errors and the printed forms of a Key never hold
// key material, cookie values or tokens.
//
// Keys and Stores are safe for concurrent use by multiple goroutines.
package agestore
