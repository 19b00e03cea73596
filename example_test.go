package httpsession_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/oauth"
	"github.com/spf13/afero"
)

// Example logs in to a site once, saves the session, and resumes it the way
// a restarted program would: the second Client loads the login cookie from
// the session file and the site is not asked to log in again.
func Example() {
	var logins atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		logins.Add(1)
		// sid has a Max-Age, so it is persisted; flash is a session cookie,
		// so it is not.
		w.Header().Add("Set-Cookie", "sid=s-42; Path=/; Max-Age=86400; HttpOnly")
		w.Header().Add("Set-Cookie", "flash=welcome; Path=/")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err != nil || c.Value != "s-42" {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "alice")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// A real program leaves FS nil, which is the operating system's file
	// system.
	fs := afero.NewMemMapFs()
	opts := httpsession.Options{SessionFile: "/state/session.json", FS: fs}
	ctx := context.Background()

	run := func() {
		c, err := httpsession.New(opts)
		if err != nil {
			log.Fatal(err)
		}
		defer c.Close()
		fmt.Println("cookies loaded:", len(c.Jar().All()))

		resp, err := c.Get(ctx, srv.URL+"/me")
		if err != nil {
			log.Fatal(err)
		}
		if resp.StatusCode == http.StatusUnauthorized {
			resp.Body.Close()
			fmt.Println("/me: 401, logging in")
			login, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/login", nil)
			if err != nil {
				log.Fatal(err)
			}
			if resp, err = c.Do(login); err != nil {
				log.Fatal(err)
			}
			resp.Body.Close()
			if resp, err = c.Get(ctx, srv.URL+"/me"); err != nil {
				log.Fatal(err)
			}
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("/me: %d %s\n", resp.StatusCode, body)

		// Save writes the session file; Close would too.
		if err := c.Save(); err != nil {
			log.Fatal(err)
		}
	}

	fmt.Println("first run:")
	run()
	fmt.Println("second run:")
	run()

	fmt.Println("logins:", logins.Load())
	fi, err := fs.Stat("/state/session.json")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("session file mode:", fi.Mode().Perm())

	// Output:
	// first run:
	// cookies loaded: 0
	// /me: 401, logging in
	// /me: 200 alice
	// second run:
	// cookies loaded: 2
	// /me: 200 alice
	// logins: 1
	// session file mode: -rw-------
}

// ExampleNew shows the errors New reports for a broken session file and a
// bad auth origin, and how to start afresh from a corrupt file.
func ExampleNew() {
	fs := afero.NewMemMapFs()
	if err := afero.WriteFile(fs, "/state/session.json", []byte(`{"version": 99}`), 0o600); err != nil {
		log.Fatal(err)
	}

	_, err := httpsession.New(httpsession.Options{SessionFile: "/state/session.json", FS: fs})
	fmt.Println("corrupt:", errors.Is(err, httpsession.ErrCorruptSession))
	var sfe *httpsession.SessionFileError
	if errors.As(err, &sfe) {
		fmt.Printf("file %s: %s\n", sfe.Path, sfe.Reason)
	}

	// StartFresh moves the broken file aside instead of failing.
	c, err := httpsession.New(httpsession.Options{
		SessionFile: "/state/session.json",
		FS:          fs,
		Session:     &httpsession.SessionOptions{StartFresh: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	aside, _ := afero.Glob(fs, "/state/session.json.corrupt-*")
	fmt.Println("started fresh; files moved aside:", len(aside))

	// The bearer token travels over plain http only to this machine.
	_, err = httpsession.New(httpsession.Options{
		Auth:        &httpsession.JSONLogin{LoginURL: "http://api.example.com/login"},
		AuthOrigins: []string{"http://api.example.com"},
	})
	fmt.Println("bad origin:", errors.Is(err, httpsession.ErrBadOrigin))
	fmt.Println(err)

	// Output:
	// corrupt: true
	// file /state/session.json: unsupported version 99
	// started fresh; files moved aside: 1
	// bad origin: true
	// httpsession: bad auth origin http://api.example.com: plain http to a non-loopback host (set AllowInsecureAuth to allow)
}

// weatherSDK stands for any third-party client library whose constructor
// takes an *http.Client.
type weatherSDK struct {
	hc      *http.Client
	baseURL string
}

func newWeatherSDK(hc *http.Client, baseURL string) *weatherSDK {
	return &weatherSDK{hc: hc, baseURL: baseURL}
}

func (w *weatherSDK) Forecast(ctx context.Context, city string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.baseURL+"/forecast?city="+url.QueryEscape(city), nil)
	if err != nil {
		return "", err
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("weather: %s", resp.Status)
	}
	return string(body), nil
}

// ExampleClient_HTTPClient hands the session to a library that knows
// nothing about it. The library's requests carry the session's bearer
// token and cookies and go through its retry policy: here the first answer
// is a 503 that also sets a cookie, and the retry sends that cookie.
func ExampleClient_HTTPClient() {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := r.Cookie("visitor")
		fmt.Printf("server: token %t, visitor cookie %t\n",
			r.Header.Get("Authorization") == "Bearer example-api-key", err == nil)
		if calls.Add(1) == 1 {
			w.Header().Set("Set-Cookie", "visitor=v-1; Path=/; Max-Age=3600")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "sunny in %s", r.URL.Query().Get("city"))
	}))
	defer srv.Close()

	c, err := httpsession.New(httpsession.Options{
		// A fixed API key, as a token that never expires.
		Auth: httpsession.AuthFuncs{
			LoginFunc: func(context.Context, *http.Client) (*httpsession.Token, error) {
				return &httpsession.Token{AccessToken: "example-api-key"}, nil
			},
		},
		AuthOrigins: []string{srv.URL},
		Retry:       &httpsession.RetryPolicy{BaseDelay: time.Millisecond},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	hc := c.HTTPClient()
	fmt.Println("the *http.Client has a Jar of its own:", hc.Jar != nil)

	sdk := newWeatherSDK(hc, srv.URL)
	for _, city := range []string{"Lisbon", "Porto"} {
		f, err := sdk.Forecast(context.Background(), city)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(f)
	}

	// Output:
	// the *http.Client has a Jar of its own: false
	// server: token true, visitor cookie false
	// server: token true, visitor cookie true
	// sunny in Lisbon
	// server: token true, visitor cookie true
	// sunny in Porto
}

// ExampleJSONLogin logs in to a JSON API on first use and refreshes the
// access token when the API rejects it: the 401 is not seen by the caller,
// whose request is replayed once with the new token.
func ExampleJSONLogin() {
	var (
		mu      sync.Mutex
		current string // the one access token the API accepts
		issued  int
	)
	issue := func(w http.ResponseWriter) {
		mu.Lock()
		issued++
		current = fmt.Sprintf("at-%d", issued)
		refresh := fmt.Sprintf("rt-%d", issued)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"access_token": current, "refresh_token": refresh, "expires_in": 3600,
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/login", func(w http.ResponseWriter, r *http.Request) {
		var creds struct{ Username, Password string }
		if json.NewDecoder(r.Body).Decode(&creds) != nil || creds.Password != "example-password" {
			http.Error(w, `{"error":"bad credentials"}`, http.StatusUnauthorized)
			return
		}
		fmt.Println("server: login of", creds.Username)
		issue(w)
	})
	mux.HandleFunc("POST /auth/refresh", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			RefreshToken string `json:"refresh_token"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		ok := body.RefreshToken == fmt.Sprintf("rt-%d", issued)
		mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"bad refresh token"}`, http.StatusUnauthorized)
			return
		}
		fmt.Println("server: refresh")
		issue(w)
	})
	mux.HandleFunc("GET /api/profile", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := current != "" && r.Header.Get("Authorization") == "Bearer "+current
		mu.Unlock()
		if !ok {
			fmt.Println("server: token rejected")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "alice")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := httpsession.New(httpsession.Options{
		Auth: &httpsession.JSONLogin{
			LoginURL:   srv.URL + "/auth/login",
			RefreshURL: srv.URL + "/auth/refresh",
			Username:   "alice",
			Password:   "example-password", // in a real program: from the environment or a prompt
		},
		// The only origin that ever receives the token, on any hop.
		AuthOrigins: []string{srv.URL},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	profile := func() {
		resp, err := c.Get(context.Background(), srv.URL+"/api/profile")
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("profile: %d %s\n", resp.StatusCode, body)
	}

	profile() // logs in first
	profile() // uses the cached token

	fmt.Println("(the server revokes the access token)")
	mu.Lock()
	current = ""
	mu.Unlock()

	profile() // 401, refresh, replay

	// Output:
	// server: login of alice
	// profile: 200 alice
	// profile: 200 alice
	// (the server revokes the access token)
	// server: token rejected
	// server: refresh
	// profile: 200 alice
}

// ExampleOAuth2Error shows what Client.Do returns when the token endpoint
// refuses to issue a token: a *url.Error, as from any http.Client, wrapping
// an *OAuth2Error that matches ErrAuthResponse.
func ExampleOAuth2Error() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"unknown client"}`)
	})
	mux.HandleFunc("GET /v1/reports", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("not reached without a token")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := httpsession.New(httpsession.Options{
		Auth: &oauth.Credentials{
			TokenURL:     srv.URL + "/oauth/token",
			ClientID:     "reporting-job",
			ClientSecret: "revoked-secret",
		},
		AuthOrigins: []string{srv.URL},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.Get(context.Background(), srv.URL+"/v1/reports")
	var ue *url.Error
	fmt.Println("*url.Error:", errors.As(err, &ue))
	fmt.Println("ErrAuthResponse:", errors.Is(err, httpsession.ErrAuthResponse))
	var oe *httpsession.OAuth2Error
	if errors.As(err, &oe) {
		fmt.Printf("status %d, code %s: %s\n", oe.Status, oe.Code, oe.Description)
	}

	// Output:
	// *url.Error: true
	// ErrAuthResponse: true
	// status 401, code invalid_client: unknown client
}

// ExampleFormLogin logs in to a site the way a browser does: it loads the
// login page, which sets a cookie and carries a CSRF token in a hidden
// field, and posts the form. The session then lives in a cookie; no
// Authorization header is sent.
func ExampleFormLogin() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("server: login page")
		w.Header().Set("Set-Cookie", "csrf_cookie=c-7; Path=/; HttpOnly")
		fmt.Fprint(w, `<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="t-7">
<input name="username"> <input type="password" name="password">
</form>`)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("csrf_cookie")
		if err != nil || c.Value != "c-7" || r.PostFormValue("csrf_token") != "t-7" ||
			r.PostFormValue("username") != "alice" || r.PostFormValue("password") != "example-password" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		fmt.Println("server: login accepted")
		w.Header().Set("Set-Cookie", "session=sess-1; Path=/; HttpOnly")
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /account", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "sess-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "welcome back, alice (Authorization header: %t)", r.Header.Get("Authorization") != "")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := httpsession.New(httpsession.Options{
		// No AuthOrigins: a FormLogin sends no token, and a 401 from the
		// login page's origin means "log in again".
		Auth: &httpsession.FormLogin{
			LoginURL:        srv.URL + "/login",
			Fields:          url.Values{"username": {"alice"}, "password": {"example-password"}},
			CSRFField:       "csrf_token",
			SuccessCookie:   "session",
			SuccessRedirect: "/account",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	for range 2 {
		resp, err := c.Get(context.Background(), srv.URL+"/account")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("account: %d %s\n", resp.StatusCode, body)
	}
	// Output:
	// server: login page
	// server: login accepted
	// account: 200 welcome back, alice (Authorization header: false)
	// account: 200 welcome back, alice (Authorization header: false)
}

// ExampleRetryPolicy tunes the default policy: more attempts, a lower cap
// on Retry-After, a server-specific rule on top of DefaultCheckRetry, and a
// hook that counts retries. A response asking for a wait above the cap is
// returned at once, and RetryAfter tells how long the server asked for.
func ExampleRetryPolicy() {
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /flaky", func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			// This API marks the 500s that are worth retrying.
			w.Header().Set("X-Transient", "true")
			w.WriteHeader(http.StatusInternalServerError)
		default:
			fmt.Fprint(w, "done")
		}
	})
	mux.HandleFunc("GET /busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var retries atomic.Int32
	p := httpsession.DefaultRetryPolicy()
	p.MaxAttempts = 5
	p.BaseDelay = time.Millisecond // tiny for the example; the default is 1s
	p.MaxRetryAfter = 10 * time.Second
	p.CheckRetry = func(req *http.Request, resp *http.Response, err error) bool {
		if resp != nil && resp.StatusCode == http.StatusInternalServerError && resp.Header.Get("X-Transient") == "true" {
			return true
		}
		return httpsession.DefaultCheckRetry(req, resp, err)
	}
	p.OnRetry = func(ev httpsession.RetryEvent) {
		retries.Add(1)
		fmt.Printf("retrying %s %s after attempt %d: status %d\n", ev.Method, ev.URL.Path, ev.Attempt, ev.StatusCode)
	}

	c, err := httpsession.New(httpsession.Options{Retry: p})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.Get(context.Background(), srv.URL+"/flaky")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("/flaky: %d %s\n", resp.StatusCode, body)

	resp, err = c.Get(context.Background(), srv.URL+"/busy")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	wait, _ := httpsession.RetryAfter(resp)
	fmt.Printf("/busy: %d, server asks to wait %v\n", resp.StatusCode, wait)
	fmt.Println("retries:", retries.Load())

	// Output:
	// retrying GET /flaky after attempt 1: status 429
	// retrying GET /flaky after attempt 2: status 500
	// /flaky: 200 done
	// /busy: 503, server asks to wait 1h0m0s
	// retries: 2
}

// ExampleJar_ReadNetscape imports cookies exported from a browser (or
// written by curl, wget or yt-dlp) in the cookies.txt format; the requests
// that follow send them.
func ExampleJar_ReadNetscape() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var names []string
		for _, c := range r.Cookies() {
			names = append(names, c.Name)
		}
		slices.Sort(names)
		fmt.Println("server received:", strings.Join(names, ", "))
	}))
	defer srv.Close()

	// Domain, include-subdomains, path, secure, expiry (Unix seconds, 0 for
	// a session cookie), name and value, separated by TABs.
	const cookiesTxt = "# Netscape HTTP Cookie File\n" +
		"127.0.0.1\tFALSE\t/\tFALSE\t4102444800\tsid\texample-sid\n" +
		"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tprefs\tdark\n" +
		".example.com\tTRUE\t/\tTRUE\t4102444800\tother\texample\n"

	c, err := httpsession.New(httpsession.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	n, err := c.Jar().ReadNetscape(strings.NewReader(cookiesTxt))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("imported:", n)

	resp, err := c.Get(context.Background(), srv.URL+"/")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	// Output:
	// imported: 3
	// server received: prefs, sid
}

// ExampleJar_All lists the session's cookies. A Cookie prints without its
// value, with any fmt verb, so listing cookies never leaks them into logs.
func ExampleJar_All() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "sid=example-sid; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax")
		w.Header().Add("Set-Cookie", "theme=dark; Path=/")
		w.Header().Add("Set-Cookie", "__Host-csrf=example-csrf; Path=/; Secure")
	}))
	defer srv.Close()

	// A fixed clock, so that the printed expiry is always the same.
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	c, err := httpsession.New(httpsession.Options{Now: func() time.Time { return now }})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.Get(context.Background(), srv.URL+"/")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()

	for _, ck := range c.Jar().All() {
		fmt.Println(ck)
	}
	fmt.Printf("%+v\n", c.Jar().All()[1])

	fmt.Println("removed theme:", c.Jar().Remove("127.0.0.1", "/", "theme"))
	fmt.Println("cookies left:", len(c.Jar().All()))

	// Output:
	// __Host-csrf=[REDACTED]; Domain=127.0.0.1; Path=/; HostOnly; Secure
	// sid=[REDACTED]; Domain=127.0.0.1; Path=/; HostOnly; HttpOnly; SameSite=Lax; Expires=2026-01-02T16:04:05Z
	// theme=[REDACTED]; Domain=127.0.0.1; Path=/; HostOnly
	// sid=[REDACTED]; Domain=127.0.0.1; Path=/; HostOnly; HttpOnly; SameSite=Lax; Expires=2026-01-02T16:04:05Z
	// removed theme: true
	// cookies left: 2
}

// Token stands for golang.org/x/oauth2's Token, and TokenSource for its
// TokenSource interface, so that these examples show the adapters without
// the library depending on x/oauth2. With x/oauth2, use oauth2.Token and
// oauth2.TokenSource in their place.
type Token struct {
	AccessToken  string
	TokenType    string
	RefreshToken string
	Expiry       time.Time
}

// TokenSource is shaped like oauth2.TokenSource.
type TokenSource interface {
	Token() (*Token, error)
}

// tokenSourceFunc is a function that implements TokenSource.
type tokenSourceFunc func() (*Token, error)

func (f tokenSourceFunc) Token() (*Token, error) { return f() }

// ExampleTokenManager hands the session's token manager to code that wants
// an oauth2.TokenSource, such as a gRPC or cloud SDK credential option. The
// manager keeps logging in and refreshing; the source only reads from it.
func ExampleTokenManager() {
	var tokenRequests atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tm-1","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("GET /v1/items", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("server: authorized:", r.Header.Get("Authorization") == "Bearer tm-1")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := httpsession.New(httpsession.Options{
		Auth: &oauth.Credentials{
			TokenURL:     srv.URL + "/oauth/token",
			ClientID:     "items-job",
			ClientSecret: "example-secret",
		},
		AuthOrigins: []string{srv.URL},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// TokenManager → TokenSource. oauth2.TokenSource's Token takes no
	// context, so the adapter is made for one. The refresh token stays
	// with the manager: the other side only needs the access token.
	ctx := context.Background()
	m := c.Tokens()
	var src TokenSource = tokenSourceFunc(func() (*Token, error) {
		t, err := m.Token(ctx)
		if err != nil {
			return nil, err
		}
		return &Token{AccessToken: t.AccessToken, TokenType: t.Type(), Expiry: t.Expiry}, nil
	})

	// The other library sets the Authorization header itself, on a client
	// of its own.
	for range 2 {
		tok, err := src.Token()
		if err != nil {
			log.Fatal(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/items", nil)
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Authorization", tok.TokenType+" "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	fmt.Println("token requests:", tokenRequests.Load())

	// Output:
	// server: authorized: true
	// server: authorized: true
	// token requests: 1
}

// ExampleAuthFuncs builds an Authenticator from an oauth2.TokenSource, such
// as one from golang.org/x/oauth2/clientcredentials or
// golang.org/x/oauth2/google. The source obtains and refreshes tokens by
// itself, so the Authenticator has a LoginFunc only: whenever the manager
// needs a new token (first use, expiry, a 401), it asks the source again.
//
// The sources of x/oauth2 cache their token until it expires, so after a 401
// for a token the server revoked early they hand out the same token again;
// the replayed request then gets the 401 too.
func ExampleAuthFuncs() {
	var (
		mu      sync.Mutex
		revoked = map[string]bool{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		ok := strings.HasPrefix(tok, "src-") && !revoked[tok]
		mu.Unlock()
		if !ok {
			fmt.Println("server: token rejected")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()

	// A stand-in for a real oauth2.TokenSource: a new token on each call.
	var n int
	var src TokenSource = tokenSourceFunc(func() (*Token, error) {
		n++
		fmt.Println("source: token", n)
		return &Token{AccessToken: fmt.Sprintf("src-%d", n), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
	})

	auth := httpsession.AuthFuncs{
		// hc, the session's client, goes unused: the source makes its own
		// requests.
		LoginFunc: func(ctx context.Context, hc *http.Client) (*httpsession.Token, error) {
			t, err := src.Token()
			if err != nil {
				return nil, err
			}
			return &httpsession.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, Expiry: t.Expiry}, nil
		},
		// No RefreshFunc: Refresh returns ErrNoRefresh, and the manager
		// calls LoginFunc again.
	}

	c, err := httpsession.New(httpsession.Options{Auth: auth, AuthOrigins: []string{srv.URL}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	get := func() {
		resp, err := c.Get(context.Background(), srv.URL+"/")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("GET: %d %s\n", resp.StatusCode, body)
	}

	get()
	fmt.Println("(the server revokes token 1)")
	mu.Lock()
	revoked["src-1"] = true
	mu.Unlock()
	get()

	// Output:
	// source: token 1
	// GET: 200 ok
	// (the server revokes token 1)
	// server: token rejected
	// source: token 2
	// GET: 200 ok
}
