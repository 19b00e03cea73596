package httpsession

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFormLoginReadsTheForm: the form of the page, as a browser submits it.
func TestFormLoginReadsTheForm(t *testing.T) {
	tests := []struct {
		name string
		page string
		a    FormLogin
		want url.Values // what the site receives
		ct   string     // its media type
		path string
	}{
		{
			name: "hidden inputs, checked box, submit button, select, textarea",
			page: `<html><body><form id=search action="/search"><input name=q type=text></form>
<form method=POST action="/session?next=%2F">
<input type=hidden name=authenticity_token value="t&amp;1"><input type=hidden name=utf8 value="✓">
<input name="user[email]" type=email><input name="user[password]" type=password>
<input type=checkbox name=remember value=1 checked><input type=checkbox name=spam value=1>
<select name=lang><option value=en>en<option value=fr selected>fr</select>
<textarea name=note>hi</textarea><input name=gone disabled value=x>
<button type=button name=b value=no>no</button>
<input type=submit name=commit value="Log in"><input type=submit name=other value=Other>
</form></body></html>`,
			a: FormLogin{Username: "alice@example.com", Password: testPassword},
			want: url.Values{"authenticity_token": {"t&1"}, "utf8": {"✓"}, "user[email]": {"alice@example.com"},
				"user[password]": {testPassword}, "remember": {"1"}, "lang": {"fr"}, "note": {"hi"}, "commit": {"Log in"}},
			ct: "application/x-www-form-urlencoded", path: "/session",
		},
		{
			name: "multipart form, fields named, Fields added",
			page: `<form method=post enctype="multipart/form-data"><input name=a><input name=login>
<input type=password name=pw><input type=hidden name=csrf value=c1></form>`,
			a:    FormLogin{Username: "alice", Password: testPassword, UsernameField: "login", Fields: url.Values{"otp": {"123456"}}},
			want: url.Values{"a": {""}, "login": {"alice"}, "pw": {testPassword}, "csrf": {"c1"}, "otp": {"123456"}},
			ct:   "multipart/form-data", path: "/login",
		},
		{
			name: "GET form, no action",
			page: `<form><input name=u><input type=password name=p></form>`,
			a:    FormLogin{Username: "alice", Password: testPassword},
			want: url.Values{"u": {"alice"}, "p": {testPassword}},
			path: "/login",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got url.Values
			var gotCT, gotPath string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/login" && r.URL.RawQuery == "" && r.Method == http.MethodGet {
					io.WriteString(w, tt.page)
					return
				}
				gotCT, _, _ = mime.ParseMediaType(r.Header.Get("Content-Type"))
				gotPath = r.URL.Path
				if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
					t.Errorf("ParseMultipartForm: %v", err)
				}
				got = r.Form
				if r.Method == http.MethodPost {
					got = r.PostForm
					if r.MultipartForm != nil {
						got = r.MultipartForm.Value
					}
				}
				http.Redirect(w, r, "/home", http.StatusFound)
			}))
			defer srv.Close()
			a := tt.a
			a.LoginURL = srv.URL + "/login"
			if _, err := a.Login(context.Background(), nil); err != nil {
				t.Fatalf("Login() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("form received (-want +got):\n%s", diff)
			}
			if gotCT != tt.ct || gotPath != tt.path {
				t.Errorf("submitted as %q to %q, want %q to %q", gotCT, gotPath, tt.ct, tt.path)
			}
		})
	}
}

// loginSite answers a form login the way the frameworks do when the
// password is wrong; right is what it does when it is right.
func loginSite(t *testing.T, wrong func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	form := `<form method=post><input type=hidden name=csrfmiddlewaretoken value=x><input name=username><input type=password name=password></form>`
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		msg := ""
		if r.URL.Query().Has("error") {
			msg = `<p class="flash error">  Wrong password for ` + r.URL.Query().Get("u") + `
</p>`
		}
		io.WriteString(w, "<html><body>"+msg+form+"</body></html>")
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("password") == testPassword {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		wrong(w, r)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFormLoginRefused(t *testing.T) {
	tests := []struct {
		name  string
		wrong func(w http.ResponseWriter, r *http.Request)
		want  FormLoginError
	}{
		{
			// passport, Devise: back to the login page, which says why.
			name: "redirect to the login page",
			wrong: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/login?error=1&u="+url.QueryEscape(r.PostFormValue("password")), http.StatusFound)
			},
			want: FormLoginError{Path: "/login", Status: http.StatusFound, Message: "Wrong password for [redacted]"},
		},
		{
			// Django's LoginView: the form again, 200, with its errorlist.
			name: "the form again",
			wrong: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `<ul class="errorlist nonfield"><li>Please enter a correct username and password.</li></ul>
<form method=post><input name=username><input type=password name=password></form>`)
			},
			want: FormLoginError{Path: "/login", Status: http.StatusOK, Message: "Please enter a correct username and password."},
		},
		{
			name:  "an error status",
			wrong: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusUnauthorized) },
			want:  FormLoginError{Path: "/login", Status: http.StatusUnauthorized},
		},
		{
			name: "a CSRF refusal",
			wrong: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "Forbidden (403)\nCSRF verification failed. Request aborted.", http.StatusForbidden)
			},
			want: FormLoginError{Path: "/login", Status: http.StatusForbidden, CSRF: true,
				Message: "Forbidden (403) CSRF verification failed. Request aborted."},
		},
		{
			// A 403 page in the site's layout: the csrf-token <meta> of
			// the layout does not make it a CSRF refusal.
			name: "a forbidden page in the layout",
			wrong: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusForbidden)
				io.WriteString(w, `<html><head><meta name="csrf-token" content="abc"><script>var csrf = 1</script></head>
<body><div class="alert">Your account is locked.</div></body></html>`)
			},
			want: FormLoginError{Path: "/login", Status: http.StatusForbidden, Message: "Your account is locked."},
		},
		{
			name: "Laravel's page expired",
			wrong: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(419)
				io.WriteString(w, `<title>Page Expired</title><div class="message">Page Expired</div>`)
			},
			want: FormLoginError{Path: "/login", Status: 419, CSRF: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := loginSite(t, tt.wrong)
			a := &FormLogin{LoginURL: srv.URL + "/login", Username: "alice", Password: "not-" + testPassword}
			_, err := a.Login(context.Background(), nil)
			var fe *FormLoginError
			if !errors.As(err, &fe) || !errors.Is(err, ErrAuthResponse) || errors.Is(err, ErrCSRF) != tt.want.CSRF {
				t.Fatalf("Login() error = %v, want a *FormLoginError (CSRF %v)", err, tt.want.CSRF)
			}
			if diff := cmp.Diff(tt.want, *fe); diff != "" {
				t.Errorf("Login() error (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), "not-"+testPassword) {
				t.Errorf("error %q holds the password", err)
			}
			a.Password = testPassword
			if _, err := a.Login(context.Background(), nil); err != nil {
				t.Errorf("Login() with the right password: %v", err)
			}
		})
	}
}

// A site whose home page is its login page: success redirects there too,
// and the page no longer asks for a password.
func TestFormLoginHomeIsLoginPage(t *testing.T) {
	var in atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			in.Store(r.PostFormValue("p") == testPassword)
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		if in.Load() {
			io.WriteString(w, "welcome")
			return
		}
		io.WriteString(w, `<form method=post><input name=u><input type=password name=p></form>`)
	}))
	defer srv.Close()
	a := &FormLogin{LoginURL: srv.URL + "/", Username: "alice", Password: testPassword}
	if _, err := a.Login(context.Background(), nil); err != nil {
		t.Errorf("Login() error = %v", err)
	}
}

// A login that answers 200 with the account page, which has a
// change-password form of its own, succeeded.
func TestFormLoginAccountPageWithPasswordForm(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, `<form method=post action="/login"><input name=u><input type=password name=p></form>`)
			return
		}
		if r.PostFormValue("p") != testPassword {
			io.WriteString(w, `<p class=error>Bad password</p><form method=post action="/login"><input name=u><input type=password name=p></form>`)
			return
		}
		io.WriteString(w, `<h1>Account</h1><form method=post action="/account/password"><input type=password name=old><input type=password name=new></form>`)
	}))
	defer srv.Close()
	a := &FormLogin{LoginURL: srv.URL + "/login", Username: "alice", Password: testPassword}
	if _, err := a.Login(context.Background(), nil); err != nil {
		t.Errorf("Login() error = %v, want success", err)
	}
	a.Password = "wrong"
	var fe *FormLoginError
	if _, err := a.Login(context.Background(), nil); !errors.As(err, &fe) || fe.Message != "Bad password" {
		t.Errorf("Login() with a wrong password: %v, want a *FormLoginError quoting the page", err)
	}
}

// A form whose action is another origin does not get the password.
func TestFormLoginForeignAction(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { stolen.Add(1) }))
	defer thief.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<form method=post action="`+thief.URL+`/collect"><input name=u><input type=password name=p></form>`)
	}))
	defer srv.Close()
	a := &FormLogin{LoginURL: srv.URL + "/login", Username: "alice", Password: testPassword}
	_, err := a.Login(context.Background(), nil)
	var ae *AuthError
	if !errors.As(err, &ae) || stolen.Load() != 0 {
		t.Errorf("Login() error = %v, requests to the other origin = %d; want an *AuthError and none", err, stolen.Load())
	}
}

// expirySite is a cookie-session site that ends sessions on demand and
// redirects requests without one to /login, as login_required does.
type expirySite struct {
	*httptest.Server
	logins, posts atomic.Int32
	mu            sync.Mutex
	valid         map[string]bool
}

func newExpirySite(t *testing.T) *expirySite {
	s := &expirySite{valid: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<form method=post><input name=u><input type=password name=p></form>`)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("p") != testPassword {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		n := s.logins.Add(1)
		sid := "sid-" + string(rune('a'+n))
		s.mu.Lock()
		s.valid[sid] = true
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/"})
		http.Redirect(w, r, "/", http.StatusFound)
	})
	mux.HandleFunc("/data", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("sid")
		s.mu.Lock()
		ok := err == nil && s.valid[c.Value]
		s.mu.Unlock()
		if !ok {
			http.Redirect(w, r, "/login?next=/data", http.StatusFound)
			return
		}
		if r.Method == http.MethodPost {
			s.posts.Add(1)
		}
		io.WriteString(w, "data")
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *expirySite) expireAll() {
	s.mu.Lock()
	clear(s.valid)
	s.mu.Unlock()
}

// A redirect to the login page ends the session: one login however many
// requests see it, and each replayed once.
func TestFormLogoutByRedirect(t *testing.T) {
	site := newExpirySite(t)
	c, err := New(Options{Auth: &FormLogin{LoginURL: site.URL + "/login", Username: "alice", Password: testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := mustDo(t, c, "GET", site.URL+"/data", ""); code != 200 || body != "data" {
		t.Fatalf("GET /data = %d %q", code, body)
	}
	site.expireAll()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", site.URL+"/data", nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Errorf("GET /data: %v", err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "data" {
				t.Errorf("GET /data after the logout = %d %q, want data", resp.StatusCode, b)
			}
		})
	}
	wg.Wait()
	if n := site.logins.Load(); n != 2 {
		t.Errorf("logins = %d, want 2 (the first, and one after the logout)", n)
	}
}

// A body that can't be sent again is not replayed: the caller gets what the
// site answered (here the login page, after the redirect), and the next
// request logs in.
func TestFormLogoutUnrewindableBody(t *testing.T) {
	site := newExpirySite(t)
	c, err := New(Options{Auth: &FormLogin{LoginURL: site.URL + "/login", Username: "alice", Password: testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, c, "GET", site.URL+"/data", "")
	site.expireAll()
	req, _ := http.NewRequest("POST", site.URL+"/data", io.NopCloser(strings.NewReader("x=1"))) // no GetBody
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if site.posts.Load() != 0 || resp.Request.URL.Path != "/login" {
		t.Errorf("POST without GetBody: %d posts, landed on %s; want none replayed and the login page", site.posts.Load(), resp.Request.URL.Path)
	}
	if code, _ := mustDo(t, c, "POST", site.URL+"/data", "x=1"); code != 200 || site.posts.Load() != 1 {
		t.Errorf("next POST = %d with %d posts, want 200 after a new login", code, site.posts.Load())
	}
}

// IsLogout replaces the default rule.
func TestFormLogoutPredicate(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/login" && r.Method == http.MethodGet:
			io.WriteString(w, `<form method=post><input name=u><input type=password name=p></form>`)
		case r.URL.Path == "/login":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "ok", Path: "/"})
			http.Redirect(w, r, "/", http.StatusFound)
		case calls.Add(1) == 1:
			w.Header().Set("X-Session", "expired")
		default:
			io.WriteString(w, "fresh")
		}
	}))
	defer srv.Close()
	c, err := New(Options{Auth: &FormLogin{LoginURL: srv.URL + "/login", Username: "a", Password: testPassword,
		IsLogout: func(r *http.Response) bool { return r.Header.Get("X-Session") == "expired" }}})
	if err != nil {
		t.Fatal(err)
	}
	if _, body := mustDo(t, c, "GET", srv.URL+"/x", ""); body != "fresh" {
		t.Errorf("GET = %q, want the replay's answer", body)
	}
}
