package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/agestore"
)

// keyFlags choose the key of an encrypted session file. With none of
// them, nor $HTTPSESSION_PASSPHRASE, the session file is plain JSON.
type keyFlags struct {
	file    string
	keyring bool
}

// addKeyFlags declares --key-file (default $HTTPSESSION_KEY_FILE) and
// --keyring on fs.
func addKeyFlags(fs *flag.FlagSet, e *env) *keyFlags {
	k := &keyFlags{}
	fs.StringVar(&k.file, "key-file", e.getenv(agestore.EnvKeyFile), "age identity `file` (as age-keygen writes it) that encrypts the session file ($"+agestore.EnvKeyFile+"); or set $"+agestore.EnvPassphrase)
	fs.BoolVar(&k.keyring, "keyring", false, "encrypt the session file with an age identity kept in the OS keyring, created on first use")
	return k
}

// sessionKey returns the key chosen by the flags and the environment, nil
// for none.
func sessionKey(e *env, k *keyFlags) (*agestore.Key, error) {
	if k == nil {
		k = &keyFlags{file: e.getenv(agestore.EnvKeyFile)}
	}
	pass := e.getenv(agestore.EnvPassphrase)
	n := 0
	for _, set := range []bool{k.file != "", k.keyring, pass != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, usagef("choose one key: --key-file ($%s), --keyring or $%s", agestore.EnvKeyFile, agestore.EnvPassphrase)
	}
	switch {
	case k.file != "":
		return agestore.KeyFromFile(nil, k.file)
	case k.keyring:
		return agestore.KeyFromKeyring("", "")
	case pass != "":
		return agestore.PassphraseKey(pass, 0)
	}
	return nil, nil
}

// sessionStore returns the store for the session file at path: encrypted
// when a key is chosen, else nil (the plain file through
// Options.SessionFile). A file that is encrypted while no key is chosen is
// an error rather than a "corrupt file".
func sessionStore(e *env, path string) (*agestore.Store, error) {
	key, err := sessionKey(e, e.keys)
	if err != nil {
		return nil, err
	}
	encrypted := fileIsEncrypted(path)
	if key == nil {
		if encrypted {
			return nil, &agestore.KeyError{Path: path, Source: "none given",
				Reason: fmt.Sprintf("the session file is encrypted; give --key-file FILE ($%s), --keyring or $%s", agestore.EnvKeyFile, agestore.EnvPassphrase)}
		}
		return nil, nil
	}
	if err := os.MkdirAll(dirOf(path), 0o700); err != nil {
		return nil, fmt.Errorf("create session directory: %w", err)
	}
	if !encrypted {
		if _, err := os.Stat(path); err == nil {
			fmt.Fprintf(e.stderr, "note: %s is plain text; it is encrypted at the next save that changes it, or now with \"httpsession session encrypt\"\n", path)
		}
	}
	return agestore.NewFile(nil, path, key), nil
}

// sessionOptions returns Options for the session file at path, encrypted
// or plain as the flags and the environment say.
func sessionOptions(e *env, path string) (httpsession.Options, error) {
	if path == "" {
		return httpsession.Options{}, nil
	}
	st, err := sessionStore(e, path)
	if err != nil {
		return httpsession.Options{}, err
	}
	if st != nil {
		return httpsession.Options{Store: st}, nil
	}
	return httpsession.Options{SessionFile: path}, nil
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:max(i, 1)]
		}
	}
	return "."
}

// fileIsEncrypted reports whether the file at path starts like an age file.
func fileIsEncrypted(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	return agestore.IsEncrypted(head[:n])
}
