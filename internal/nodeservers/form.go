package nodeservers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// SignIn is the person at the browser on oidcprovider's development
// pages: from u (the authorization URL a login opens), it signs in as
// user (any password is accepted) and accepts the consent page,
// submitting each page's first form, until the provider redirects to the
// program's /callback. hc keeps the provider's cookies from one sign-in
// to the next. A request that fails is returned as it is, a *url.Error:
// the login may be over, its listener gone.
func SignIn(ctx context.Context, hc *http.Client, u, user string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for range 6 {
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Request.URL.Path == "/callback" {
			return nil
		}
		action, form := firstForm(page, resp.Request.URL)
		if action == nil {
			return fmt.Errorf("provider page %s without a form: %.300s", resp.Request.URL, page)
		}
		form.Set("login", user)
		form.Set("password", "any")
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return errors.New("the provider's pages did not end at the callback")
}

// firstForm reads page, whose URL is base, as a person at a browser does
// who submits it: it returns the URL its first form posts to and the
// names and values of that form's inputs, or a nil URL when the page has
// no form.
func firstForm(page []byte, base *url.URL) (*url.URL, url.Values) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, nil
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.DataAtom != atom.Form {
			continue
		}
		action, values := base, url.Values{}
		if a := strings.TrimSpace(attr(n, "action")); a != "" {
			if u, err := base.Parse(a); err == nil {
				action = u
			}
		}
		for c := range n.Descendants() {
			if c.Type == html.ElementNode && c.DataAtom == atom.Input && attr(c, "name") != "" {
				values.Add(attr(c, "name"), attr(c, "value"))
			}
		}
		return action, values
	}
	return nil, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}
