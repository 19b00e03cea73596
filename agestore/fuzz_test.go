package agestore

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/httpsession/httpsession"
	"github.com/spf13/afero"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus in testdata/fuzz")

// fuzzIdentity is a throwaway identity, public on purpose: the seed corpus
// is encrypted to it.
const fuzzIdentity = "AGE-SECRET-KEY-1LY909AUMY6H0Z5XP28P8J5FCZATMNPSHAJ07PGQWHZ6HF70VV7JQKFUTWQ"

func fuzzKey(t testing.TB) *Key {
	t.Helper()
	id, err := age.ParseX25519Identity(fuzzIdentity)
	if err != nil {
		t.Fatal(err)
	}
	k, err := IdentityKey(id, "fuzz identity")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FuzzOpen feeds arbitrary bytes to the decrypt-and-decode path: Load,
// LoadSession and a save. None may panic; every error must be
// ErrCorruptSession or ErrSessionKey; after an error the save must leave
// the file as it was; an age file that opens must hold what Load returns.
// The seed corpus (testdata/fuzz/FuzzOpen) holds a valid file and
// truncated, bit-flipped, re-headed and armored variants of it.
func FuzzOpen(f *testing.F) {
	key := fuzzKey(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := afero.NewMemMapFs()
		afero.WriteFile(fsys, "/s", data, 0o600)
		st := NewFile(fsys, "/s", key)
		plain, lerr := st.Load()
		_, err := httpsession.LoadSession(st, httpsession.NewJar(nil))
		if err != nil {
			if !errors.Is(err, httpsession.ErrCorruptSession) && !errors.Is(err, ErrSessionKey) {
				t.Fatalf("LoadSession error %v is neither ErrCorruptSession nor ErrSessionKey", err)
			}
			if serr := httpsession.SaveSession(st, httpsession.NewJar(nil), nil, nil); serr == nil {
				t.Fatalf("SaveSession over a file that does not load (%v) succeeded", err)
			}
			if got, _ := afero.ReadFile(fsys, "/s"); !bytes.Equal(got, data) {
				t.Fatal("a file that does not load was written")
			}
			return
		}
		if lerr != nil {
			t.Fatalf("Load failed (%v) where LoadSession did not", lerr)
		}
		if IsEncrypted(data) && plain == nil && len(data) > 0 {
			t.Fatal("an age file opened to nothing")
		}
	})
}

// TestFuzzCorpus checks that the seed corpus is there and that its first
// file opens; go test -run TestFuzzCorpus -update rewrites it.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	key := fuzzKey(t)
	if *update {
		fsys := afero.NewMemMapFs()
		if err := httpsession.SaveSession(NewFile(fsys, "/s", key), testJar(t), testToken(), nil); err != nil {
			t.Fatal(err)
		}
		valid, _ := afero.ReadFile(fsys, "/s")
		hdrEnd := bytes.Index(valid, []byte("\n---")) + 1
		flip := func(i int) []byte {
			b := bytes.Clone(valid)
			b[i] ^= 0x04
			return b
		}
		var armored bytes.Buffer
		writeArmored(&armored, valid)
		seeds := map[string][]byte{
			"0-valid":             valid,
			"1-truncated-payload": valid[:len(valid)-7],
			"2-truncated-header":  valid[:hdrEnd-3],
			"3-header-only":       valid[:hdrEnd+48],
			"4-flip-payload":      flip(len(valid) - 30),
			"5-flip-stanza":       flip(40),
			"6-flip-mac":          flip(hdrEnd + 10),
			"7-wrong-version":     append([]byte("age-encryption.org/v2"), valid[21:]...),
			"8-armored":           armored.Bytes(),
			"9-plain-json":        []byte(`{"version":1,"cookies":[]}`),
		}
		os.MkdirAll(dir, 0o755)
		for name, b := range seeds {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) < 9 {
		t.Fatalf("seed corpus in %s: %d files, %v; run with -update", dir, len(entries), err)
	}
}

func writeArmored(w *bytes.Buffer, data []byte) {
	aw := armor.NewWriter(w)
	aw.Write(data)
	aw.Close()
}
