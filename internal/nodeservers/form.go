package nodeservers

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// FirstForm reads page, whose URL is base, as a person at a browser does
// who submits it: it returns the URL its first form posts to and the
// names and values of that form's inputs, or a nil URL when the page has
// no form. The tests log in on oidcprovider's development pages with it.
func FirstForm(page []byte, base *url.URL) (*url.URL, url.Values) {
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
