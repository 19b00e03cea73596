package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/httpsession/httpsession/agestore"
)

// The session command: encrypt or decrypt a session file in place, or move
// a corrupt one aside.

// runSession runs "session encrypt", "session decrypt" and "session reset".
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
