package httpsession

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// csrfSite reproduces one framework's CSRF rules on httptest: GET / hands
// out the token the framework's way, POST /change checks it the way the
// framework does (403 with the framework's words otherwise). got records
// the header each request carried.
type csrfSite struct {
	name   string
	header string                      // the header the framework reads
	token  string                      // what the header must hold
	serve  func(w http.ResponseWriter) // what GET / does to hand the token out
}

var csrfSites = []csrfSite{
	{
		// Django: the csrftoken cookie (CSRF_COOKIE_HTTPONLY off), read
		// by the page's JavaScript into X-CSRFToken.
		name: "django", header: "X-CSRFToken", token: "kJ3x9dQyWm2bNfT7RzLpV8sH4cAeU1oG",
		serve: func(w http.ResponseWriter) {
			w.Header().Add("Set-Cookie", "csrftoken=kJ3x9dQyWm2bNfT7RzLpV8sH4cAeU1oG; expires=Sat, 04 Dec 2027 10:00:00 GMT; Max-Age=31449600; Path=/; SameSite=Lax")
			io.WriteString(w, "<!doctype html><p>django</p>")
		},
	},
	{
		// Laravel: XSRF-TOKEN holds the encrypted token, base64 with its
		// padding percent-encoded; Angular and axios decode it.
		name: "laravel", header: "X-XSRF-TOKEN", token: "eyJpdiI6IkR3aVd4b2c9PSJ9==",
		serve: func(w http.ResponseWriter) {
			w.Header().Add("Set-Cookie", "XSRF-TOKEN=eyJpdiI6IkR3aVd4b2c9PSJ9%3D%3D; expires=Sun, 06 Dec 2026 12:00:00 GMT; Max-Age=7200; path=/; samesite=lax")
			io.WriteString(w, "<!doctype html><p>laravel</p>")
		},
	},
	{
		// Rails: csrf_meta_tags in the layout's <head>; rails-ujs sends
		// X-CSRF-Token.
		name: "rails", header: "X-CSRF-Token", token: "vtaJFQ38doX0b7wQpp0G3H7aUk9HZQni3jHET4yS8nSJRt85Tr6oH7nroQc01dM+C/dlDwkSCtRhQrgXbB9uzw==",
		serve: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<!DOCTYPE html><html><head><title>App</title>
<meta name="csrf-param" content="authenticity_token" />
<meta name="csrf-token" content="vtaJFQ38doX0b7wQpp0G3H7aUk9HZQni3jHET4yS8nSJRt85Tr6oH7nroQc01dM+C/dlDwkSCtRhQrgXbB9uzw==" />
</head><body></body></html>`)
		},
	},
	{
		// Spring Security with Thymeleaf: _csrf and _csrf_header metas.
		name: "spring", header: "X-Custom-CSRF", token: "4bfd1575-3ad1-4d21-96c7-4ef2d9f86721",
		serve: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html;charset=UTF-8")
			io.WriteString(w, `<html><head><meta name="_csrf" content="4bfd1575-3ad1-4d21-96c7-4ef2d9f86721"/>
<meta name="_csrf_header" content="X-Custom-CSRF"/></head><body></body></html>`)
		},
	},
}

func (s csrfSite) start(t *testing.T, got *[]string, mu *sync.Mutex) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { s.serve(w) })
	mux.HandleFunc("/change", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*got = append(*got, r.Method+" "+r.Header.Get(s.header))
		mu.Unlock()
		if r.Method != http.MethodGet && r.Header.Get(s.header) != s.token {
			http.Error(w, "CSRF verification failed. Request aborted.", http.StatusForbidden)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestCSRFConventions(t *testing.T) {
	for _, site := range csrfSites {
		t.Run(site.name, func(t *testing.T) {
			var mu sync.Mutex
			var got, other []string
			srv := site.start(t, &got, &mu)
			// Another origin that receives requests from the same Client
			// (a third-party API, a sibling port): it must never see the
			// token.
			elsewhere := site.start(t, &other, &mu)
			c, err := New(Options{CSRF: &CSRF{Convention: site.name}})
			if err != nil {
				t.Fatal(err)
			}
			if code, _ := mustDo(t, c, "GET", srv.URL+"/", ""); code != 200 {
				t.Fatalf("GET / = %d", code)
			}
			for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
				mustDo(t, c, m, srv.URL+"/change", "")
				mustDo(t, c, m, elsewhere.URL+"/change", "")
			}
			want := []string{"GET ", "POST " + site.token, "PUT " + site.token, "DELETE " + site.token, "PATCH " + site.token}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("headers at the origin that set the token (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"GET ", "POST ", "PUT ", "DELETE ", "PATCH "}, other); diff != "" {
				t.Errorf("headers at another origin (-want +got):\n%s", diff)
			}
		})
	}
}

// A POST redirected (307) to another origin keeps its body but must lose
// the CSRF token of the first.
func TestCSRFNotAcrossRedirect(t *testing.T) {
	var mu sync.Mutex
	var got []string
	target := csrfSites[0].start(t, &got, &mu)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { csrfSites[0].serve(w) })
	mux.HandleFunc("POST /go", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/change", http.StatusTemporaryRedirect)
	})
	first := httptest.NewServer(mux)
	defer first.Close()
	c, err := New(Options{CSRF: &CSRF{Convention: "django"}})
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, c, "GET", first.URL+"/", "")
	if code, _ := mustDo(t, c, "POST", first.URL+"/go", `{}`); code != http.StatusForbidden {
		t.Errorf("POST redirected elsewhere = %d, want the other origin's 403", code)
	}
	if diff := cmp.Diff([]string{"POST "}, got); diff != "" {
		t.Errorf("headers after the redirect (-want +got):\n%s", diff)
	}
}

// A session restored from a file sends the host-only cookie's token to its
// host; a Domain cookie (shared by sibling hosts) is not enough.
func TestCSRFRestoredSession(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := csrfSites[0].start(t, &got, &mu)
	for _, tt := range []struct {
		name, line, want string
	}{
		{"host-only", "csrftoken=" + csrfSites[0].token + "; Path=/", "POST " + csrfSites[0].token},
		{"another host's", "csrftoken=" + csrfSites[0].token + "; Path=/; Domain=localhost", "POST "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			c, err := New(Options{CSRF: &CSRF{Convention: "django"}})
			if err != nil {
				t.Fatal(err)
			}
			u := mustParseURL(t, srv.URL)
			if tt.name != "host-only" {
				u = mustParseURL(t, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
			}
			c.Jar().SetCookies(u, []*http.Cookie{mustCookie(t, tt.line)})
			mustDo(t, c, "POST", srv.URL+"/change", "")
			if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

func mustCookie(t *testing.T, line string) *http.Cookie {
	t.Helper()
	c, err := http.ParseSetCookie(line)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCSRFBadOption(t *testing.T) {
	for _, c := range []*CSRF{
		{Convention: "symfony"},
		{Header: "X-Token"},
		{Cookie: "c", Meta: "m", Header: "X-Token"},
		{Cookie: "c", Header: "X Token\r\n"},
	} {
		if _, err := New(Options{CSRF: c}); !errors.Is(err, ErrBadCSRF) {
			t.Errorf("New(CSRF: %+v) error = %v, want ErrBadCSRF", *c, err)
		}
	}
	if _, err := New(Options{CSRF: &CSRF{Cookie: "tok", Header: "X-Tok"}}); err != nil {
		t.Errorf("New(custom pair) error = %v", err)
	}
}

// A token that would split the request is not sent.
func TestCSRFHostileToken(t *testing.T) {
	var gotHeader []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<meta name="csrf-token" content="a&#13;&#10;X-Evil: 1">`)
			return
		}
		gotHeader = append(gotHeader, r.Header.Get("X-CSRF-Token"), r.Header.Get("X-Evil"))
	}))
	defer srv.Close()
	c, err := New(Options{CSRF: &CSRF{Convention: "rails"}})
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, c, "GET", srv.URL, "")
	mustDo(t, c, "POST", srv.URL, "")
	if diff := cmp.Diff([]string{"", ""}, gotHeader); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
}

// Laravel Sanctum's SPA login: GET /sanctum/csrf-cookie sets XSRF-TOKEN,
// the JSON login needs it back as X-XSRF-TOKEN, and a missing one is a 419
// "CSRF token mismatch." — reported as ErrCSRF, not as a wrong password.
func TestCSRFJSONLoginLaravel(t *testing.T) {
	const xsrf = "eyJpdiI6IlNhbmN0dW0ifQ=="
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sanctum/csrf-cookie", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "XSRF-TOKEN=eyJpdiI6IlNhbmN0dW0ifQ%3D%3D; Max-Age=7200; path=/; samesite=lax")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-XSRF-TOKEN") != xsrf {
			w.WriteHeader(419)
			io.WriteString(w, `{"message":"CSRF token mismatch."}`)
			return
		}
		io.WriteString(w, `{"access_token":"t1","token_type":"Bearer"}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t1" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer api.Close()
	for _, tt := range []struct {
		name string
		csrf *CSRF
	}{{"laravel convention", &CSRF{Convention: "laravel"}}, {"none", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{CSRF: tt.csrf, AuthOrigins: []string{api.URL},
				Auth: &JSONLogin{LoginURL: srv.URL + "/login", Username: "alice", Password: testPassword}})
			if err != nil {
				t.Fatal(err)
			}
			mustDo(t, c, "GET", srv.URL+"/sanctum/csrf-cookie", "")
			resp, err := c.Get(t.Context(), api.URL+"/api/user")
			if tt.csrf == nil {
				if !errors.Is(err, ErrCSRF) || errors.Is(err, ErrAuthResponse) && strings.Contains(err.Error(), "check the user name") {
					t.Errorf("login without the token: %v, want ErrCSRF", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GET /api/user: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /api/user = %d, want 200 after the login", resp.StatusCode)
			}
		})
	}
}
