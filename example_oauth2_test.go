package httpsession_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/httpsession/httpsession"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
)

// A command-line program that logs the user in with their browser once and
// keeps working across restarts: the refresh token in the session file is
// used (and rotated) from then on. It needs a person, so it only compiles
// here.
func ExampleOAuth2Browser() {
	cfg := &oauth2.Config{
		ClientID: "my-cli",
		Endpoint: endpoints.GitLab,
		Scopes:   []string{"openid", "email", "read_api"},
	}
	c, err := httpsession.New(httpsession.Options{
		SessionFile:  "session.json",
		Auth:         &httpsession.OAuth2Browser{Config: cfg},
		AuthOrigins:  []string{"https://gitlab.com"},
		TokenOptions: &httpsession.TokenOptions{RefreshTimeout: 5 * time.Minute},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Get(context.Background(), "https://gitlab.com/api/v4/user")
	if errors.Is(err, httpsession.ErrLoginRequired) {
		log.Fatal("not logged in: run this program in a terminal to log in")
	}
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if claims, err := c.Tokens().Current().IDTokenClaims(time.Now()); err == nil {
		fmt.Println("logged in as", claims.Email)
	}
}

// The device flow, for a program on a machine without a browser: the user
// opens the URL on their phone or laptop and types the code.
func ExampleOAuth2Device() {
	cfg := &oauth2.Config{
		ClientID: "my-device",
		Endpoint: endpoints.GitHub,
		Scopes:   []string{"repo"},
	}
	auth := &httpsession.OAuth2Device{
		Config: cfg,
		Prompt: func(ctx context.Context, d httpsession.DeviceCode) error {
			fmt.Printf("Open %s and enter %s\n", d.VerificationURI, d.UserCode)
			return nil
		},
	}
	c, err := httpsession.New(httpsession.Options{
		SessionFile:  "session.json",
		Auth:         auth,
		AuthOrigins:  []string{"https://api.github.com"},
		TokenOptions: &httpsession.TokenOptions{RefreshTimeout: 15 * time.Minute},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Tokens().Token(context.Background()); err != nil {
		log.Fatal(err)
	}
}
