package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/httpsession/httpsession/internal/origin"
)

// curlNotes ends "get -h", "post -h" and "do -h" after requestNotes: the
// curl flags whose meaning differs from curl's on purpose.
const curlNotes = `curl's flags with curl's meaning: -u/--user (Basic, sent only to the first URL's scheme, host and
port, never to another origin after a redirect), -F/--form and --form-string, -G/--get, -d/--data,
--data-raw, --data-binary and --data-urlencode (joined with &, into the query with -G), --json,
-x/--proxy and --noproxy, --resolve and --connect-to, -H 'Host: …' (sent as the Host header),
--cert/--key (PEM), -n/--netrc, --netrc-file, --netrc-optional, -w/--write-out, -s/-S, -A, -e, -I.
Where they differ from curl on purpose:
  - -u USER without :PASSWORD does not prompt: the password comes from the netrc file (-n) or
    $HTTPSESSION_PASSWORD
  - -v masks the query string and the values of Authorization, Cookie and Set-Cookie
  - -i and -v speak HTTP/1.1 to https servers, to show the headers in the order sent and received;
    through a proxy's CONNECT tunnel the headers are listed sorted
  - -w's %{exitcode} is this command's exit code (1 for any runtime error, not curl's 6, 7, 28 …),
    and its %{size_download} counts the body's bytes decoded (curl counts a gzip body compressed)
  - --compressed and -L are accepted and change nothing: gzip is asked for and decoded on every
    request, and redirects are followed unless --no-follow
  - get takes -d only with -G; post with -G is a usage error (use get)
  - -G puts a space or another byte a URL cannot hold into the query percent-encoded (curl
    refuses the URL, exit 3)
  - -H 'Host: …' goes to the URL's origin only: after a redirect to another origin, the request
    carries that origin's own Host (curl sends the given one there too)`

// dataKind is how a -d-like flag turns its argument into body bytes.
type dataKind int

const (
	dataASCII     dataKind = iota // -d, --data: @FILE without CR and LF
	dataBinary                    // --data-binary: @FILE as is
	dataRaw                       // --data-raw: no @ at all
	dataURLEncode                 // --data-urlencode: [name]=content, [name]@file
	dataJSON                      // --json: like --data-binary, appended without &
)

// dataArg is one -d-like argument, in command-line order.
type dataArg struct {
	kind  dataKind
	value string
}

// dataFlag is a repeatable -d-like flag adding to a shared ordered list.
type dataFlag struct {
	kind dataKind
	list *[]dataArg
}

func (d dataFlag) String() string { return "" }

func (d dataFlag) Set(v string) error {
	*d.list = append(*d.list, dataArg{d.kind, v})
	return nil
}

// formArg is one -F (literal false) or --form-string (literal true).
type formArg struct {
	value   string
	literal bool
}

type formFlag struct {
	literal bool
	list    *[]formArg
}

func (f formFlag) String() string { return "" }

func (f formFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return errors.New("want name=value")
	}
	*f.list = append(*f.list, formArg{v, f.literal})
	return nil
}

// curlFlags are the request flags named after curl's and meaning what
// curl's mean.
type curlFlags struct {
	data                 []dataArg
	forms                []formArg
	get                  bool
	user                 string
	proxy, noproxy       string
	resolve, connectTo   stringList
	cert, key            string
	netrc, netrcOptional bool
	netrcFile            string
	writeOut             string
	silent, showError    bool
	compressed, location bool
	userAgent, referer   string
	head                 bool
}

// addCurlFlags declares the curl flags on fs.
func addCurlFlags(fs *flag.FlagSet, c *curlFlags) {
	fs.Var(dataFlag{dataASCII, &c.data}, "d", "request body `data` (repeatable, joined with &); @FILE reads a file without its CR and LF (as curl), @- standard input")
	fs.Var(dataFlag{dataASCII, &c.data}, "data", "same as -d")
	fs.Var(dataFlag{dataBinary, &c.data}, "data-binary", "request body `data` sent as is; @FILE reads a file, @- standard input")
	fs.Var(dataFlag{dataRaw, &c.data}, "data-raw", "request body `data`, an @ being no file name")
	fs.Var(dataFlag{dataURLEncode, &c.data}, "data-urlencode", "URL-encoded body (or query with -G) `part`: content, =content, name=content, @file or name@file")
	fs.Var(dataFlag{dataJSON, &c.data}, "json", "JSON body `data` (@FILE, @- as --data-binary), with Content-Type and Accept: application/json")
	fs.Var(formFlag{false, &c.forms}, "F", "multipart form `name=value`: name=@file uploads a file (;type= and ;filename= after it), name=<file sends its content")
	fs.Var(formFlag{false, &c.forms}, "form", "same as -F")
	fs.Var(formFlag{true, &c.forms}, "form-string", "multipart form `name=value` taken literally (no @, < or ;type=)")
	fs.BoolVar(&c.get, "G", false, "put the -d and --data-urlencode data in the URL's query and send a GET")
	fs.BoolVar(&c.get, "get", false, "same as -G")
	fs.StringVar(&c.user, "u", "", "Basic credentials `user:password`, sent only to the first URL's origin")
	fs.StringVar(&c.user, "user", "", "same as -u")
	fs.StringVar(&c.proxy, "x", "", "use this proxy `URL` ([scheme://][user:password@]host[:port]; http:// when no scheme)")
	fs.StringVar(&c.proxy, "proxy", "", "same as -x")
	fs.StringVar(&c.noproxy, "noproxy", "", "comma-separated `hosts` reached without the proxy (a domain covers its subdomains, a CIDR range its addresses; * is every host)")
	fs.Var(&c.resolve, "resolve", "connect to `host:port:addr` instead of resolving host (repeatable; * for any host)")
	fs.Var(&c.connectTo, "connect-to", "connect to `HOST1:PORT1:HOST2:PORT2` instead of HOST1:PORT1 (repeatable; an empty part matches or keeps any)")
	fs.StringVar(&c.cert, "cert", "", "client certificate PEM `file` (with the key, unless --key)")
	fs.StringVar(&c.key, "key", "", "private key PEM `file` for --cert")
	fs.BoolVar(&c.netrc, "n", false, "take -u's credentials for the URL's host from ~/.netrc")
	fs.BoolVar(&c.netrc, "netrc", false, "same as -n")
	fs.StringVar(&c.netrcFile, "netrc-file", "", "like -n, from this netrc `file`")
	fs.BoolVar(&c.netrcOptional, "netrc-optional", false, "like -n (a missing file or host is no error, as with -n)")
	fs.StringVar(&c.writeOut, "w", "", "print this `format` on standard output after the transfer: %{http_code}, %{size_download}, %{time_total}, %{url_effective}, %{num_redirects}, %{content_type}, %{exitcode}, %header{NAME}; @FILE reads it")
	fs.StringVar(&c.writeOut, "write-out", "", "same as -w")
	fs.BoolVar(&c.silent, "s", false, "silent: no progress bar and no error message (unless -S)")
	fs.BoolVar(&c.silent, "silent", false, "same as -s")
	fs.BoolVar(&c.showError, "S", false, "with -s, still print the error message")
	fs.BoolVar(&c.showError, "show-error", false, "same as -S")
	fs.BoolVar(&c.compressed, "compressed", false, "accepted for curl's sake: responses are always asked for and decoded as gzip")
	fs.BoolVar(&c.location, "L", false, "accepted for curl's sake: redirects are followed unless --no-follow")
	fs.BoolVar(&c.location, "location", false, "same as -L")
	fs.StringVar(&c.userAgent, "A", "", "send this User-Agent `name`")
	fs.StringVar(&c.userAgent, "user-agent", "", "same as -A")
	fs.StringVar(&c.referer, "e", "", "send this Referer `URL`")
	fs.StringVar(&c.referer, "referer", "", "same as -e")
	fs.BoolVar(&c.head, "I", false, "send a HEAD and print the response's head (get only)")
	fs.BoolVar(&c.head, "head", false, "same as -I")
}

// flagLike matches an argument that is a flag rather than data: JSON
// never starts with a dash and a letter.
var flagLike = regexp.MustCompile(`^--?[A-Za-z]`)

// check reports the flag combinations curl refuses, and those this
// command refuses for its name (get, post or do).
func (c *curlFlags) check(name string) error {
	for _, d := range c.data {
		if d.kind == dataJSON && flagLike.MatchString(d.value) {
			// "--json -d DATA", this command's --json before it took the
			// body as curl's does.
			return usagef("--json takes the body, as curl's does: --json '{\"key\":\"value\"}' or --json @FILE, not --json %s", d.value)
		}
	}
	switch {
	case len(c.forms) > 0 && len(c.data) > 0:
		return usagef("give -F/--form or -d-like data, not both")
	case len(c.forms) > 0 && c.get:
		return usagef("-F/--form sends a body: it does not go with -G")
	case name == "get" && len(c.data) > 0 && !c.get:
		return usagef("get sends no body: use post, or do -X METHOD with -d, or get -G to put the data in the query")
	case name == "get" && len(c.forms) > 0:
		return usagef("get sends no body: use post, or do -X METHOD with -F")
	case name == "post" && c.get:
		return usagef("-G makes a GET: use get -G")
	case c.head && (name != "get" || len(c.data) > 0 || len(c.forms) > 0):
		return usagef("-I sends a HEAD without a body: use get -I")
	}
	return nil
}

// payload joins the data arguments as curl does: with &, except that a
// --json part is appended as it is.
func (c *curlFlags) payload(e *env) ([]byte, error) {
	var b []byte
	for i, d := range c.data {
		v, err := d.bytes(e)
		if err != nil {
			return nil, err
		}
		if i > 0 && d.kind != dataJSON {
			b = append(b, '&')
		}
		b = append(b, v...)
	}
	return b, nil
}

// bytes is d's contribution to the body.
func (d dataArg) bytes(e *env) ([]byte, error) {
	switch d.kind {
	case dataRaw:
		return []byte(d.value), nil
	case dataURLEncode:
		return urlencodePart(e, d.value)
	}
	return readData(e, d.value, d.kind == dataASCII)
}

// urlencodePart encodes one --data-urlencode argument: content, =content,
// name=content, @file or name@file, whichever of = and @ comes first
// deciding, as curl reads it.
func urlencodePart(e *env, v string) ([]byte, error) {
	i := strings.IndexAny(v, "=@")
	if i < 0 {
		return []byte(url.QueryEscape(v)), nil
	}
	name, content := v[:i], v[i+1:]
	if v[i] == '@' {
		b, err := readFile(e, content)
		if err != nil {
			return nil, err
		}
		content = string(b)
	}
	if name == "" {
		return []byte(url.QueryEscape(content)), nil
	}
	return []byte(name + "=" + url.QueryEscape(content)), nil
}

// readFile reads a named file, "-" being standard input.
func readFile(e *env, name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(e.stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	return b, nil
}

// readData reads a -d or --data-binary argument: @FILE a file, @- standard
// input; strip removes CR and LF, as curl does for -d @FILE.
func readData(e *env, d string, strip bool) ([]byte, error) {
	if !strings.HasPrefix(d, "@") {
		return []byte(d), nil
	}
	b, err := readFile(e, d[1:])
	if err != nil {
		return nil, err
	}
	if strip {
		b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
	}
	return b, nil
}

// body is the request's body, its Content-Type and Accept, and the query
// to add to the URL, as the data, -F and -G flags make them.
type body struct {
	data        []byte // nil: no body
	contentType string
	accept      string
	query       string
}

// build turns the data and form flags into what the request carries.
func (c *curlFlags) build(e *env) (*body, error) {
	if len(c.forms) > 0 {
		data, ct, err := multipartBody(e, c.forms)
		if err != nil {
			return nil, err
		}
		return &body{data: data, contentType: ct}, nil
	}
	if len(c.data) == 0 {
		return &body{}, nil
	}
	data, err := c.payload(e)
	if err != nil {
		return nil, err
	}
	if c.get {
		return &body{query: string(data)}, nil
	}
	b := &body{data: data, contentType: "application/x-www-form-urlencoded"}
	for _, d := range c.data {
		if d.kind == dataJSON {
			b.contentType, b.accept = "application/json", "application/json"
		}
	}
	return b, nil
}

// withQuery returns u with q appended to its query, as -G does. A byte a
// query cannot hold (RFC 3986 §3.4: a space, a control, "#", a quote,
// non-ASCII) is percent-encoded: written as is it would make an invalid
// request line (curl refuses such a URL instead).
func withQuery(u *url.URL, q string) *url.URL {
	if q == "" {
		return u
	}
	q = escapeQuery(q)
	r := *u
	if r.RawQuery == "" {
		r.RawQuery = q
	} else {
		r.RawQuery += "&" + q
	}
	return &r
}

// escapeQuery percent-encodes the bytes of q that RFC 3986's query
// production does not allow; "%" is kept, for data already encoded. The
// standard library has no such function: url.QueryEscape would encode
// the data's own "&" and "=" too.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c > ' ' && c < 0x7f && !strings.ContainsRune("\"#<>\\^`{|}", rune(c)) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// basicCredentials returns the Authorization value -u or the netrc file
// gives for u, or "".
func (c *curlFlags) basicCredentials(e *env, u *url.URL) (string, error) {
	user, pass, hasPass := strings.Cut(c.user, ":")
	if c.user != "" && hasPass {
		return basicValue(user, pass), nil
	}
	if c.netrc || c.netrcOptional || c.netrcFile != "" {
		file := c.netrcFile
		if file == "" {
			file = netrcPath(e)
		}
		login, password, ok, err := lookupNetrc(file, u.Hostname(), user)
		if err != nil {
			return "", err
		}
		if ok {
			return basicValue(login, password), nil
		}
	}
	if c.user == "" {
		return "", nil
	}
	if p := e.getenv("HTTPSESSION_PASSWORD"); p != "" {
		return basicValue(user, p), nil
	}
	return "", usagef("-u %s has no password: give -u user:password, a netrc entry with -n, or $HTTPSESSION_PASSWORD", user)
}

// withCredentials puts the credentials of -u or the netrc file on the
// requests to u's origin, unless -H gave an Authorization header, which
// wins as in curl.
func withCredentials(e *env, f *requestFlags, u *url.URL, req *http.Request, base http.RoundTripper) (http.RoundTripper, error) {
	if _, set := req.Header["Authorization"]; set {
		return base, nil
	}
	cred, err := f.curl.basicCredentials(e, u)
	if err != nil || cred == "" {
		return base, err
	}
	return &originAuth{base: base, first: u, value: cred}, nil
}

// originAuth sets Authorization on every request to one origin (the first
// URL's, as curl sends -u only there) and on no other.
type originAuth struct {
	base  http.RoundTripper
	first *url.URL // the URL given: its origin alone gets the credentials
	value string
}

func (a *originAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	if !origin.Same(req.URL, a.first) {
		return a.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", a.value)
	return a.base.RoundTrip(r)
}
