package httpsession

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/httpsession/httpsession/internal/redact"
)

// FormLogin logs in the way a browser does, for sites that keep the session
// in cookies. It GETs LoginURL and reads the page as a browser would: the
// first form holding a password input gives the action, the method, the
// encoding and every field — hidden inputs (CSRF tokens included), checked
// boxes, selects and the first submit button's name and value. Username and
// Password go into the form's password input and the text or email input
// before it (or into UsernameField and PasswordField when named), Fields
// replace or add values, and the form is submitted, as Scrapy's
// FormRequest.from_response and MechanicalSoup do. A page without such a
// form gets Fields (and the user and password) posted to PostURL, or to
// LoginURL. The answer to the submission is not followed if it redirects.
//
// The form goes only to the login page's origin unless PostURL names the
// target: a form whose action leads elsewhere is refused, so a tampered
// page cannot collect the password.
//
// A login fails, with a *FormLoginError, when the site answers with an
// error status, with a page that still holds a password form, or with a
// redirect to the login page that lands on such a page: that is how
// passport, Django, Devise and Spring answer a wrong password. The error
// names the path it landed on and quotes the page's short error message.
// A 403 (or Laravel's 419) whose page speaks of CSRF is a *FormLoginError
// with CSRF set (errors.Is(err, ErrCSRF)), not a wrong password. The
// Success checks, when set, must hold too.
//
// The cookies travel through hc: give the FormLogin to a Client as
// Options.Auth (it then checks the session's jar, and its login page's
// origin stands in for empty AuthOrigins), or call Login with an
// *http.Client that has a Jar. Login returns a Token with an empty
// AccessToken and no Expiry: nothing is added to requests, the session
// cookie in the jar does the work, and the session counts as logged in
// until the site says it ended — a 401, or a redirect to the login page
// (see LoggedOut) — which makes a Client log in once and replay the
// request once, as for a 401. Refresh returns ErrNoRefresh.
//
// Printing a FormLogin (fmt or slog) shows only the names of Fields and
// the user name, and its URLs without user info, query or fragment.
type FormLogin struct {
	LoginURL string // the page with the login form
	PostURL  string // where to post instead of the form's action; "" means the form's action, or LoginURL without a form

	Username string // typed into the user input
	Password string // typed into the password input
	// UsernameField and PasswordField name those inputs when they are not
	// obvious. "" means the form's first password input and the text or
	// email input before it; without a login form on the page, "username"
	// and "password".
	UsernameField, PasswordField string

	Fields    url.Values // values that replace or add to the form's, e.g. {"remember": {"1"}}
	CSRFField string     // a hidden input the page must hold (its value is posted); "" means no such check
	Header    http.Header

	// Checks on the answer to the submission; all that are set must hold,
	// on top of the failure rules above.
	SuccessStatus   int    // 0 means any 2xx or 3xx status
	SuccessCookie   string // a cookie that must now be set for PostURL
	SuccessRedirect string // the POST must redirect here: a path, or an absolute URL

	// IsLogout reports whether a response means the session has ended.
	// Nil means a redirect to LoginURL's path on its origin (what
	// passport, Django's login_required, Devise and Spring send). A
	// 401 always counts.
	IsLogout func(resp *http.Response) bool

	jar *Jar // the session's, set by bindJar for a Client
}

// A LogoutDetector is an Authenticator that recognises, in a response
// other than a 401, that the session it logged in has ended — a cookie
// session that expired sends its login page rather than a 401. A Client
// whose Options.Auth implements it treats such a response like a 401: it
// logs in once, however many requests see it at once, and replays the
// request once when its body can be sent again.
type LogoutDetector interface {
	Authenticator
	// LoggedOut reports whether resp, the answer to a request that was
	// sent with the session, says the session has ended.
	LoggedOut(resp *http.Response) bool
}

var _ LogoutDetector = (*FormLogin)(nil)

// loggedOut reports whether resp, the answer to a request sent with the
// session, ends the session by the rule of the Authenticator, when it is
// a LogoutDetector.
func (t *transport) loggedOut(resp *http.Response) bool {
	d, ok := t.tokens.auth.(LogoutDetector)
	return ok && d.LoggedOut(resp)
}

// LoggedOut implements LogoutDetector: IsLogout, or by default a redirect
// to LoginURL's path on LoginURL's origin.
func (a *FormLogin) LoggedOut(resp *http.Response) bool {
	if a.IsLogout != nil {
		return a.IsLogout(resp)
	}
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return false
	}
	page, err := url.Parse(a.LoginURL)
	if err != nil {
		return false
	}
	loc, err := resp.Location()
	return err == nil && sameOrigin(loc, page) && samePath(loc.Path, page.Path)
}

// A FormLoginError reports a form login the site refused. It never holds
// the password, the user name or a cookie: Path has no query, and Message
// is the page's own short error text, bounded, printable, secrets removed.
// It matches ErrAuthResponse, and ErrCSRF when CSRF is set.
type FormLoginError struct {
	Path    string // path of the page the login landed on
	Status  int    // status of the answer to the submission
	Message string // the page's error message, "" if it shows none
	CSRF    bool   // the site refused the request's CSRF token
}

// ErrCSRF is matched (errors.Is) by the error of a login the site refused
// for its CSRF token — a *FormLoginError, or the *AuthError of a
// JSONLogin: a 403 (or Laravel's 419) whose page speaks of CSRF, XSRF,
// forgery or an authenticity token.
var ErrCSRF = errors.New("httpsession: CSRF token refused")

func (e *FormLoginError) Error() string {
	var b strings.Builder
	if e.CSRF {
		fmt.Fprintf(&b, "httpsession: form login: CSRF token refused at %s", e.Path)
	} else {
		fmt.Fprintf(&b, "httpsession: form login refused: landed on %s", e.Path)
	}
	if e.Status != 0 {
		writeStatus(&b, e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(strconv.Quote(e.Message))
	}
	return b.String()
}

// Is reports whether target is ErrAuthResponse, or ErrCSRF for a refused
// CSRF token.
func (e *FormLoginError) Is(target error) bool {
	return target == ErrAuthResponse || e.CSRF && target == ErrCSRF
}

// Login implements Authenticator.
func (a *FormLogin) Login(ctx context.Context, hc *http.Client) (*Token, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	page, err := parseEndpoint(a.LoginURL)
	if err != nil {
		return nil, err
	}
	landed, data, err := a.getPage(ctx, hc, page)
	if err != nil {
		return nil, err
	}
	form, err := a.fill(landed, data)
	if err != nil {
		return nil, err
	}
	req, err := a.submission(ctx, form, page)
	if err != nil {
		return nil, err
	}
	resp, body, err := exchange(hc, req, false)
	if err != nil {
		return nil, err
	}
	if err := a.refused(ctx, hc, page, resp, body); err != nil {
		return nil, err
	}
	if reason := a.check(hc, req.URL, resp); reason != "" {
		return nil, &AuthError{Endpoint: redact.URL(req.URL), Status: resp.StatusCode, Reason: "login not accepted: " + reason}
	}
	return &Token{}, nil
}

// getPage GETs the login page, following redirects, and returns where it
// landed and the page.
func (a *FormLogin) getPage(ctx context.Context, hc *http.Client, page *url.URL) (*url.URL, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page.String(), nil)
	if err != nil {
		return nil, nil, &AuthError{Endpoint: redact.URL(page), Reason: "cannot build the request"}
	}
	a.setHeader(req)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, data, err := exchange(hc, req, true)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, &AuthError{Endpoint: redact.URL(page), Status: resp.StatusCode, Reason: "unexpected status for the login page"}
	}
	landed := page
	if resp.Request != nil && resp.Request.URL != nil {
		landed = resp.Request.URL
	}
	return landed, data, nil
}

// fill reads the login form of data (the page at landed) and fills it in.
// A page without one gets a bare POST form to LoginURL.
func (a *FormLogin) fill(landed *url.URL, data []byte) (*htmlForm, error) {
	form := findLoginForm(data, landed)
	user, pass := cmp.Or(a.UsernameField, "username"), cmp.Or(a.PasswordField, "password")
	if form == nil {
		form = &htmlForm{action: landed, method: http.MethodPost, enctype: "application/x-www-form-urlencoded"}
		if a.CSRFField != "" {
			v, ok := inputValue(data, a.CSRFField)
			if !ok {
				return nil, &AuthError{Endpoint: redact.URL(landed), Status: http.StatusOK,
					Reason: "no input " + strconv.Quote(redact.Clean(a.CSRFField, 64)) + " on the login page"}
			}
			form.set(a.CSRFField, v)
		}
	} else {
		user, pass = cmp.Or(a.UsernameField, form.user, "username"), cmp.Or(a.PasswordField, form.password)
		if a.CSRFField != "" && !slices.ContainsFunc(form.entries, func(e formEntry) bool { return e.name == a.CSRFField }) {
			return nil, &AuthError{Endpoint: redact.URL(landed), Status: http.StatusOK,
				Reason: "no input " + strconv.Quote(redact.Clean(a.CSRFField, 64)) + " in the login form"}
		}
	}
	if a.Username != "" {
		form.set(user, a.Username)
	}
	if a.Password != "" {
		form.set(pass, a.Password)
	}
	names := slices.Sorted(maps.Keys(a.Fields))
	for _, k := range names {
		vs := a.Fields[k]
		if len(vs) == 0 {
			continue
		}
		form.set(k, vs[0])
		for _, v := range vs[1:] {
			form.entries = append(form.entries, formEntry{k, v})
		}
	}
	return form, nil
}

// submission builds the request that submits form, found on page.
func (a *FormLogin) submission(ctx context.Context, form *htmlForm, page *url.URL) (*http.Request, error) {
	target, method := form.action, form.method
	if a.PostURL != "" {
		u, err := parseEndpoint(a.PostURL)
		if err != nil {
			return nil, err
		}
		target, method = u, http.MethodPost
	} else if !sameOrigin(target, page) || (target.Scheme != "http" && target.Scheme != "https") {
		return nil, &AuthError{Endpoint: redact.URL(page), Status: http.StatusOK,
			Reason: "the login form posts to another origin (" + redact.Clean(target.Host, 100) + "): set PostURL to send the password there"}
	}
	var req *http.Request
	var err error
	if method == http.MethodGet {
		u := *target
		u.RawQuery, u.Fragment = form.encode(), ""
		req, err = http.NewRequestWithContext(ctx, method, u.String(), nil)
	} else {
		ct, body, berr := form.body()
		if berr != nil {
			return nil, &AuthError{Endpoint: redact.URL(target), Reason: "cannot encode the form"}
		}
		req, err = http.NewRequestWithContext(ctx, method, target.String(), bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", ct)
		}
	}
	if err != nil {
		return nil, &AuthError{Endpoint: redact.URL(target), Reason: "cannot build the request"}
	}
	a.setHeader(req)
	if req.Header.Get("Referer") == "" {
		req.Header.Set("Referer", redact.URL(page))
	}
	if req.Header.Get("Origin") == "" {
		req.Header.Set("Origin", page.Scheme+"://"+page.Host)
	}
	return req, nil
}

// refused applies the failure rules to the answer to the submission: an
// error status (a CSRF refusal told apart), a page that still holds the
// login form (one with a password input posting where this one did), or a
// redirect to the login page that lands on a password form.
func (a *FormLogin) refused(ctx context.Context, hc *http.Client, page *url.URL, resp *http.Response, body []byte) error {
	at := resp.Request.URL
	switch {
	case speaksOfCSRF(resp.StatusCode, body):
		return a.loginError(at, resp.StatusCode, body, true)
	case resp.StatusCode >= 400:
		return a.loginError(at, resp.StatusCode, body, false)
	case resp.StatusCode < 300:
		// The login form again (it posts where this one did); a
		// change-password form on the account page posts elsewhere.
		if f := findLoginForm(body, at); f != nil && samePath(f.action.Path, at.Path) {
			return a.loginError(at, resp.StatusCode, body, false)
		}
		return nil
	}
	loc, err := resp.Location()
	if err != nil || !sameOrigin(loc, page) || !samePath(loc.Path, page.Path) {
		return nil
	}
	// Back to the login page: a wrong password, unless the page no longer
	// asks for one (a site whose home page is its login page).
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return nil
	}
	a.setHeader(req)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	r2, data, err := exchange(hc, req, true)
	if err != nil {
		return err
	}
	if findLoginForm(data, r2.Request.URL) == nil {
		return nil
	}
	return a.loginError(r2.Request.URL, resp.StatusCode, data, false)
}

// loginError builds the *FormLoginError of a refused login that landed at
// u, quoting the page's message without the credentials.
func (a *FormLogin) loginError(u *url.URL, status int, page []byte, csrf bool) error {
	secrets := []string{a.Password, a.Username}
	for _, vs := range a.Fields {
		secrets = append(secrets, vs...)
	}
	msg := pageMessage(page)
	if msg == "" && csrf && !bytes.Contains(page, []byte("<")) {
		msg = strings.Join(strings.Fields(string(page)), " ") // a plain-text refusal
	}
	return &FormLoginError{Path: redact.Clean(u.EscapedPath(), 200), Status: status, Message: redact.Clean(msg, 200, secrets...), CSRF: csrf}
}

// speaksOfCSRF reports whether an answer is a CSRF refusal: a 403, or the
// 419 Laravel sends, whose body names CSRF, XSRF, forgery or an
// authenticity token (Rails).
func speaksOfCSRF(status int, body []byte) bool {
	if status != http.StatusForbidden && status != 419 {
		return false
	}
	b := body[:min(len(body), 64<<10)]
	if bytes.Contains(b, []byte("<")) {
		// An HTML page: its words, not its markup — a 403 page in the
		// site's layout carries <meta name="csrf-token"> whatever the
		// reason.
		b = []byte(pageText(b))
	}
	b = bytes.ToLower(b)
	for _, w := range [...]string{"csrf", "xsrf", "forgery", "authenticity token", "page expired"} {
		if bytes.Contains(b, []byte(w)) {
			return true
		}
	}
	return false
}

// samePath compares two URL paths, an empty one being "/".
func samePath(a, b string) bool { return cmp.Or(a, "/") == cmp.Or(b, "/") }

func (a *FormLogin) setHeader(req *http.Request) {
	for k, vs := range a.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
}

// check applies the success checks to the POST's response and says what
// failed, or "".
func (a *FormLogin) check(hc *http.Client, target *url.URL, resp *http.Response) string {
	switch {
	case a.SuccessStatus != 0 && resp.StatusCode != a.SuccessStatus:
		return "status " + strconv.Itoa(resp.StatusCode) + ", want " + strconv.Itoa(a.SuccessStatus)
	case a.SuccessStatus == 0 && (resp.StatusCode < 200 || resp.StatusCode > 399):
		return "unexpected status"
	}
	if a.SuccessCookie != "" && !a.hasCookie(hc, target, resp, a.SuccessCookie) {
		return "cookie " + strconv.Quote(redact.Clean(a.SuccessCookie, 64)) + " not set"
	}
	if a.SuccessRedirect != "" {
		want, err := target.Parse(a.SuccessRedirect)
		if err != nil {
			return "invalid SuccessRedirect"
		}
		loc, err := resp.Location()
		if err != nil {
			return "no redirect"
		}
		if loc.Scheme != want.Scheme || !strings.EqualFold(loc.Host, want.Host) || loc.EscapedPath() != want.EscapedPath() {
			return "redirected elsewhere"
		}
	}
	return ""
}

// loginPage implements cookieLogin: a 401 from the login page's origin
// means the session ended.
func (a *FormLogin) loginPage() string { return a.LoginURL }

// bindJar implements cookieLogin: a copy of a that checks SuccessCookie in
// the session's jar, where the cookies of a Client's session live (its
// authenticator client has no Jar of its own).
func (a *FormLogin) bindJar(j *Jar) Authenticator {
	b := *a
	b.jar = j
	return &b
}

// hasCookie reports whether the response set a cookie called name, or the
// jar (the session's, else hc's) holds one for u.
func (a *FormLogin) hasCookie(hc *http.Client, u *url.URL, resp *http.Response, name string) bool {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.Value != "" && c.MaxAge >= 0 {
			return true
		}
	}
	var jar http.CookieJar = hc.Jar
	if a.jar != nil {
		jar = a.jar
	}
	if jar != nil {
		for _, c := range jar.Cookies(u) {
			if c.Name == name && c.Value != "" {
				return true
			}
		}
	}
	return false
}

// Refresh implements Authenticator: a form login cannot be refreshed, so it
// returns ErrNoRefresh.
func (a *FormLogin) Refresh(context.Context, *http.Client, *Token) (*Token, error) {
	return nil, ErrNoRefresh
}

func (a FormLogin) String() string {
	names := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprintf("FormLogin{LoginURL: %s, PostURL: %s, Username: %q, Fields: %s}",
		redact.URLString(a.LoginURL), redact.URLString(a.PostURL), a.Username, strings.Join(names, ","))
}

// Format implements fmt.Formatter without the field values.
func (a FormLogin) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, a.String(), "httpsession."+a.String())
}

// LogValue implements slog.LogValuer without the field values: the URLs
// redacted and the names of the fields.
func (a FormLogin) LogValue() slog.Value {
	names := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return slog.GroupValue(slog.String("login_url", redact.URLString(a.LoginURL)),
		slog.String("post_url", redact.URLString(a.PostURL)), slog.String("username", a.Username), slog.Any("fields", names))
}

var _ Authenticator = (*FormLogin)(nil)
