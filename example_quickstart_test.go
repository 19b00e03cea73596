package httpsession_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/httpsession/httpsession"
)

// Example_quickStart is the README's Quick start, here so that it is
// compiled with the tests. It is not run: it talks to api.example.com.
func Example_quickStart() {
	ctx := context.Background()
	c, err := httpsession.New(httpsession.Options{
		SessionFile: "session.json", // loaded now, written by Save and Close
		Auth: &httpsession.JSONLogin{
			LoginURL:   "https://api.example.com/auth/login",
			RefreshURL: "https://api.example.com/auth/refresh",
			Username:   "me",
			Password:   os.Getenv("API_PASSWORD"),
		},
		AuthOrigins: []string{"https://api.example.com"}, // the only place the token goes
	})
	if err != nil {
		log.Fatal(err) // errors.Is(err, httpsession.ErrCorruptSession) for a broken file
	}
	defer func() {
		if err := c.Close(); err != nil { // saves the session
			log.Print(err)
		}
	}()

	resp, err := c.Get(ctx, "https://api.example.com/v1/me") // logs in on first use
	if err != nil {
		log.Print(err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Print(err)
		return
	}
	fmt.Printf("%s %s\n", resp.Status, body)

	// Any SDK that takes an *http.Client gets the same session: cookies,
	// token and retry.
	_ = c.HTTPClient()
}
