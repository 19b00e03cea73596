package browsercookies

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
)

// Chromium's os_crypt on Linux and macOS: AES-128-CBC with a key derived
// by PBKDF2-HMAC-SHA1 from the "Safe Storage" password and the salt
// "saltysalt", an IV of 16 spaces, PKCS#7 padding; the ciphertext follows
// a "v10" or "v11" prefix. Linux derives with one iteration (v10 from the
// fixed password "peanuts", v11 from the password in the Secret Service or
// KWallet), macOS with 1003 (from the Keychain). On Windows, v10 is
// AES-256-GCM (a 12-byte nonce, then ciphertext and tag) with a key that
// DPAPI protects in "Local State"; v20 is app-bound encryption.

var errDecrypt = errors.New("browsercookies: cannot decrypt")

// stripHostHash removes the SHA-256 of the cookie's host that Chromium puts
// before the value from database version 24 on, and checks it: a mismatch
// means the decryption was wrong.
func stripHostHash(plain []byte, host string, dbVersion int) ([]byte, error) {
	if dbVersion < 24 {
		return plain, nil
	}
	h := sha256.Sum256([]byte(host))
	if len(plain) < len(h) || !bytes.Equal(plain[:len(h)], h[:]) {
		return nil, errDecrypt
	}
	return plain[len(h):], nil
}

// cbcKey derives a Linux or macOS cookie key from a Safe Storage password.
func cbcKey(password string, iterations int) []byte {
	k, err := pbkdf2.Key(sha1.New, password, []byte("saltysalt"), iterations, 16)
	if err != nil {
		panic(err) // only for FIPS 140-3 mode with a key this short
	}
	return k
}

// decryptCBC decrypts the ciphertext after a "v10"/"v11" prefix.
func decryptCBC(key, ct []byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, errDecrypt
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, errDecrypt
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(b, bytes.Repeat([]byte{' '}, aes.BlockSize)).CryptBlocks(out, ct)
	n := int(out[len(out)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, errDecrypt
	}
	for _, p := range out[len(out)-n:] {
		if int(p) != n {
			return nil, errDecrypt
		}
	}
	return out[:len(out)-n], nil
}

// cbcDecrypter is the Linux and macOS scheme: for each prefix, the keys to
// try in order, each fetched once when a cookie first needs it.
type cbcDecrypter struct {
	keys map[string]func() ([][]byte, error)
	memo map[string][][]byte
	// fail is the error of a prefix whose keys could not be had: asked
	// once, not once per cookie.
	fail map[string]error
}

func (d *cbcDecrypter) decrypt(enc []byte) ([]byte, string, error) {
	if len(enc) < 3 {
		return nil, "undecryptable value (no version prefix)", nil
	}
	prefix := string(enc[:3])
	keys, ok := d.memo[prefix]
	if !ok {
		get := d.keys[prefix]
		if get == nil {
			return nil, "undecryptable value (unknown version " + quoteASCII(prefix) + ")", nil
		}
		if err := d.fail[prefix]; err != nil {
			return nil, "", err
		}
		var err error
		if keys, err = get(); err != nil {
			if d.fail == nil {
				d.fail = map[string]error{}
			}
			d.fail[prefix] = err
			return nil, "", err
		}
		if d.memo == nil {
			d.memo = map[string][][]byte{}
		}
		d.memo[prefix] = keys
	}
	for _, k := range keys {
		if plain, err := decryptCBC(k, enc[3:]); err == nil {
			return plain, "", nil
		}
	}
	return nil, "undecryptable value (wrong key?)", nil
}

// linuxDecrypter decrypts Linux profiles: v10 with "peanuts", v11 with
// the password that v11Password returns, each falling back to the empty
// password that Chromium uses when its keyring gave none.
func linuxDecrypter(v11Password func() (string, error)) *cbcDecrypter {
	return &cbcDecrypter{keys: map[string]func() ([][]byte, error){
		"v10": func() ([][]byte, error) { return [][]byte{cbcKey("peanuts", 1), cbcKey("", 1)}, nil },
		"v11": func() ([][]byte, error) {
			pw, err := v11Password()
			if err != nil {
				return nil, err
			}
			return [][]byte{cbcKey(pw, 1), cbcKey("", 1)}, nil
		},
	}}
}

// quoteASCII shows a version prefix safely.
func quoteASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return `"` + string(b) + `"`
}
