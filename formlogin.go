package httpsession

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// FormLogin logs in the way a browser does, for sites that keep the session
// in cookies: it GETs LoginURL (collecting its cookies and, if CSRFField is
// set, the value of that hidden input field), then POSTs Fields as a form
// to PostURL. Success is decided by the configured checks on the POST's
// response, which is not followed if it redirects.
//
// The cookies travel through hc: give the FormLogin to a Client as
// Options.Auth (it then checks the session's jar, and its login page's
// origin stands in for empty AuthOrigins), or call Login with an
// *http.Client that has a Jar. Login returns a Token with an empty
// AccessToken and no Expiry: nothing is added to requests, the session
// cookie in the jar does the work, and the session counts as logged in
// until a 401 invalidates it, which makes the TokenManager log in again.
// Refresh returns ErrNoRefresh.
//
// Printing a FormLogin (fmt or slog) shows only the names of Fields, and
// its URLs without user info, query or fragment.
type FormLogin struct {
	LoginURL  string     // the login page
	PostURL   string     // where the form is posted; "" means LoginURL
	Fields    url.Values // the form, e.g. {"user": {…}, "pass": {…}}
	CSRFField string     // name of a hidden input copied from the page; "" means none
	Header    http.Header

	// Checks on the POST's response; all that are set must hold.
	SuccessStatus   int    // 0 means any 2xx or 3xx status
	SuccessCookie   string // a cookie that must now be set for PostURL
	SuccessRedirect string // the POST must redirect here: a path, or an absolute URL

	jar *Jar // the session's, set by bindJar for a Client
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
	target := page
	if a.PostURL != "" {
		if target, err = parseEndpoint(a.PostURL); err != nil {
			return nil, err
		}
	}

	form := url.Values{}
	for k, vs := range a.Fields {
		form[k] = append([]string(nil), vs...)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page.String(), nil)
	if err != nil {
		return nil, &AuthError{Endpoint: redactURL(page), Reason: "cannot build the request"}
	}
	a.setHeader(req)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, data, err := exchange(hc, req, true)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &AuthError{Endpoint: redactURL(page), Status: resp.StatusCode, Reason: "unexpected status for the login page"}
	}
	if a.CSRFField != "" {
		v, ok := inputValue(data, a.CSRFField)
		if !ok {
			return nil, &AuthError{Endpoint: redactURL(page), Status: resp.StatusCode,
				Reason: "no input " + strconv.Quote(clean(a.CSRFField, 64)) + " on the login page"}
		}
		form.Set(a.CSRFField, v)
	}

	req, err = http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &AuthError{Endpoint: redactURL(target), Reason: "cannot build the request"}
	}
	a.setHeader(req)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if req.Header.Get("Referer") == "" {
		req.Header.Set("Referer", redactURL(page))
	}
	if req.Header.Get("Origin") == "" {
		req.Header.Set("Origin", page.Scheme+"://"+page.Host)
	}
	resp, _, err = exchange(hc, req, false)
	if err != nil {
		return nil, err
	}
	if reason := a.check(hc, target, resp); reason != "" {
		return nil, &AuthError{Endpoint: redactURL(target), Status: resp.StatusCode, Reason: "login not accepted: " + reason}
	}
	return &Token{}, nil
}

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
		return "cookie " + strconv.Quote(clean(a.SuccessCookie, 64)) + " not set"
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

// inputValue returns the value of the first <input name=name> in an HTML
// page.
func inputValue(page []byte, name string) (string, bool) {
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return "", false
		case html.StartTagToken, html.SelfClosingTagToken:
			tn, hasAttr := z.TagName()
			if string(tn) != "input" || !hasAttr {
				continue
			}
			var n, v string
			for more := true; more; {
				var k, val []byte
				k, val, more = z.TagAttr()
				switch string(k) {
				case "name":
					n = string(val)
				case "value":
					v = string(val)
				}
			}
			if n == name {
				return v, true
			}
		}
	}
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
	return fmt.Sprintf("FormLogin{LoginURL: %s, PostURL: %s, Fields: %s}",
		redactURLString(a.LoginURL), redactURLString(a.PostURL), strings.Join(names, ","))
}

// Format implements fmt.Formatter without the field values.
func (a FormLogin) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, a.String(), "httpsession."+a.String())
}

// LogValue implements slog.LogValuer without the field values: the URLs
// redacted and the names of the fields.
func (a FormLogin) LogValue() slog.Value {
	names := make([]string, 0, len(a.Fields))
	for k := range a.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return slog.GroupValue(slog.String("login_url", redactURLString(a.LoginURL)),
		slog.String("post_url", redactURLString(a.PostURL)), slog.Any("fields", names))
}

var _ Authenticator = (*FormLogin)(nil)
