package agestore_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"

	"filippo.io/age"
	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/agestore"
	"github.com/spf13/afero"
)

// A Client whose session file is encrypted with an age identity. The
// identity would come from a key file (agestore.KeyFromFile), the
// environment (agestore.KeyFromEnv) or the OS keyring
// (agestore.KeyFromKeyring); the file system here is in memory.
func Example() {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		log.Fatal(err)
	}
	key, err := agestore.IdentityKey(id, "example identity")
	if err != nil {
		log.Fatal(err)
	}
	fsys := afero.NewMemMapFs()
	c, err := httpsession.New(httpsession.Options{Store: agestore.NewFile(fsys, "session.json", key)})
	if err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse("https://example.com/")
	c.Jar().SetCookies(u, []*http.Cookie{{Name: "sid", Value: "s3cr3t", MaxAge: 3600}})
	if err := c.Close(); err != nil {
		log.Fatal(err)
	}

	raw, _ := afero.ReadFile(fsys, "session.json")
	fmt.Println("age file:", agestore.IsEncrypted(raw))
	fmt.Println("cookie value in the file:", bytes.Contains(raw, []byte("s3cr3t")))

	// age itself decrypts it, as `age -d -i key.txt session.json` would.
	r, err := age.Decrypt(bytes.NewReader(raw), id)
	if err != nil {
		log.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	fmt.Println("decrypted:", string(plain[:13]))

	// Another Client with the same key resumes the session.
	c2, err := httpsession.New(httpsession.Options{Store: agestore.NewFile(fsys, "session.json", key)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("cookies:", len(c2.Jar().All()))
	// Output:
	// age file: true
	// cookie value in the file: false
	// decrypted: {"version":1,
	// cookies: 1
}
