package httpsession_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/httpsession/httpsession"
)

// An API behind HTTP Basic authentication: the credentials go to the
// allowed origin only, and Client.PostForm posts a form through the
// session.
func ExampleBasicAuth() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "alice" || pass != "s3cret" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		r.ParseForm()
		fmt.Fprintf(w, "%s ordered %s", user, r.PostForm.Get("item"))
	}))
	defer api.Close()

	c, err := httpsession.New(httpsession.Options{
		Auth:        &httpsession.BasicAuth{Username: "alice", Password: "s3cret"},
		AuthOrigins: []string{api.URL},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	resp, err := c.PostForm(context.Background(), api.URL+"/orders", url.Values{"item": {"42"}})
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK alice ordered 42
}
