//go:build windows

package browsercookies

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// windowsDecrypter decrypts Windows profiles: v10 with the AES-256-GCM key
// that DPAPI protects in "Local State", values without a prefix (before
// Chromium 80) with DPAPI directly, and v20 (app-bound encryption, Chrome
// 127 and later) not at all: its key is held by the browser's elevated
// service.
type windowsDecrypter struct {
	userDataDir string
	key         []byte
	keyErr      error
	loaded      bool
}

func newPlatformDecrypter(_ context.Context, _ Browser, _, userDataDir string) decrypter {
	return &windowsDecrypter{userDataDir: userDataDir}
}

func (d *windowsDecrypter) decrypt(enc []byte) ([]byte, string, error) {
	switch {
	case bytes.HasPrefix(enc, []byte("v20")):
		return nil, "app-bound encrypted (v20): only the browser's elevated service can decrypt it", nil
	case bytes.HasPrefix(enc, []byte("v10")), bytes.HasPrefix(enc, []byte("v11")):
		if !d.loaded {
			d.key, d.keyErr = d.loadKey()
			d.loaded = true
		}
		if d.keyErr != nil {
			return nil, "", d.keyErr
		}
		plain, err := decryptGCM(d.key, enc[3:])
		if err != nil {
			return nil, "undecryptable value (wrong key?)", nil
		}
		return plain, "", nil
	}
	plain, err := dpapiUnprotect(enc)
	if err != nil {
		return nil, "undecryptable value (DPAPI)", nil
	}
	return plain, "", nil
}

// loadKey reads os_crypt.encrypted_key from "Local State": "DPAPI" and a
// DPAPI blob holding the AES key, base64-encoded.
func (d *windowsDecrypter) loadKey() ([]byte, error) {
	ls, err := readLocalState(d.userDataDir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoKey, err)
	}
	blob, err := base64.StdEncoding.DecodeString(ls.OSCrypt.EncryptedKey)
	if err != nil || !bytes.HasPrefix(blob, []byte("DPAPI")) {
		return nil, fmt.Errorf("%w: no os_crypt.encrypted_key in Local State", ErrNoKey)
	}
	key, err := dpapiUnprotect(blob[len("DPAPI"):])
	if err != nil {
		return nil, fmt.Errorf("%w: DPAPI: %w", ErrNoKey, err)
	}
	return key, nil
}

// dpapiUnprotect decrypts a DPAPI blob of the current user.
func dpapiUnprotect(blob []byte) ([]byte, error) {
	if len(blob) == 0 {
		return nil, errDecrypt
	}
	in := windows.DataBlob{Size: uint32(len(blob)), Data: &blob[0]}
	var out windows.DataBlob
	if err := windows.CryptUnprotectData(&in, nil, nil, 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, err
	}
	defer windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	return bytes.Clone(unsafe.Slice(out.Data, out.Size)), nil
}

// decryptGCM decrypts the nonce, ciphertext and tag after a Windows "v10"
// prefix.
func decryptGCM(key, data []byte) ([]byte, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, errDecrypt
	}
	g, err := cipher.NewGCM(b)
	if err != nil || len(data) < g.NonceSize()+g.Overhead() {
		return nil, errDecrypt
	}
	out, err := g.Open(nil, data[:g.NonceSize()], data[g.NonceSize():], nil)
	if err != nil {
		return nil, errDecrypt
	}
	return out, nil
}
