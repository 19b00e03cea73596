package bench

import (
	"net/http"
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

// encSaveOp returns a merge-save of a 3,000-cookie session to the store
// impl (read and decrypt the file under the lock, merge, encode, encrypt,
// write atomically), each call changing one cookie.
func encSaveOp(b *testing.B, impl string, id *age.X25519Identity, ss []site, updates [][]*http.Cookie) func(*testing.B) {
	st := encStores(b, filepath.Join(b.TempDir(), "session.json"), id)[impl]
	j := newEncJar()
	fill(j, ss)
	if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
		b.Fatal(err)
	}
	i := 0
	return func(b *testing.B) {
		k := i % len(ss)
		j.SetCookies(ss[k].url, updates[k])
		if err := httpsession.SaveSession(st, j, nil, nil); err != nil {
			b.Fatal(err)
		}
		i += 7
	}
}

// encLoadOp returns a load of a 3,000-cookie session from the store impl
// into a new jar. The file is written by another Key for the same identity
// or passphrase, as at a program's start, so that x25519 pays its key
// agreement on every op; passphrase pays scrypt on the first op only (see
// agestore.PassphraseKey).
func encLoadOp(b *testing.B, impl string, id *age.X25519Identity, ss []site) func(*testing.B) {
	path := filepath.Join(b.TempDir(), "session.json")
	writer, st := encStores(b, path, id)[impl], encStores(b, path, id)[impl]
	j := newEncJar()
	fill(j, ss)
	if err := httpsession.SaveSession(writer, j, nil, nil); err != nil {
		b.Fatal(err)
	}
	checked := false
	return func(b *testing.B) {
		j := newEncJar()
		if _, err := httpsession.LoadSession(st, j); err != nil {
			b.Fatal(err)
		}
		if !checked { // the first op only: a count is no part of a load
			if n := len(j.All()); n != encryptedSize {
				b.Fatalf("loaded %d cookies, want %d", n, encryptedSize)
			}
			checked = true
		}
	}
}

// encFixture is what the encrypted benchmarks share: the sites, the
// updates of a save and an identity.
func encFixture(b *testing.B) ([]site, [][]*http.Cookie, *age.X25519Identity) {
	now := time.Now()
	ss := sites(encryptedSize/cookiesPerSite, cookiesPerSite, now)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	return ss, updatesFor(ss, now), id
}

// BenchmarkEncryptedSave times encSaveOp for each store.
func BenchmarkEncryptedSave(b *testing.B) {
	ss, updates, id := encFixture(b)
	for _, impl := range []string{"plain", "x25519", "passphrase"} {
		b.Run("store="+impl, func(b *testing.B) {
			op := encSaveOp(b, impl, id, ss, updates)
			for b.Loop() {
				op(b)
			}
		})
	}
}

// BenchmarkEncryptedLoad times encLoadOp for each store.
func BenchmarkEncryptedLoad(b *testing.B) {
	ss, _, id := encFixture(b)
	for _, impl := range []string{"plain", "x25519", "passphrase"} {
		b.Run("store="+impl, func(b *testing.B) {
			op := encLoadOp(b, impl, id, ss)
			for b.Loop() {
				op(b)
			}
		})
	}
}

// BenchmarkEncryptedPaired runs encSaveOp or encLoadOp for an encrypted
// store and store=plain alternately in one loop (which one goes first
// alternates too), each on a file of its own, and reports the ratio of
// their median times, encrypted over plain (x-ns/op and y-ns/op are the
// two medians): the machine's load and the disk's fsync latency, which
// move the times of separate benchmarks by more than encryption costs,
// weigh on both sides alike. The first op of each side, which pays a
// passphrase's scrypt once per Key, is not timed.
func BenchmarkEncryptedPaired(b *testing.B) {
	ss, updates, id := encFixture(b)
	for _, enc := range []string{"x25519", "passphrase"} {
		b.Run("op=save/pair="+enc+"-vs-plain", func(b *testing.B) {
			pairedOps(b, encSaveOp(b, enc, id, ss, updates), encSaveOp(b, "plain", id, ss, updates))
		})
		b.Run("op=load/pair="+enc+"-vs-plain", func(b *testing.B) {
			pairedOps(b, encLoadOp(b, enc, id, ss), encLoadOp(b, "plain", id, ss))
		})
	}
}

// pairedOps runs the ops x and y alternately (changing which goes first
// every time), each timed on its own, after one untimed run of each:
// ratio is the median time of x over the median time of y, x-ns/op and
// y-ns/op the two medians, and ns/op the time of the pair.
func pairedOps(b *testing.B, x, y func(*testing.B)) {
	x(b)
	y(b)
	var tx, ty []time.Duration
	i := 0
	for b.Loop() {
		first, second, d1, d2 := x, y, &tx, &ty
		if i%2 == 1 {
			first, second, d1, d2 = y, x, &ty, &tx
		}
		t0 := time.Now()
		first(b)
		t := time.Now()
		second(b)
		*d1 = append(*d1, t.Sub(t0))
		*d2 = append(*d2, time.Since(t))
		i++
	}
	b.ReportMetric(float64(median(tx))/float64(median(ty)), "ratio")
	b.ReportMetric(float64(median(tx).Nanoseconds()), "x-ns/op")
	b.ReportMetric(float64(median(ty).Nanoseconds()), "y-ns/op")
}
