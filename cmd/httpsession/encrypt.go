package main

import (
	"context"
	"errors"
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

// runSession encrypts or decrypts a session file in place.
func runSession(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "encrypt" && args[0] != "decrypt" && args[0] != "reset") {
		return usagef("want a subcommand: encrypt, decrypt or reset")
	}
	sub, args := args[0], args[1:]
	if sub == "reset" {
		fs := newFlagSet(e, "session reset", "session reset --session FILE")
		session := sessionFlag(fs, e, "to move aside if it is corrupt")
		if err := parseNoArgs(fs, args); err != nil {
			return err
		}
		if *session == "" {
			return errNoSession
		}
		return resetSession(e, *session)
	}
	fs := newFlagSet(e, "session "+sub, "session "+sub+" --session FILE (--key-file FILE | --keyring | $"+agestore.EnvPassphrase+")")
	session := sessionFlag(fs, e, "to "+sub+" in place")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *session == "" {
		return errNoSession
	}
	key, err := sessionKey(e, e.keys)
	if err != nil {
		return err
	}
	if key == nil {
		return usagef("session %s needs a key: --key-file FILE ($%s), --keyring or $%s", sub, agestore.EnvKeyFile, agestore.EnvPassphrase)
	}
	if _, err := os.Stat(*session); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no session file %s", *session)
	}
	st := agestore.NewFile(nil, *session, key)
	if sub == "encrypt" {
		wrote, err := st.Encrypt()
		if err != nil {
			return err
		}
		if !wrote {
			fmt.Fprintf(e.stderr, "%s is already encrypted (key from %s)\n", *session, key.Source())
			return nil
		}
		fmt.Fprintf(e.stderr, "%s is now encrypted with age (key from %s)\n", *session, key.Source())
		return nil
	}
	wrote, err := st.Decrypt()
	if err != nil {
		return err
	}
	if !wrote {
		fmt.Fprintf(e.stderr, "%s is already plain text\n", *session)
		return nil
	}
	fmt.Fprintf(e.stderr, "%s is now PLAIN TEXT: anyone who can read it can use its cookies and token. Use it without a key from now on, or encrypt it again with \"httpsession session encrypt\"\n", *session)
	return nil
}

// demoStore returns the encrypted store of demo --encrypt: the key the
// flags or the environment choose, or else file+".key", created on the
// first run.
func demoStore(e *env, file string) (*agestore.Store, error) {
	key, err := sessionKey(e, e.keys)
	if err != nil {
		return nil, err
	}
	if key == nil {
		keyFile := file + ".key"
		if key, err = agestore.KeyFromFile(nil, keyFile); errors.Is(err, os.ErrNotExist) {
			key, err = agestore.GenerateKeyFile(nil, keyFile)
			if err == nil {
				fmt.Fprintf(e.stdout, "created the age identity %s (mode 0600) for --encrypt\n", keyFile)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if fileIsEncrypted(file) || !fileExists(file) {
		return agestore.NewFile(nil, file, key), nil
	}
	// A plain file from an earlier run: encrypt it now, so the story
	// starts from what it will show.
	st := agestore.NewFile(nil, file, key)
	if _, err := st.Encrypt(); err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stdout, "encrypted the plain session file %s from an earlier run\n", file)
	return st, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// demoSayEncrypted tells how the demo's file is protected.
func demoSayEncrypted(out *demoStep, file string, st *agestore.Store) {
	out.say("the file is an age file (key from %s): no cookie value or token appears in it", st.Key().Source())
	out.say("decrypt it by hand: age -d -i KEYFILE %s   (a passphrase file: age -d %s)", file, file)
}
