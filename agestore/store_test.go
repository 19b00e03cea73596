package agestore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession"
	"github.com/spf13/afero"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Secrets the session under test holds; none may appear in an encrypted
// file or an error.
const (
	accessToken  = "at-7f3a9c1e5b"
	refreshToken = "rt-51d0e8b2aa"
)

var cookieValues = []string{"sid-9e1c77d2", "csrf-0a4b66f3", "pref-c28e31d9"}

func testToken() *httpsession.Token {
	return &httpsession.Token{AccessToken: accessToken, TokenType: "Bearer", RefreshToken: refreshToken, Expiry: t0.Add(time.Hour)}
}

// testJar returns a jar on a fixed clock holding the cookieValues.
func testJar(t *testing.T) *httpsession.Jar {
	t.Helper()
	jar := jarAt(func() time.Time { return t0 }, nil)
	u, _ := url.Parse("https://app.example.com/")
	var cs []*http.Cookie
	for i, v := range cookieValues {
		cs = append(cs, &http.Cookie{Name: fmt.Sprintf("c%d", i), Value: v, Path: "/", Expires: t0.Add(24 * time.Hour)})
	}
	jar.SetCookies(u, cs)
	return jar
}

func x25519Key(t testing.TB) (*Key, *age.X25519Identity) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	k, err := IdentityKey(id, "test identity")
	if err != nil {
		t.Fatal(err)
	}
	return k, id
}

// testKeys are the kinds of Key a Store is tested with.
func testKeys(t *testing.T) map[string]*Key {
	xk, _ := x25519Key(t)
	pk, err := PassphraseKey("correct horse battery staple", 10)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*Key{"x25519": xk, "passphrase": pk}
}

func readFile(t *testing.T, fsys afero.Fs, path string) []byte {
	t.Helper()
	b, err := afero.ReadFile(fsys, path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoundTrip saves a session encrypted, checks that the file is an age
// file holding exactly the JSON a plain file would hold and none of the
// secrets, and loads it back.
func TestRoundTrip(t *testing.T) {
	for name, key := range testKeys(t) {
		t.Run(name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			st := NewFile(fsys, "/s/session.json", key)
			opts := &httpsession.SessionOptions{}
			if err := httpsession.SaveSession(st, testJar(t), testToken(), opts); err != nil {
				t.Fatal(err)
			}
			if err := httpsession.SaveSession(httpsession.NewFileStore(fsys, "/s/plain.json"), testJar(t), testToken(), opts); err != nil {
				t.Fatal(err)
			}
			enc := readFile(t, fsys, "/s/session.json")
			if !bytes.HasPrefix(enc, []byte("age-encryption.org/v1\n")) {
				t.Fatalf("file starts %q, want an age header", enc[:min(len(enc), 30)])
			}
			for _, secret := range append([]string{accessToken, refreshToken}, cookieValues...) {
				if n := bytes.Count(enc, []byte(secret)); n != 0 {
					t.Errorf("encrypted file holds %q %d times", secret, n)
				}
			}
			plain, err := st.Load()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(readFile(t, fsys, "/s/plain.json")), string(plain)); diff != "" {
				t.Errorf("decrypted document differs from the plain file (-plain +decrypted):\n%s", diff)
			}
			jar := jarAt(func() time.Time { return t0 }, nil)
			tok, err := httpsession.LoadSession(st, jar)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(testToken(), tok); diff != "" {
				t.Errorf("token (-want +got):\n%s", diff)
			}
			var got []string
			for _, c := range jar.All() {
				got = append(got, c.Value)
			}
			if diff := cmp.Diff(cookieValues, got); diff != "" {
				t.Errorf("cookie values (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAgeLibraryDecrypts checks the file against age's own decrypter, with
// the identity and with the passphrase.
func TestAgeLibraryDecrypts(t *testing.T) {
	fsys := afero.NewMemMapFs()
	xk, id := x25519Key(t)
	pk, err := PassphraseKey("pw", 10)
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := age.NewScryptIdentity("pw")
	for _, tc := range []struct {
		name string
		key  *Key
		id   age.Identity
	}{{"x25519", xk, id}, {"passphrase", pk, sid}} {
		t.Run(tc.name, func(t *testing.T) {
			st := NewFile(fsys, "/"+tc.name, tc.key)
			// Two saves: the second reuses a passphrase Key's header.
			for i := range 2 {
				jar := testJar(t)
				jar.SetCookies(&url.URL{Scheme: "https", Host: "app.example.com", Path: "/"}, []*http.Cookie{{Name: "n", Value: strings.Repeat("v", i+1), MaxAge: 3600}})
				if err := httpsession.SaveSession(st, jar, testToken(), nil); err != nil {
					t.Fatal(err)
				}
				want, err := st.Load()
				if err != nil {
					t.Fatal(err)
				}
				r, err := age.Decrypt(bytes.NewReader(readFile(t, fsys, "/"+tc.name)), tc.id)
				if err != nil {
					t.Fatalf("save %d: age.Decrypt: %v", i, err)
				}
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("save %d: age.Decrypt: %v", i, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("save %d: age.Decrypt gives %q, want %q", i, got, want)
				}
			}
		})
	}
}

// TestSealPayloadSizes checks the hand-written payload against age's
// decrypter around the chunk boundaries.
func TestSealPayloadSizes(t *testing.T) {
	pk, err := PassphraseKey("pw", 10)
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := age.NewScryptIdentity("pw")
	for _, n := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 2 * chunkSize, 3*chunkSize + 7} {
		plain := bytes.Repeat([]byte{'x'}, n)
		enc, err := pk.seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		r, err := age.Decrypt(bytes.NewReader(enc), sid)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("size %d: decrypted %d bytes, err %v; want %d bytes", n, len(got), err, n)
		}
		if back, err := pk.open(enc); err != nil || !bytes.Equal(back, plain) {
			t.Errorf("size %d: Key.open: %d bytes, %v", n, len(back), err)
		}
	}
}

// TestNoWriteWhenUnchanged: saving an unchanged session leaves the
// ciphertext as it is (a rewrite would change every byte).
func TestNoWriteWhenUnchanged(t *testing.T) {
	for name, key := range testKeys(t) {
		t.Run(name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			st := NewFile(fsys, "/session.json", key)
			jar := testJar(t)
			if err := httpsession.SaveSession(st, jar, testToken(), nil); err != nil {
				t.Fatal(err)
			}
			before := readFile(t, fsys, "/session.json")
			for range 3 {
				if err := httpsession.SaveSession(st, jar, testToken(), nil); err != nil {
					t.Fatal(err)
				}
			}
			// Another process's view: a fresh jar loaded from the file.
			other := jarAt(func() time.Time { return t0 }, nil)
			if _, err := httpsession.LoadSession(st, other); err != nil {
				t.Fatal(err)
			}
			if err := httpsession.SaveSession(st, other, nil, nil); err != nil {
				t.Fatal(err)
			}
			if after := readFile(t, fsys, "/session.json"); !bytes.Equal(before, after) {
				t.Error("an unchanged session was rewritten")
			}
		})
	}
}

// TestBadFiles: a wrong key or a broken file is a typed error, and a save
// leaves the file untouched.
func TestBadFiles(t *testing.T) {
	fsys := afero.NewMemMapFs()
	key, id := x25519Key(t)
	other, _ := x25519Key(t)
	pk, _ := PassphraseKey("pw", 10)
	good := NewFile(fsys, "/good", key)
	if err := httpsession.SaveSession(good, testJar(t), testToken(), nil); err != nil {
		t.Fatal(err)
	}
	enc := readFile(t, fsys, "/good")
	flip := func(i int) []byte {
		b := bytes.Clone(enc)
		b[i] ^= 0x01
		return b
	}
	hdrEnd := bytes.Index(enc, []byte("\n---")) + 1
	for _, tc := range []struct {
		name    string
		data    []byte
		key     *Key
		wantErr error
	}{
		{"another identity", enc, other, ErrSessionKey},
		{"a passphrase for an identity's file", enc, pk, ErrSessionKey},
		{"truncated payload", enc[:len(enc)-5], key, httpsession.ErrCorruptSession},
		{"truncated header", enc[:hdrEnd], key, httpsession.ErrCorruptSession},
		{"payload bit flipped", flip(len(enc) - 20), key, httpsession.ErrCorruptSession},
		{"header MAC bit flipped", flip(hdrEnd + 6), key, httpsession.ErrCorruptSession},
		{"unknown version", append([]byte("age-encryption.org/v9\n"), enc[22:]...), key, httpsession.ErrCorruptSession},
		{"broken armor", []byte(armorMagic + "\nnot base64!\n"), key, httpsession.ErrCorruptSession},
	} {
		t.Run(tc.name, func(t *testing.T) {
			afero.WriteFile(fsys, "/bad", tc.data, 0o600)
			st := NewFile(fsys, "/bad", tc.key)
			_, err := httpsession.LoadSession(st, httpsession.NewJar(nil))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("LoadSession error = %v, want %v", err, tc.wantErr)
			}
			msg := err.Error()
			if !strings.Contains(msg, `"/bad"`) {
				t.Errorf("error %q does not name the file", msg)
			}
			if strings.Contains(msg, "AGE-SECRET-KEY") || strings.Contains(msg, id.String()) {
				t.Errorf("error %q holds key material", msg)
			}
			if ke := new(KeyError); errors.As(err, &ke) && ke.Source != tc.key.Source() {
				t.Errorf("KeyError.Source = %q, want %q", ke.Source, tc.key.Source())
			}
			serr := httpsession.SaveSession(st, testJar(t), testToken(), nil)
			if !errors.Is(serr, tc.wantErr) {
				t.Errorf("SaveSession error = %v, want %v", serr, tc.wantErr)
			}
			if _, err := st.Encrypt(); !errors.Is(err, tc.wantErr) {
				t.Errorf("Encrypt error = %v, want %v", err, tc.wantErr)
			}
			if _, err := st.Decrypt(); !errors.Is(err, tc.wantErr) {
				t.Errorf("Decrypt error = %v, want %v", err, tc.wantErr)
			}
			if got := readFile(t, fsys, "/bad"); !bytes.Equal(got, tc.data) {
				t.Error("the file was written")
			}
		})
	}
}

// TestMigration: a plain file opened with encryption on is rewritten
// encrypted by the next save, even one that changes nothing; going back
// takes Decrypt.
func TestMigration(t *testing.T) {
	fsys := afero.NewMemMapFs()
	key, _ := x25519Key(t)
	plainStore := httpsession.NewFileStore(fsys, "/session.json")
	if err := httpsession.SaveSession(plainStore, testJar(t), testToken(), nil); err != nil {
		t.Fatal(err)
	}
	plain := readFile(t, fsys, "/session.json")

	st := NewFile(fsys, "/session.json", key)
	jar := jarAt(func() time.Time { return t0 }, nil)
	tok, err := httpsession.LoadSession(st, jar)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testToken(), tok); diff != "" {
		t.Fatalf("token from the plain file (-want +got):\n%s", diff)
	}
	if err := httpsession.SaveSession(st, jar, nil, nil); err != nil {
		t.Fatal(err)
	}
	enc := readFile(t, fsys, "/session.json")
	if !IsEncrypted(enc) {
		t.Fatal("the save left the file plain")
	}
	if got, _ := st.Load(); !bytes.Equal(got, plain) {
		t.Errorf("migrated document = %q, want %q", got, plain)
	}
	if wrote, err := st.Encrypt(); wrote || err != nil {
		t.Errorf("Encrypt of an encrypted file = %v, %v; want false, nil", wrote, err)
	}

	if wrote, err := st.Decrypt(); !wrote || err != nil {
		t.Fatalf("Decrypt = %v, %v; want true, nil", wrote, err)
	}
	if got := readFile(t, fsys, "/session.json"); !bytes.Equal(got, plain) {
		t.Errorf("decrypted file = %q, want %q", got, plain)
	}
	if wrote, err := st.Encrypt(); !wrote || err != nil {
		t.Fatalf("Encrypt = %v, %v; want true, nil", wrote, err)
	}
	if !IsEncrypted(readFile(t, fsys, "/session.json")) {
		t.Error("Encrypt left the file plain")
	}
}

// TestClientSaveMigrates: a Client opened with a Key on a plain session
// file writes it encrypted on its next Save, though its session did not
// change, and a Save after that writes nothing.
func TestClientSaveMigrates(t *testing.T) {
	fsys := afero.NewMemMapFs()
	plainStore := httpsession.NewFileStore(fsys, "/session.json")
	if err := httpsession.SaveSession(plainStore, testJar(t), testToken(), nil); err != nil {
		t.Fatal(err)
	}
	plain := readFile(t, fsys, "/session.json")

	key, _ := x25519Key(t)
	st := NewFile(fsys, "/session.json", key)
	if st.NeedsWrite() {
		t.Error("NeedsWrite before any read = true")
	}
	c, err := httpsession.New(httpsession.Options{Store: st, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if !st.NeedsWrite() {
		t.Error("NeedsWrite after reading a plain file = false, want true")
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	enc := readFile(t, fsys, "/session.json")
	if !IsEncrypted(enc) {
		t.Fatal("Save left the plain file plain")
	}
	if st.NeedsWrite() {
		t.Error("NeedsWrite after the migrating Save = true")
	}
	if got, err := st.Load(); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("migrated document = %q, %v; want %q", got, err, plain)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, fsys, "/session.json"); !bytes.Equal(got, enc) {
		t.Error("a Save after the migration rewrote the file")
	}
}

// TestNeedsWrite follows NeedsWrite through the Store's reads and writes.
func TestNeedsWrite(t *testing.T) {
	fsys := afero.NewMemMapFs()
	key, _ := x25519Key(t)
	other, _ := x25519Key(t)
	if err := httpsession.SaveSession(httpsession.NewFileStore(fsys, "/plain.json"), testJar(t), testToken(), nil); err != nil {
		t.Fatal(err)
	}
	plain := readFile(t, fsys, "/plain.json")
	st := NewFile(fsys, "/session.json", key)
	step := func(what string, do func() error, want bool) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := st.NeedsWrite(); got != want {
			t.Errorf("NeedsWrite after %s = %v, want %v", what, got, want)
		}
	}
	load := func() error { _, err := st.Load(); return err }
	unchanged := func() error { return st.Update(func([]byte) ([]byte, error) { return nil, nil }) }
	savePlain := func() error { return afero.WriteFile(fsys, "/session.json", plain, 0o600) }

	step("Load of nothing", load, false)
	step("plain save by another program", savePlain, false)
	step("Load of the plain file", load, true)
	step("Update storing nothing (migrates)", unchanged, false)
	step("Load of the encrypted file", load, false)
	step("Decrypt", func() error { _, err := st.Decrypt(); return err }, true)
	step("Encrypt", func() error { _, err := st.Encrypt(); return err }, false)
	step("plain save by another program", savePlain, false)
	step("Update whose fn fails", func() error {
		if err := st.Update(func([]byte) ([]byte, error) { return nil, errors.New("no") }); err == nil {
			return errors.New("no error")
		}
		return nil
	}, true)
	// Another key's file: no write is possible, nor needed.
	if err := httpsession.SaveSession(NewFile(fsys, "/session.json", other), testJar(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(); !errors.Is(err, ErrSessionKey) {
		t.Fatalf("Load of another key's file: %v, want ErrSessionKey", err)
	}
	if st.NeedsWrite() {
		t.Error("NeedsWrite after a Load of another key's file = true")
	}
}

// TestCorruptPlainNotMigrated: a corrupt plain file stays as it is.
func TestCorruptPlainNotMigrated(t *testing.T) {
	fsys := afero.NewMemMapFs()
	key, _ := x25519Key(t)
	bad := []byte(`{"version": 1, "cookies": [`)
	afero.WriteFile(fsys, "/session.json", bad, 0o600)
	st := NewFile(fsys, "/session.json", key)
	if err := httpsession.SaveSession(st, testJar(t), nil, nil); !errors.Is(err, httpsession.ErrCorruptSession) {
		t.Errorf("SaveSession error = %v, want ErrCorruptSession", err)
	}
	if _, err := st.Encrypt(); !errors.Is(err, httpsession.ErrCorruptSession) {
		t.Errorf("Encrypt error = %v, want ErrCorruptSession", err)
	}
	if got := readFile(t, fsys, "/session.json"); !bytes.Equal(got, bad) {
		t.Error("the corrupt file was written")
	}
}

// TestArmoredFile reads a file age wrote with ASCII armor.
func TestArmoredFile(t *testing.T) {
	key, id := x25519Key(t)
	fsys := afero.NewMemMapFs()
	if err := httpsession.SaveSession(httpsession.NewFileStore(fsys, "/plain"), testJar(t), testToken(), nil); err != nil {
		t.Fatal(err)
	}
	plain := readFile(t, fsys, "/plain")
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, _ := age.Encrypt(aw, id.Recipient())
	w.Write(plain)
	w.Close()
	aw.Close()
	afero.WriteFile(fsys, "/armored", buf.Bytes(), 0o600)
	got, err := NewFile(fsys, "/armored", key).Load()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Errorf("Load = %q, want %q", got, plain)
	}
}

// TestKeyRedacted: no way of printing a Key shows its secret.
func TestKeyRedacted(t *testing.T) {
	key, id := x25519Key(t)
	pk, _ := PassphraseKey("hunter2-passphrase", 10)
	for _, k := range []*Key{key, pk} {
		for _, s := range []string{
			fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x", k, k, k, k, k, k),
			fmt.Sprintf("%v %+v %#v", *k, *k, *k), fmt.Sprintf("%+v", struct{ K *Key }{k}),
			fmt.Sprintf("%+v", struct{ K Key }{*k}), k.LogValue().String(),
		} {
			if strings.Contains(s, id.String()) || strings.Contains(s, "AGE-SECRET-KEY") || strings.Contains(s, "hunter2") {
				t.Errorf("printed key %q holds its secret", s)
			}
		}
	}
}

// TestKeySources covers key files (with comments), the environment and
// their errors.
func TestKeySources(t *testing.T) {
	fsys := afero.NewMemMapFs()
	id, _ := age.GenerateX25519Identity()
	afero.WriteFile(fsys, "/key.txt", []byte("# created: 2026-03-01T12:00:00Z\n# public key: "+id.Recipient().String()+"\n"+id.String()+"\n"), 0o600)
	afero.WriteFile(fsys, "/bad.txt", []byte("# nothing\nAGE-SECRET-KEY-1NOTAKEY\n"), 0o600)
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name       string
		get        func() (*Key, error)
		wantSource string // "" when an error is wanted
		wantErr    error
	}{
		{"key file with comments", func() (*Key, error) { return KeyFromFile(fsys, "/key.txt") }, `key file "/key.txt"`, nil},
		{"missing key file", func() (*Key, error) { return KeyFromFile(fsys, "/nope.txt") }, "", ErrSessionKey},
		{"malformed key file", func() (*Key, error) { return KeyFromFile(fsys, "/bad.txt") }, "", ErrSessionKey},
		{"env key file", func() (*Key, error) { return KeyFromEnv(env(EnvKeyFile, "/key.txt"), fsys) }, `$HTTPSESSION_KEY_FILE: key file "/key.txt"`, nil},
		{"env passphrase", func() (*Key, error) { return KeyFromEnv(env(EnvPassphrase, "pw"), fsys) }, "$HTTPSESSION_PASSPHRASE", nil},
		{"env both", func() (*Key, error) { return KeyFromEnv(env(EnvPassphrase, "pw", EnvKeyFile, "/key.txt"), fsys) }, "", ErrSessionKey},
		{"env missing file", func() (*Key, error) { return KeyFromEnv(env(EnvKeyFile, "/nope"), fsys) }, "", ErrSessionKey},
		{"empty passphrase", func() (*Key, error) { return PassphraseKey("", 0) }, "", ErrSessionKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := tc.get()
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
					t.Errorf("error %q holds key material", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Source() != tc.wantSource {
				t.Errorf("Source() = %q, want %q", k.Source(), tc.wantSource)
			}
		})
	}
	if k, err := KeyFromEnv(env(), fsys); k != nil || err != nil {
		t.Errorf("KeyFromEnv with nothing set = %v, %v; want nil, nil", k, err)
	}
}

// TestConcurrentSaves: goroutines sharing a Store and a passphrase Key.
func TestConcurrentSaves(t *testing.T) {
	fsys := afero.NewMemMapFs()
	pk, _ := PassphraseKey("pw", 10)
	st := NewFile(fsys, "/session.json", pk)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			jar := httpsession.NewJar(nil)
			jar.SetCookies(&url.URL{Scheme: "https", Host: "example.com", Path: "/"}, []*http.Cookie{{Name: fmt.Sprint("g", i), Value: "v", MaxAge: 3600}})
			if err := httpsession.SaveSession(st, jar, nil, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	jar := httpsession.NewJar(nil)
	if _, err := httpsession.LoadSession(st, jar); err != nil {
		t.Fatal(err)
	}
	if n := len(jar.All()); n != 8 {
		t.Errorf("%d cookies after 8 concurrent saves, want 8", n)
	}
}

// jarAt returns a jar on the clock now, as a Client with Options.Now has
// one (the only way to give a jar a clock of its own).
func jarAt(now func() time.Time, o *httpsession.JarOptions) *httpsession.Jar {
	c, err := httpsession.New(httpsession.Options{Now: now, Jar: o})
	if err != nil {
		panic(err)
	}
	return c.Jar()
}
