package storagestate_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/storagestate"
)

// A Playwright storageState goes into a session file and comes back out
// whole: the cookies, and the origins (localStorage) a single-page app
// keeps its token in.
func ExampleImport() {
	state := `{"cookies":[{"name":"sid","value":"abc","domain":"app.example.com","path":"/",
		"expires":-1,"httpOnly":true,"secure":true,"sameSite":"Lax"}],
	"origins":[{"origin":"https://app.example.com","localStorage":[{"name":"token","value":"spa"}]}]}`
	st, err := storagestate.Read(strings.NewReader(state))
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "session.json")

	c, err := httpsession.New(httpsession.Options{SessionFile: file})
	if err != nil {
		log.Fatal(err)
	}
	if rejected, err := storagestate.Import(c.Jar(), st); err != nil || len(rejected) > 0 {
		log.Fatal(err, rejected)
	}
	if err := c.Close(); err != nil { // saved: cookies and origins
		log.Fatal(err)
	}

	again, err := httpsession.New(httpsession.Options{SessionFile: file})
	if err != nil {
		log.Fatal(err)
	}
	defer again.Close()
	out := storagestate.FromJar(again.Jar())
	fmt.Println(len(out.Cookies), "cookie:", out.Cookies[0].Name, out.Cookies[0].Domain)
	fmt.Println(string(out.Origins))
	// Output:
	// 1 cookie: sid app.example.com
	// [{"origin":"https://app.example.com","localStorage":[{"name":"token","value":"spa"}]}]
}
