package httpsession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseNetscapeLine(t *testing.T) {
	exp := time.Unix(1767366245, 0)
	tests := []struct {
		name, line string
		want       Cookie // HostOnly etc. as parsed
		ok         bool
	}{
		{"curl domain cookie", ".example.com\tTRUE\t/\tFALSE\t1767366245\tsid\tabc\n",
			Cookie{Name: "sid", Value: "abc", Domain: "example.com", Path: "/", Expires: exp}, true},
		{"curl host-only", "example.com\tFALSE\t/app\tTRUE\t0\tsid\tabc\n",
			Cookie{Name: "sid", Value: "abc", Domain: "example.com", Path: "/app", HostOnly: true, Secure: true}, true},
		{"HttpOnly", "#HttpOnly_.example.com\tTRUE\t/\tTRUE\t1767366245\tsid\tabc\n",
			Cookie{Name: "sid", Value: "abc", Domain: "example.com", Path: "/", Secure: true, HttpOnly: true, Expires: exp}, true},
		{"CRLF", "example.com\tFALSE\t/\tFALSE\t1767366245\ta\tb\r\n",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true, Expires: exp}, true},
		{"dot but FALSE", ".example.com\tFALSE\t/\tFALSE\t0\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/"}, true},
		{"TRUE without dot", "example.com\tTRUE\t/\tFALSE\t0\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/"}, true},
		{"lower-case flags", "example.com\tfalse\t/\ttrue\t0\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true, Secure: true}, true},
		{"empty expiry (yt-dlp, Python)", "example.com\tFALSE\t/\tFALSE\t\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true}, true},
		{"negative expiry", "example.com\tFALSE\t/\tFALSE\t-1\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true}, true},
		{"fractional expiry (browser export)", "example.com\tFALSE\t/\tFALSE\t1767366245.75\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true, Expires: exp}, true},
		{"empty value, six fields (curl)", "example.com\tFALSE\t/\tFALSE\t0\ta",
			Cookie{Name: "a", Domain: "example.com", Path: "/", HostOnly: true}, true},
		{"empty value, trailing TAB", "example.com\tFALSE\t/\tFALSE\t0\ta\t\n",
			Cookie{Name: "a", Domain: "example.com", Path: "/", HostOnly: true}, true},
		{"no name (Python)", "example.com\tFALSE\t/\tFALSE\t0\t\tflag",
			Cookie{Value: "flag", Domain: "example.com", Path: "/", HostOnly: true}, true},
		{"spaces instead of TABs", "example.com FALSE / FALSE 0 a b",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true}, true},
		{"empty path", "example.com\tFALSE\t\tFALSE\t0\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true}, true},
		{"value with spaces", "example.com\tFALSE\t/\tFALSE\t0\ta\tb c",
			Cookie{Name: "a", Value: "b c", Domain: "example.com", Path: "/", HostOnly: true}, true},

		{"empty line", "\n", Cookie{}, false},
		{"blank line", " \t \r\n", Cookie{}, false},
		{"comment", "# Netscape HTTP Cookie File\n", Cookie{}, false},

		{"too few fields", "example.com\tFALSE\t/\tFALSE\n", Cookie{}, false},
		{"bad expiry", "example.com\tFALSE\t/\tFALSE\tsoon\ta\tb", Cookie{}, false},
		{"NaN expiry", "example.com\tFALSE\t/\tFALSE\tNaN\ta\tb", Cookie{}, false},
		{"empty domain", "\tFALSE\t/\tFALSE\t0\ta\tb", Cookie{}, false},
		{"only a dot", ".\tTRUE\t/\tFALSE\t0\ta\tb", Cookie{}, false},
		{"garbage", "<html><body>not a cookie file</body></html>", Cookie{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseNetscapeLine([]byte(tt.line))
			if ok != tt.ok {
				t.Fatalf("parseNetscapeLine(%q) ok = %v, want %v", tt.line, ok, tt.ok)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseNetscapeLine(%q) mismatch (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

// cookieLines counts the lines of a cookies.txt file that are neither
// blank nor a comment.
func cookieLines(file string) int {
	n := 0
	for line := range strings.Lines(file) {
		line = strings.TrimSpace(line)
		if line != "" && (line[0] != '#' || strings.HasPrefix(line, httpOnlyPrefix)) {
			n++
		}
	}
	return n
}

// maxLine is the longest cookies.txt line read.
const maxLine = 16 << 10

func TestParseNetscapeCounts(t *testing.T) {
	in := "\xef\xbb\xbf# Netscape HTTP Cookie File\r\n" +
		"\r\n" +
		".example.com\tTRUE\t/\tFALSE\t0\tok1\tv\r\n" +
		"broken line\r\n" +
		"example.com\tFALSE\t/\tFALSE\t0\treject\tv\r\n" +
		"example.com\tFALSE\t/\tFALSE\t0\tlong\t" + strings.Repeat("x", 2*maxLine) + "\n" +
		"#HttpOnly_example.com\tFALSE\t/\tFALSE\t0\tok2\tv" // no final newline
	var names []string
	n, err := parseNetscape(strings.NewReader(in), func(c Cookie) bool {
		names = append(names, c.Name)
		return c.Name != "reject"
	})
	if err != nil {
		t.Fatalf("parseNetscape error: %v", err)
	}
	if n != 2 {
		t.Errorf("parseNetscape imported %d, want 2", n)
	}
	// The broken and the too long line are skipped: add never sees them.
	if diff := cmp.Diff([]string{"ok1", "reject", "ok2"}, names); diff != "" {
		t.Errorf("parsed cookies mismatch (-want +got):\n%s", diff)
	}
}

func TestParseNetscapeReadError(t *testing.T) {
	errRead := errors.New("disk on fire")
	r := iotest.TimeoutReader(strings.NewReader("example.com\tFALSE\t/\tFALSE\t0\ta\tb\n"))
	_, err := parseNetscape(r, func(Cookie) bool { return true })
	if err == nil {
		t.Fatalf("parseNetscape of a failing reader: no error")
	}
	_, err = parseNetscape(iotest.ErrReader(errRead), func(Cookie) bool { return true })
	if !errors.Is(err, errRead) {
		t.Errorf("parseNetscape error = %v, want %v", err, errRead)
	}
}

func TestWriteNetscapeRoundTrip(t *testing.T) {
	cookies := netscapeSample()
	var buf bytes.Buffer
	if err := writeNetscape(&buf, cookies); err != nil {
		t.Fatal(err)
	}
	var got []Cookie
	lines := cookieLines(buf.String())
	n, err := parseNetscape(&buf, func(c Cookie) bool { got = append(got, c); return true })
	if err != nil || n != lines {
		t.Fatalf("parseNetscape(writeNetscape(…)) = %d, %v, want all %d cookie lines", n, err, lines)
	}
	var want []Cookie
	for _, c := range cookies {
		if strings.ContainsAny(c.Value, "\t\n") {
			continue
		}
		want = append(want, Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
			HostOnly: c.HostOnly, Secure: c.Secure, HttpOnly: c.HttpOnly, Expires: c.Expires.Truncate(time.Second)})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteNetscapeGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := writeNetscape(&buf, netscapeSample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "cookies.txt.golden", buf.Bytes())
}

// netscapeSample returns cookies newest first, as writeNetscape orders them.
func netscapeSample() []Cookie {
	return []Cookie{
		{Name: "sid", Value: "abc", Domain: "example.com", Path: "/", HostOnly: true, Secure: true, HttpOnly: true,
			Expires: t0.Add(24 * time.Hour), Created: t0.Add(3 * time.Second)},
		{Name: "lang", Value: "en", Domain: "example.com", Path: "/", Expires: t0.Add(time.Hour), Created: t0.Add(2 * time.Second)},
		{Name: "tab", Value: "a\tb", Domain: "example.com", Path: "/", HostOnly: true, Created: t0.Add(time.Second)},
		{Name: "sess", Value: "", Domain: "127.0.0.1", Path: "/x", HostOnly: true, Created: t0},
		{Name: "wide", Value: "1", Domain: "shop.example.org", Path: "/", HttpOnly: true, Expires: t0.Add(time.Minute), Created: t0},
	}
}

func TestReadNetscapeIntoJar(t *testing.T) {
	clock := newPSClock()
	jar := newJar(nil, clock.Now)
	exp := t0.Add(time.Hour).Unix()
	in := fmt.Sprintf("# Netscape HTTP Cookie File\n"+
		".example.com\tTRUE\t/\tTRUE\t%[1]d\tdom\t1\n"+
		"#HttpOnly_www.example.com\tFALSE\t/app\tFALSE\t0\thost\t2\n"+
		"com\tTRUE\t/\tFALSE\t%[1]d\tpsl\tx\n"+ // a public suffix: refused
		"example.com\tFALSE\t/\tFALSE\t1000\told\tx\n"+ // expired: refused
		"not a cookie\n", exp)
	imported, err := jar.ReadNetscape(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	wellFormed, _ := parseNetscape(strings.NewReader(in), func(Cookie) bool { return true })
	if skipped, rejected := cookieLines(in)-wellFormed, wellFormed-imported; imported != 2 || skipped != 1 || rejected != 2 {
		t.Errorf("ReadNetscape imported %d, skipped %d, rejected %d; want 2, 1, 2", imported, skipped, rejected)
	}
	n, err := newJar(nil, clock.Now).ReadNetscape(strings.NewReader(in))
	if n != 2 || err != nil {
		t.Errorf("ReadNetscape = %d, %v, want 2, nil", n, err)
	}
	tests := []struct{ url, want string }{
		{"https://www.example.com/app/x", "host=2; dom=1"},
		{"https://sub.example.com/app/x", "dom=1"},
		{"http://www.example.com/", ""},
	}
	for _, tt := range tests {
		if got := cookieHeader(jar, psURL(t, tt.url)); got != tt.want {
			t.Errorf("cookieHeader(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
	for _, c := range jar.All() {
		if c.Name == "host" && !(c.HttpOnly && c.HostOnly && c.Expires.IsZero()) {
			t.Errorf("imported %v: want HttpOnly, host-only, session", c)
		}
	}
}

func TestWriteNetscapeJarGolden(t *testing.T) {
	clock := newPSClock()
	jar := newJar(nil, clock.Now)
	u := psURL(t, "https://www.example.com/")
	jar.SetCookieHeaders(u, []string{"sid=abc; Path=/; Secure; HttpOnly; Max-Age=86400"})
	clock.Advance(time.Second)
	jar.SetCookieHeaders(u, []string{"lang=en; Domain=example.com; Path=/; Expires=Sat, 03 Jan 2026 15:04:05 GMT"})
	clock.Advance(time.Second)
	jar.SetCookieHeaders(psURL(t, "http://127.0.0.1:8080/x/y"), []string{"sess=", "lax=1; SameSite=Lax"})
	var buf bytes.Buffer
	if err := jar.WriteNetscape(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "jar-cookies.txt.golden", buf.Bytes())
}

// cookieServer is an httptest server whose /set sets cookies and whose
// /echo answers with the Cookie header it received.
func cookieServer(t *testing.T) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/set":
			for _, c := range []string{
				"sid=abc123; Path=/; HttpOnly",
				"dom=d1; Domain=example.test; Path=/; Max-Age=3600",
				"deep=p1; Path=/app; Max-Age=3600",
				"sess=s1",
				"gone=x; Max-Age=0",
			} {
				w.Header().Add("Set-Cookie", c)
			}
		default:
			fmt.Fprint(w, r.Header.Get("Cookie"))
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// dialTo returns an http.Client that connects every host to ts.
func dialTo(ts *httptest.Server, jar http.CookieJar) *http.Client {
	addr := ts.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	return &http.Client{Transport: tr, Jar: jar}
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed, and CI must run the interoperability test (.ci/run installs it)", name)
		}
		t.Skipf("%s not installed: skipping the interoperability test", name)
	}
	return p
}

// sortedPairs splits a Cookie header into its sorted name=value pairs.
func sortedPairs(h string) []string {
	var out []string
	for p := range strings.SplitSeq(h, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func curl(t *testing.T, ts *httptest.Server, args ...string) string {
	t.Helper()
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	base := []string{"-sS", "--max-time", "20"}
	for _, h := range []string{"app.example.test", "sub.example.test"} {
		base = append(base, "--resolve", fmt.Sprintf("%s:%d:127.0.0.1", h, port))
	}
	cmd := exec.Command(needTool(t, "curl"), append(base, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl %q: %v", args, err)
	}
	return string(out)
}

// TestNetscapeCurlImport has curl store cookies with -c, imports the file,
// and checks that the jar sends what curl sends.
func TestNetscapeCurlImport(t *testing.T) {
	needTool(t, "curl")
	ts := cookieServer(t)
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	file := filepath.Join(t.TempDir(), "curl-cookies.txt")
	curl(t, ts, "-c", file, fmt.Sprintf("http://app.example.test:%d/set", port))

	jar := NewJar(nil)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	imported, err := jar.ReadNetscape(f)
	if b, _ := os.ReadFile(file); err != nil || imported != cookieLines(string(b)) {
		t.Fatalf("ReadNetscape(curl's file) = %d, %v, want every one of its %d cookie lines", imported, err, cookieLines(string(b)))
	}
	if imported != 4 {
		t.Errorf("imported %d cookies from curl, want 4", imported)
	}
	hc := dialTo(ts, jar)
	for _, u := range []string{"http://app.example.test:%d/app/x", "http://sub.example.test:%d/echo"} {
		u = fmt.Sprintf(u, port)
		want := curl(t, ts, "-b", file, u)
		if want == "" {
			t.Errorf("curl sent no cookies to %s", u)
		}
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if diff := cmp.Diff(sortedPairs(want), sortedPairs(string(got))); diff != "" {
			t.Errorf("cookies sent to %s (-curl +jar):\n%s", u, diff)
		}
	}
}

// TestNetscapeCurlExport writes the jar with WriteNetscape and has curl send
// the cookies with -b.
func TestNetscapeCurlExport(t *testing.T) {
	needTool(t, "curl")
	ts := cookieServer(t)
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	jar := NewJar(nil)
	hc := dialTo(ts, jar)
	resp, err := hc.Get(fmt.Sprintf("http://app.example.test:%d/set", port))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	file := filepath.Join(t.TempDir(), "export.txt")
	var buf bytes.Buffer
	if err := jar.WriteNetscape(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://app.example.test:%d/app/x", "http://sub.example.test:%d/echo", "http://app.example.test:%d/echo"} {
		u = fmt.Sprintf(u, port)
		got := curl(t, ts, "-b", file, u)
		want := cookieHeader(jar, psURL(t, u))
		if want == "" {
			t.Errorf("the jar has no cookies for %s", u)
		}
		if diff := cmp.Diff(sortedPairs(want), sortedPairs(got)); diff != "" {
			t.Errorf("cookies curl sent to %s (-jar +curl):\n%s", u, diff)
		}
	}
}

// TestNetscapePythonLoads checks that Python's MozillaCookieJar loads an
// export with every cookie and attribute it knows.
func TestNetscapePythonLoads(t *testing.T) {
	t.Parallel()
	python := needTool(t, "python3")
	jar := NewJar(nil)
	u := psURL(t, "https://www.example.com/")
	jar.SetCookieHeaders(u, []string{
		"sid=abc; Path=/; Secure; HttpOnly; Max-Age=86400",
		"lang=en; Domain=example.com; Path=/docs; Max-Age=3600",
		"sess=1",
	})
	file := filepath.Join(t.TempDir(), "export.txt")
	var buf bytes.Buffer
	if err := jar.WriteNetscape(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
import http.cookiejar, sys
j = http.cookiejar.MozillaCookieJar(sys.argv[1])
j.load(ignore_discard=True, ignore_expires=True)
for c in sorted(j, key=lambda c: c.name):
    http_only = c.has_nonstandard_attr("HTTPOnly")
    print("\t".join([c.name, c.value, c.domain, c.path, str(c.secure), str(c.domain_specified), str(http_only), str(c.expires or 0)]))
`
	out, err := exec.Command(python, "-c", script, file).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 MozillaCookieJar.load: %v\n%s", err, out)
	}
	var want []string
	all := jar.All()
	slices.SortFunc(all, func(a, b Cookie) int { return strings.Compare(a.Name, b.Name) })
	for _, c := range all {
		domain := c.Domain
		if !c.HostOnly {
			domain = "." + domain
		}
		var exp int64
		if !c.Expires.IsZero() {
			exp = c.Expires.Unix()
		}
		want = append(want, strings.Join([]string{c.Name, c.Value, domain, c.Path,
			pyBool(c.Secure), pyBool(!c.HostOnly), pyBool(c.HttpOnly), fmt.Sprint(exp)}, "\t"))
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cookies Python loaded (-want +got):\n%s", diff)
	}
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// FuzzReadNetscape checks that no input makes the import panic or fail,
// and that what was imported survives an export and a re-import. Seeds are
// in testdata/fuzz/FuzzReadNetscape.
func FuzzReadNetscape(f *testing.F) {
	f.Add([]byte("# Netscape HTTP Cookie File\n.example.com\tTRUE\t/\tFALSE\t1767452645\ta\tb\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		clock := newPSClock()
		jar := newJar(nil, clock.Now)
		n, err := jar.ReadNetscape(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("ReadNetscape error: %v", err)
		}
		if lines := bytes.Count(data, []byte("\n")) + 1; n > lines {
			t.Fatalf("ReadNetscape = %d cookies from %d lines", n, lines)
		}
		var buf bytes.Buffer
		if err := jar.WriteNetscape(&buf); err != nil {
			t.Fatal(err)
		}
		// Cookies with a TAB or line break in a field can't be exported.
		var exportable []Cookie
		for _, c := range jar.All() {
			if !strings.ContainsAny(c.Name+c.Value+c.Domain+c.Path, "\t\r\n") {
				exportable = append(exportable, c)
			}
		}
		jar2 := newJar(nil, clock.Now)
		n2, err := jar2.ReadNetscape(bytes.NewReader(buf.Bytes()))
		if err != nil || n2 != len(exportable) {
			t.Fatalf("re-import of the export = %d, %v, want %d cookies\n%s", n2, err, len(exportable), buf.Bytes())
		}
		key := func(cs []Cookie) []string {
			var out []string
			for _, c := range cs {
				out = append(out, fmt.Sprintf("%q %q %q %q %v %v %v %d", c.Name, c.Value, c.Domain, c.Path,
					c.HostOnly, c.Secure, c.HttpOnly, c.Expires.Unix()))
			}
			return out
		}
		if diff := cmp.Diff(key(exportable), key(jar2.All())); diff != "" {
			t.Fatalf("export and re-import changed cookies (-want +got):\n%s", diff)
		}
	})
}
