package httpsession

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// An htmlForm is a <form> of an HTML page as a browser would submit it
// (HTML Living Standard §4.10.21, "constructing the entry list"): its
// action resolved against the page, its method and encoding, and the
// entries of its successful controls in document order.
type htmlForm struct {
	action   *url.URL
	method   string // GET or POST
	enctype  string // application/x-www-form-urlencoded or multipart/form-data
	entries  []formEntry
	password string // name of the first password input; "" if none
	user     string // name of the text-like input before it; "" if none
}

type formEntry struct{ name, value string }

// set replaces the value of the first entry called name (adding it when
// there is none) and drops the others of that name.
func (f *htmlForm) set(name, value string) {
	out, done := f.entries[:0], false
	for _, e := range f.entries {
		if e.name == name {
			if done {
				continue
			}
			e.value, done = value, true
		}
		out = append(out, e)
	}
	if !done {
		out = append(out, formEntry{name, value})
	}
	f.entries = out
}

// body is the form's submission in its encoding (a GET sends encode as
// the query instead).
func (f *htmlForm) body() (contentType string, body []byte, err error) {
	if f.enctype == "multipart/form-data" {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for _, e := range f.entries {
			if err := w.WriteField(e.name, e.value); err != nil {
				return "", nil, err
			}
		}
		if err := w.Close(); err != nil {
			return "", nil, err
		}
		return w.FormDataContentType(), b.Bytes(), nil
	}
	return "application/x-www-form-urlencoded", []byte(f.encode()), nil
}

// encode is application/x-www-form-urlencoded in document order, which
// url.Values.Encode (sorted by name) would not keep.
func (f *htmlForm) encode() string {
	var b strings.Builder
	for i, e := range f.entries {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(e.name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(e.value))
	}
	return b.String()
}

// findLoginForm returns the first form of page (whose URL is base) that
// holds a password input, or nil when there is none.
func findLoginForm(page []byte, base *url.URL) *htmlForm {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil
	}
	if b := findElement(doc, atom.Base); b != nil {
		if u, err := base.Parse(attr(b, "href")); err == nil && attr(b, "href") != "" {
			base = u
		}
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.DataAtom != atom.Form {
			continue
		}
		if f := readForm(n, base); f.password != "" {
			return f
		}
	}
	return nil
}

// readForm reads the form element n. The first submit button with a name
// counts as the one clicked; other buttons, unchecked boxes, disabled
// controls and file inputs contribute nothing, as in a browser.
func readForm(n *html.Node, base *url.URL) *htmlForm {
	f := &htmlForm{action: base, method: http.MethodGet, enctype: "application/x-www-form-urlencoded"}
	if a, ok := attrOK(n, "action"); ok && strings.TrimSpace(a) != "" {
		if u, err := base.Parse(strings.TrimSpace(a)); err == nil {
			f.action = u
		}
	}
	if strings.EqualFold(attr(n, "method"), "post") {
		f.method = http.MethodPost
	}
	if strings.EqualFold(attr(n, "enctype"), "multipart/form-data") && f.method == http.MethodPost {
		f.enctype = "multipart/form-data"
	}
	clicked, lastText := false, ""
	for c := range n.Descendants() {
		if c.Type != html.ElementNode {
			continue
		}
		name := attr(c, "name")
		if _, disabled := attrOK(c, "disabled"); disabled {
			continue
		}
		switch c.DataAtom {
		case atom.Input:
			f.input(c, name, &clicked, &lastText)
		case atom.Button:
			typ := strings.ToLower(attr(c, "type"))
			if (typ == "" || typ == "submit") && !clicked {
				clicked = true
				if name != "" {
					f.entries = append(f.entries, formEntry{name, attr(c, "value")})
				}
			}
		case atom.Select:
			if name != "" {
				f.entries = append(f.entries, formEntry{name, selected(c)})
			}
		case atom.Textarea:
			if name != "" {
				f.entries = append(f.entries, formEntry{name, text(c)})
			}
		}
	}
	return f
}

// input adds the <input> c called name to the form: a password input
// marks the login fields, the first submit input is the one clicked.
func (f *htmlForm) input(c *html.Node, name string, clicked *bool, lastText *string) {
	typ := strings.ToLower(attr(c, "type"))
	switch typ {
	case "password":
		if f.password == "" && name != "" {
			f.password, f.user = name, *lastText
		}
	case "", "text", "email", "tel":
		if name != "" {
			*lastText = name
		}
	}
	if name == "" {
		return
	}
	switch typ {
	case "checkbox", "radio":
		if _, ok := attrOK(c, "checked"); ok {
			f.entries = append(f.entries, formEntry{name, valueOr(c, "on")})
		}
	case "submit", "image":
		if !*clicked {
			*clicked = true
			f.entries = append(f.entries, formEntry{name, attr(c, "value")})
		}
	case "file", "reset", "button":
	default:
		f.entries = append(f.entries, formEntry{name, attr(c, "value")})
	}
}

// selected is the value of a <select>'s selected option, or of its first.
func selected(n *html.Node) string {
	first, found := "", false
	for o := range n.Descendants() {
		if o.Type != html.ElementNode || o.DataAtom != atom.Option {
			continue
		}
		v, ok := attrOK(o, "value")
		if !ok {
			v = strings.TrimSpace(text(o))
		}
		if _, sel := attrOK(o, "selected"); sel {
			return v
		}
		if !found {
			first, found = v, true
		}
	}
	return first
}

// metaContent returns the content of the first <meta name=name> of page
// (the name matched without regard to case, as browsers do).
func metaContent(page []byte, name string) (string, bool) {
	return tagValue(page, "meta", "content", func(n string) bool { return strings.EqualFold(n, name) })
}

// inputValue returns the value of the first <input name=name> of page.
func inputValue(page []byte, name string) (string, bool) {
	return tagValue(page, "input", "value", func(n string) bool { return n == name })
}

// tagValue returns the attribute attr of the first <tag> of page whose name
// attribute is matched by match.
func tagValue(page []byte, tag, attr string, match func(name string) bool) (string, bool) {
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return "", false
		case html.StartTagToken, html.SelfClosingTagToken:
			tn, hasAttr := z.TagName()
			if string(tn) != tag || !hasAttr {
				continue
			}
			var n, v string
			for more := true; more; {
				var k, val []byte
				k, val, more = z.TagAttr()
				switch string(k) {
				case "name":
					n = string(val)
				case attr:
					v = string(val)
				}
			}
			if match(n) {
				return v, true
			}
		}
	}
}

// pageMessage returns the short text a login page shows about what went
// wrong: the first element with role=alert, or whose class or id speaks of
// an error, alert or flash message. Whitespace is collapsed; "" if none.
func pageMessage(page []byte) string {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return ""
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.DataAtom == atom.Input || n.DataAtom == atom.Form ||
			n.DataAtom == atom.Script || n.DataAtom == atom.Style {
			continue
		}
		marks := strings.ToLower(attr(n, "class") + " " + attr(n, "id"))
		if !strings.EqualFold(attr(n, "role"), "alert") && !containsAny(marks, "error", "alert", "flash", "invalid", "danger", "warning") {
			continue
		}
		if t := strings.Join(strings.Fields(text(n)), " "); t != "" {
			return t
		}
	}
	return ""
}

// pageText is the text of an HTML page outside scripts and styles.
func pageText(page []byte) string {
	z := html.NewTokenizer(bytes.NewReader(page))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			if tn, _ := z.TagName(); string(tn) == "script" || string(tn) == "style" {
				skip++
			}
		case html.EndTagToken:
			if tn, _ := z.TagName(); (string(tn) == "script" || string(tn) == "style") && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
				b.WriteByte(' ')
			}
		}
	}
}

func containsAny(s string, words ...string) bool {
	return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(s, w) })
}

// text is the text content of n.
func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

func findElement(n *html.Node, a atom.Atom) *html.Node {
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && c.DataAtom == a {
			return c
		}
	}
	return nil
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, key string) string { v, _ := attrOK(n, key); return v }

func valueOr(n *html.Node, def string) string {
	if v, ok := attrOK(n, "value"); ok {
		return v
	}
	return def
}
