package agestore

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"sync"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/spf13/afero"
)

// Environment variables KeyFromEnv reads.
const (
	EnvKeyFile    = "HTTPSESSION_KEY_FILE"   // names an age identity file
	EnvPassphrase = "HTTPSESSION_PASSPHRASE" // holds a passphrase
)

// maxKeyFileSize bounds what KeyFromFile reads: an identity file is a few
// hundred bytes, a post-quantum one a few kilobytes.
const maxKeyFileSize = 1 << 20

// A Key encrypts and decrypts session documents: an age identity (X25519,
// or a post-quantum hybrid one, as age-keygen writes them) or a passphrase.
// It remembers where it came from, so errors can say which key source was
// tried; it never prints its secret: String, GoString, Format and LogValue
// show the source only.
//
// A Key is safe for concurrent use by multiple goroutines. Share one Key
// (or one Store) per process: a passphrase Key derives scrypt's key once
// and reuses it for every save and load, see PassphraseKey.
type Key struct {
	source     string
	identities []age.Identity // decryption; nil for a passphrase
	recipient  age.Recipient  // encryption; nil for a passphrase
	pass       *passphrase    // nil for an identity
	headers    *headerCache   // file keys of the files this Key wrote last; nil for a passphrase
}

// Source describes where the key came from, e.g. `key file "/home/u/key.txt"`.
// It holds no key material.
func (k *Key) Source() string { return k.source }

// String returns a redacted description: the key's source.
func (k Key) String() string { return "agestore.Key(" + k.source + ")" }

// GoString is String: a Key never prints its secret.
func (k Key) GoString() string { return k.String() }

// Format prints String for every verb.
func (k Key) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// LogValue logs the key's source only.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// IdentityKey returns a Key for an age identity that can also name its own
// recipient (*age.X25519Identity and *age.HybridIdentity can). source
// describes it in errors; "" means "identity".
func IdentityKey(id age.Identity, source string) (*Key, error) {
	r, err := recipientOf(id)
	if err != nil {
		return nil, &KeyError{Source: cmpOr(source, "identity"), Reason: err.Error()}
	}
	return &Key{source: cmpOr(source, "identity"), identities: []age.Identity{id}, recipient: r, headers: new(headerCache)}, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func recipientOf(id age.Identity) (age.Recipient, error) {
	switch id := id.(type) {
	case *age.X25519Identity:
		return id.Recipient(), nil
	case *age.HybridIdentity:
		return id.Recipient(), nil
	}
	return nil, fmt.Errorf("identity of type %T can't name its recipient", id)
}

// ParseKey reads an age identity file's content: one identity a line, as
// age-keygen writes it, "#" comments and blank lines ignored. Sessions are
// encrypted to the first identity and decrypted with any of them. source
// describes the key in errors.
func ParseKey(data []byte, source string) (*Key, error) {
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		// age's parse errors name the line, never its content.
		return nil, &KeyError{Source: source, Reason: "not an age identity file", Err: err}
	}
	r, err := recipientOf(ids[0])
	if err != nil {
		return nil, &KeyError{Source: source, Reason: err.Error()}
	}
	return &Key{source: source, identities: ids, recipient: r, headers: new(headerCache)}, nil
}

// KeyFromFile reads an age identity file (see ParseKey) from fsys, nil
// meaning the operating system's file system. A missing or unreadable file
// gives a *KeyError. So does a file that group or other users may read or
// write (any of the mode bits 077, outside Windows), as ssh refuses such a
// private key; that error also matches ErrKeyFileMode.
func KeyFromFile(fsys afero.Fs, path string) (*Key, error) {
	if fsys == nil {
		fsys = afero.NewOsFs()
	}
	source := fmt.Sprintf("key file %q", path)
	f, err := fsys.Open(path)
	if err != nil {
		reason := "can't open"
		if errors.Is(err, fs.ErrNotExist) {
			reason = "no such file"
		}
		return nil, &KeyError{Source: source, Reason: reason, Err: err}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		// As ssh does with a private key: a key others can read is
		// no longer a secret, and using it would hide that.
		return nil, &KeyError{Source: source, Err: ErrKeyFileMode,
			Reason: fmt.Sprintf("mode %#o lets other users read it: chmod 600 it (and consider the key compromised)", fi.Mode().Perm())}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, &KeyError{Source: source, Reason: "can't read", Err: err}
	}
	if len(data) > maxKeyFileSize {
		return nil, &KeyError{Source: source, Reason: "too large for an age identity file"}
	}
	return ParseKey(data, source)
}

// GenerateKeyFile creates a new X25519 identity, writes it to path on fsys
// (nil: the operating system's) the way age-keygen does, with mode 0600,
// and returns its Key. It fails if path exists.
func GenerateKeyFile(fsys afero.Fs, path string) (*Key, error) {
	if fsys == nil {
		fsys = afero.NewOsFs()
	}
	source := fmt.Sprintf("key file %q", path)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, &KeyError{Source: source, Reason: "generate identity", Err: err}
	}
	f, err := fsys.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, &KeyError{Source: source, Reason: "can't create", Err: err}
	}
	_, err = io.WriteString(f, identityFileText(id))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fsys.Remove(path)
		return nil, &KeyError{Source: source, Reason: "can't write", Err: err}
	}
	return IdentityKey(id, source)
}

// identityFileText is id as age-keygen writes it.
func identityFileText(id *age.X25519Identity) string {
	return "# created by httpsession\n# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"
}

// PassphraseKey returns a Key for a passphrase (age's scrypt recipient).
// workFactor is scrypt's log2(N) for new files; 0 means age's default, 18
// (about a second of CPU). Files with a work factor up to 22 decrypt.
//
// scrypt's cost is paid once per Key, not per save: the first save derives
// a file key and its header, and later saves by this Key reuse them, each
// with a fresh random payload nonce, so that every save still has its own
// payload key (age derives it from the file key and the nonce). Headers
// read from the store are remembered with their file key, so reloading a
// file this Key (or another process) wrote costs one scrypt per header,
// not per load.
func PassphraseKey(secret string, workFactor int) (*Key, error) {
	const source = "passphrase"
	if secret == "" {
		return nil, &KeyError{Source: source, Reason: "empty passphrase"}
	}
	if workFactor < 0 || workFactor > 22 {
		return nil, &KeyError{Source: source, Reason: fmt.Sprintf("work factor %d out of range 0..22", workFactor)}
	}
	r, err := age.NewScryptRecipient(secret)
	if err != nil {
		return nil, &KeyError{Source: source, Reason: "bad passphrase", Err: err}
	}
	if workFactor != 0 {
		r.SetWorkFactor(workFactor)
	}
	id, err := age.NewScryptIdentity(secret)
	if err != nil {
		return nil, &KeyError{Source: source, Reason: "bad passphrase", Err: err}
	}
	return &Key{source: source, pass: &passphrase{recipient: r, identity: id}}, nil
}

// KeyFromEnv returns the key that the environment names: $HTTPSESSION_KEY_FILE
// (an identity file on fsys, nil meaning the operating system's) or
// $HTTPSESSION_PASSPHRASE. Neither set is (nil, nil); both set is an error,
// since it is not clear which one the files are encrypted with.
func KeyFromEnv(getenv func(string) string, fsys afero.Fs) (*Key, error) {
	file, pass := getenv(EnvKeyFile), getenv(EnvPassphrase)
	switch {
	case file != "" && pass != "":
		return nil, &KeyError{Source: "$" + EnvKeyFile + " and $" + EnvPassphrase, Reason: "both are set; set one"}
	case file != "":
		k, err := KeyFromFile(fsys, file)
		if err != nil {
			var ke *KeyError
			if errors.As(err, &ke) {
				ke.Source = "$" + EnvKeyFile + ": " + ke.Source
			}
			return nil, err
		}
		k.source = "$" + EnvKeyFile + ": " + k.source
		return k, nil
	case pass != "":
		k, err := PassphraseKey(pass, 0)
		if err != nil {
			var ke *KeyError
			if errors.As(err, &ke) {
				ke.Source = "$" + EnvPassphrase
			}
			return nil, err
		}
		k.source = "$" + EnvPassphrase
		return k, nil
	}
	return nil, nil
}

// ageMagic starts every binary age file; armorMagic an ASCII-armored one.
const (
	ageMagic   = "age-encryption.org/"
	armorMagic = "-----BEGIN AGE ENCRYPTED FILE-----"
)

// IsEncrypted reports whether data looks like an age file (binary or
// ASCII-armored) rather than a plain session document.
func IsEncrypted(data []byte) bool {
	if bytes.HasPrefix(data, []byte(ageMagic)) {
		return true
	}
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(armorMagic))
}

// seal encrypts plain into a new age file: a new header, with a new file
// key for the Key's recipient, and the payload written by sealPayload
// straight into a slice of the file's size (age's stream writer copies
// each chunk into a buffer of its own and writes it to ours).
func (k *Key) seal(plain []byte) ([]byte, error) {
	if k.pass != nil {
		return k.pass.seal(plain)
	}
	hdr, fileKey, err := newHeader(k.recipient)
	if err != nil {
		return nil, err
	}
	// Remember the file key, so that reading this file back (the next
	// save's merge reads it under the lock) skips the key agreement.
	k.headers.put(hdr, fileKey)
	return sealPayload(fileBuffer(hdr, len(plain)), fileKey, plain, rand.Reader)
}

// newHeader returns the header of a new age file for r, and its file key.
func newHeader(r age.Recipient) (hdr, fileKey []byte, err error) {
	rec := &recordingRecipient{r: r}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rec)
	if err != nil {
		return nil, nil, err
	}
	if err := w.Close(); err != nil {
		return nil, nil, err
	}
	hdr, err = age.ExtractHeader(&buf)
	if err != nil {
		return nil, nil, err
	}
	return hdr, rec.fileKey, nil
}

// fileBuffer returns hdr in a slice with room for the payload of a
// plaintext of n bytes.
func fileBuffer(hdr []byte, n int) []byte {
	out := make([]byte, 0, len(hdr)+nonceSize+n+(n/chunkSize+1)*tagSize)
	return append(out, hdr...)
}

// errWrongKey marks a file none of the key's identities opens.
var errWrongKey = errors.New("wrong key: no identity matches the file")

// open decrypts an age file. It returns errWrongKey (wrapping age's
// *NoIdentityMatchError) when the key doesn't match and any other error
// when the file is malformed, truncated or altered.
//
// The file is in memory, so it goes through age.DecryptReaderAt, which
// knows the plaintext's size (once it has authenticated the final chunk)
// and decrypts each chunk in place into one buffer, read into one slice of
// that size: half the copies of age.Decrypt's stream reader, which also
// allocates a new 64 KiB buffer per chunk, and no guess at the size.
func (k *Key) open(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, []byte(ageMagic)) {
		dec, err := dearmor(data)
		if err != nil {
			return nil, fmt.Errorf("armor: %w", err)
		}
		data = dec
	}
	ids := k.identities
	if k.pass != nil {
		fk, err := k.pass.headerKey(data)
		if err != nil {
			return nil, wrongKey(err)
		}
		ids = []age.Identity{age.NewInjectedFileKeyIdentity(fk)}
	} else if fk := k.headers.lookup(data); fk != nil {
		ids = []age.Identity{age.NewInjectedFileKeyIdentity(fk)}
	}
	r, size, err := age.DecryptReaderAt(bytes.NewReader(data), int64(len(data)), ids...)
	if err != nil {
		return nil, wrongKey(err)
	}
	plain := make([]byte, size) // less than len(data)
	if n, err := r.ReadAt(plain, 0); n != len(plain) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return plain, nil
}

// wrongKey marks age's *NoIdentityMatchError with errWrongKey.
func wrongKey(err error) error {
	if nm := new(age.NoIdentityMatchError); errors.As(err, &nm) {
		return fmt.Errorf("%w (%w)", errWrongKey, err)
	}
	return err
}

// dearmor decodes an ASCII-armored age file into a buffer sized for it
// up front (base64 is 3 bytes in 4), where io.ReadAll would grow one
// several times.
func dearmor(data []byte) ([]byte, error) {
	data = bytes.TrimLeft(data, " \t\r\n")
	buf := bytes.NewBuffer(make([]byte, 0, len(data)/4*3+bytes.MinRead))
	_, err := buf.ReadFrom(armor.NewReader(bytes.NewReader(data)))
	return buf.Bytes(), err
}

// passphrase holds a passphrase Key's scrypt results: the header and file
// key it encrypts with, and the file keys of the headers it has read.
type passphrase struct {
	recipient *age.ScryptRecipient
	identity  *age.ScryptIdentity

	// mu guards the fields below. It is held while scrypt runs, so that
	// goroutines sharing the Key pay for it once.
	mu      sync.Mutex
	header  []byte            // header of the files this Key writes
	fileKey []byte            // its file key
	known   map[string][]byte // header → file key, for headers read
}

// maxKnownHeaders bounds passphrase.known: one entry per process that
// wrote the file while this one ran is plenty.
const maxKnownHeaders = 16

// seal writes plain under the Key's header with a fresh payload nonce.
func (p *passphrase) seal(plain []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.header == nil {
		hdr, fileKey, err := newHeader(p.recipient)
		if err != nil {
			return nil, err
		}
		p.header, p.fileKey = hdr, fileKey
		p.remember(hdr, fileKey)
	}
	return sealPayload(fileBuffer(p.header, len(plain)), p.fileKey, plain, rand.Reader)
}

// headerKey returns the file key of data's header, running scrypt only for
// a header not seen before.
func (p *passphrase) headerKey(data []byte) ([]byte, error) {
	hdr, err := age.ExtractHeader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	fk, ok := p.known[string(hdr)]
	if !ok {
		fk, err = age.DecryptHeader(hdr, p.identity)
		if err == nil {
			p.remember(hdr, fk)
		}
	}
	p.mu.Unlock()
	return fk, err
}

func (p *passphrase) remember(hdr, fileKey []byte) {
	if p.known == nil {
		p.known = make(map[string][]byte)
	}
	if len(p.known) >= maxKnownHeaders {
		for h := range p.known {
			if h != string(p.header) {
				delete(p.known, h)
				break
			}
		}
	}
	p.known[string(hdr)] = fileKey
}

// recordingRecipient wraps a recipient and keeps the file key it wrapped.
type recordingRecipient struct {
	r       age.Recipient
	fileKey []byte
}

func (r *recordingRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	r.fileKey = bytes.Clone(fileKey)
	return r.r.Wrap(fileKey)
}

// keySourceHint is what a key error says about where else a key can come
// from.
var keySourceHint = "give a key file ($" + EnvKeyFile + ") or a passphrase ($" + EnvPassphrase + ")"

// A headerCache remembers the file keys of the last few age headers an
// identity Key wrote, so that reading such a file back skips the key
// agreement. An entry is only ever the exact header bytes it was made for.
type headerCache struct {
	mu      sync.Mutex
	entries []headerEntry // newest last
}

type headerEntry struct {
	header, fileKey []byte
}

const maxCachedHeaders = 4

func (c *headerCache) put(hdr, fileKey []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) == maxCachedHeaders {
		c.entries = append(c.entries[:0], c.entries[1:]...)
	}
	c.entries = append(c.entries, headerEntry{hdr, fileKey})
}

// lookup returns the file key of the header data starts with, nil if it
// is not a remembered one.
func (c *headerCache) lookup(data []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.entries) - 1; i >= 0; i-- {
		if bytes.HasPrefix(data, c.entries[i].header) {
			return c.entries[i].fileKey
		}
	}
	return nil
}
