package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/oauth"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
)

// A command-line program that logs the user in with their browser once and
// keeps working across restarts: the refresh token in the session file is
// used (and rotated) from then on. It needs a person, so it only compiles
// here.
func ExampleBrowser() {
	cfg := &oauth2.Config{
		ClientID: "my-cli",
		Endpoint: endpoints.GitLab,
		Scopes:   []string{"openid", "email", "read_api"},
	}
	c, err := httpsession.New(httpsession.Options{
		SessionFile:  "session.json",
		Auth:         &oauth.Browser{Config: cfg},
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
	if claims, err := oauth.DecodeIDToken(c.Tokens().Current(), time.Now()); err == nil {
		fmt.Println("logged in as", claims.Email)
	}
}

// The device flow, for a program on a machine without a browser: the user
// opens the URL on their phone or laptop and types the code.
func ExampleDevice() {
	cfg := &oauth2.Config{
		ClientID: "my-device",
		Endpoint: endpoints.GitHub,
		Scopes:   []string{"repo"},
	}
	auth := &oauth.Device{
		Config: cfg,
		Prompt: func(ctx context.Context, d oauth.DeviceCode) error {
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

// ExampleCredentials uses the OAuth 2.0 client credentials grant: the client
// authenticates to the token endpoint with its ID and secret, and the
// token it gets is cached and sent to the API.
func ExampleCredentials() {
	var tokenRequests atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		id, secret, ok := r.BasicAuth()
		if !ok || id != "reporting-job" || secret != "example-secret" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		fmt.Printf("token endpoint: grant_type=%s scope=%s client=%s\n",
			r.PostFormValue("grant_type"), r.PostFormValue("scope"), id)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"cc-1","token_type":"bearer","expires_in":3600}`)
	})
	mux.HandleFunc("GET /v1/reports", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer cc-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "3 reports")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := httpsession.New(httpsession.Options{
		Auth: &oauth.Credentials{
			TokenURL:     srv.URL + "/oauth/token",
			ClientID:     "reporting-job",
			ClientSecret: "example-secret",
			Scopes:       []string{"reports:read"},
		},
		AuthOrigins: []string{srv.URL},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	for range 2 {
		resp, err := c.Get(context.Background(), srv.URL+"/v1/reports")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("reports: %d %s\n", resp.StatusCode, body)
	}
	fmt.Println("token requests:", tokenRequests.Load())
	fmt.Println("token type:", c.Tokens().Current().Type())

	// Output:
	// token endpoint: grant_type=client_credentials scope=reports:read client=reporting-job
	// reports: 200 3 reports
	// reports: 200 3 reports
	// token requests: 1
	// token type: Bearer
}
