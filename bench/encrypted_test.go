package bench

import (
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/agestore"
)

// encryptedSize is how many cookies the encrypted-store benchmarks save and
// load: 10 cookies for each of 300 sites.
const encryptedSize = 3_000

// encStores returns the stores compared: the plain FileStore, and the same
// file through agestore with an X25519 identity and with a passphrase (at
// age's default work factor, 18: its scrypt runs once per Key, so it
// shows only in the first op, not per op).
// Each call makes new Keys, with nothing cached.
func encStores(b *testing.B, path string, id *age.X25519Identity) map[string]httpsession.Store {
	xk, err := agestore.IdentityKey(id, "bench")
	if err != nil {
		b.Fatal(err)
	}
	pk, err := agestore.PassphraseKey("bench passphrase", 0)
	if err != nil {
		b.Fatal(err)
	}
	return map[string]httpsession.Store{
		"plain":      httpsession.NewFileStore(nil, path),
		"x25519":     agestore.NewFile(nil, path, xk),
		"passphrase": agestore.NewFile(nil, path, pk),
	}
}

func newEncJar() *httpsession.Jar {
	return httpsession.NewJar(&httpsession.JarOptions{MaxCookies: 2 * encryptedSize, MaxCookiesPerDomain: cookiesPerSite})
}

// BenchmarkEncryptedSave changes one cookie and merge-saves a session of
// 3,000 cookies: read (and decrypt) the file under the lock, merge,
// encode, (encrypt,) write atomically.
func BenchmarkEncryptedSave(b *testing.B) {
	now := time.Now()
	ss := sites(encryptedSize/cookiesPerSite, cookiesPerSite, now)
	updates := updatesFor(ss, now)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	for _, impl := range []string{"plain", "x25519", "passphrase"} {
		b.Run("store="+impl, func(b *testing.B) {
			st := encStores(b, filepath.Join(b.TempDir(), "session.json"), id)[impl]
			j := newEncJar()
			fill(j, ss)
			if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				k := i % len(ss)
				j.SetCookies(ss[k].url, updates[k])
				if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
					b.Fatal(err)
				}
				i += 7
			}
		})
	}
}

// BenchmarkEncryptedLoad reads (and decrypts) a session of 3,000 cookies
// into a new jar. The file is written by another Key for the same identity
// or passphrase, as at a program's start, so that x25519 pays its key
// agreement on every op; passphrase pays scrypt on the first op only (see
// agestore.PassphraseKey).
func BenchmarkEncryptedLoad(b *testing.B) {
	now := time.Now()
	ss := sites(encryptedSize/cookiesPerSite, cookiesPerSite, now)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	for _, impl := range []string{"plain", "x25519", "passphrase"} {
		b.Run("store="+impl, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "session.json")
			writer, st := encStores(b, path, id)[impl], encStores(b, path, id)[impl]
			j := newEncJar()
			fill(j, ss)
			if err := httpsession.SaveSession(writer, j, nil, nil); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				j := newEncJar()
				if _, err := httpsession.LoadSession(st, j); err != nil {
					b.Fatal(err)
				}
				if j.Len() != encryptedSize {
					b.Fatalf("loaded %d cookies, want %d", j.Len(), encryptedSize)
				}
			}
		})
	}
}
