package httpsession

import (
	"bytes"
	"errors"
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
		ok, blank  bool
	}{
		{"curl domain cookie", ".example.com\tTRUE\t/\tFALSE\t1767366245\tsid\tabc\n",
			Cookie{Name: "sid", Value: "abc", Domain: "example.com", Path: "/", Expires: exp}, true, false},
		{"curl host-only", "example.com\tFALSE\t/app\tTRUE\t0\tsid\tabc\n",
			Cookie{Name: "sid", Value: "abc", Domain: "example.com", Path: "/app", HostOnly: true, Secure: true}, true, false},
		{"HttpOnly", "#HttpOnly_.example.com\tTRUE\t/\tTRUE\t1767366245\tsid\tabc\n",
			Cookie{Name: "sid", Value: "abc", Domain: "example.com", Path: "/", Secure: true, HttpOnly: true, Expires: exp}, true, false},
		{"CRLF", "example.com\tFALSE\t/\tFALSE\t1767366245\ta\tb\r\n",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true, Expires: exp}, true, false},
		{"dot but FALSE", ".example.com\tFALSE\t/\tFALSE\t0\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/"}, true, false},
		{"TRUE without dot", "example.com\tTRUE\t/\tFALSE\t0\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/"}, true, false},
		{"lower-case flags", "example.com\tfalse\t/\ttrue\t0\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true, Secure: true}, true, false},
		{"empty expiry (yt-dlp, Python)", "example.com\tFALSE\t/\tFALSE\t\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true}, true, false},
		{"negative expiry", "example.com\tFALSE\t/\tFALSE\t-1\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true}, true, false},
		{"fractional expiry (browser export)", "example.com\tFALSE\t/\tFALSE\t1767366245.75\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true, Expires: exp}, true, false},
		{"empty value, six fields (curl)", "example.com\tFALSE\t/\tFALSE\t0\ta",
			Cookie{Name: "a", Domain: "example.com", Path: "/", HostOnly: true}, true, false},
		{"empty value, trailing TAB", "example.com\tFALSE\t/\tFALSE\t0\ta\t\n",
			Cookie{Name: "a", Domain: "example.com", Path: "/", HostOnly: true}, true, false},
		{"no name (Python)", "example.com\tFALSE\t/\tFALSE\t0\t\tflag",
			Cookie{Value: "flag", Domain: "example.com", Path: "/", HostOnly: true}, true, false},
		{"spaces instead of TABs", "example.com FALSE / FALSE 0 a b",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true}, true, false},
		{"empty path", "example.com\tFALSE\t\tFALSE\t0\ta\tb",
			Cookie{Name: "a", Value: "b", Domain: "example.com", Path: "/", HostOnly: true}, true, false},
		{"value with spaces", "example.com\tFALSE\t/\tFALSE\t0\ta\tb c",
			Cookie{Name: "a", Value: "b c", Domain: "example.com", Path: "/", HostOnly: true}, true, false},

		{"empty line", "\n", Cookie{}, false, true},
		{"blank line", " \t \r\n", Cookie{}, false, true},
		{"comment", "# Netscape HTTP Cookie File\n", Cookie{}, false, true},

		{"too few fields", "example.com\tFALSE\t/\tFALSE\n", Cookie{}, false, false},
		{"bad expiry", "example.com\tFALSE\t/\tFALSE\tsoon\ta\tb", Cookie{}, false, false},
		{"NaN expiry", "example.com\tFALSE\t/\tFALSE\tNaN\ta\tb", Cookie{}, false, false},
		{"empty domain", "\tFALSE\t/\tFALSE\t0\ta\tb", Cookie{}, false, false},
		{"only a dot", ".\tTRUE\t/\tFALSE\t0\ta\tb", Cookie{}, false, false},
		{"garbage", "<html><body>not a cookie file</body></html>", Cookie{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, blank := parseNetscapeLine([]byte(tt.line))
			if ok != tt.ok || blank != tt.blank {
				t.Fatalf("parseNetscapeLine(%q) ok, blank = %v, %v, want %v, %v", tt.line, ok, blank, tt.ok, tt.blank)
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

func TestParseNetscapeCounts(t *testing.T) {
	in := "\xef\xbb\xbf# Netscape HTTP Cookie File\r\n" +
		"\r\n" +
		".example.com\tTRUE\t/\tFALSE\t0\tok1\tv\r\n" +
		"broken line\r\n" +
		"example.com\tFALSE\t/\tFALSE\t0\treject\tv\r\n" +
		"example.com\tFALSE\t/\tFALSE\t0\tlong\t" + strings.Repeat("x", 2*maxNetscapeLine) + "\n" +
		"#HttpOnly_example.com\tFALSE\t/\tFALSE\t0\tok2\tv" // no final newline
	var names []string
	st, err := parseNetscape(strings.NewReader(in), func(c Cookie) bool {
		names = append(names, c.Name)
		return c.Name != "reject"
	})
	if err != nil {
		t.Fatalf("parseNetscape error: %v", err)
	}
	want := netscapeStats{imported: 2, skipped: 2, rejected: 1}
	if st != want {
		t.Errorf("parseNetscape stats = %+v, want %+v", st, want)
	}
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
	st, err := parseNetscape(&buf, func(c Cookie) bool { got = append(got, c); return true })
	if err != nil || st.skipped != 0 {
		t.Fatalf("parseNetscape(writeNetscape(…)) = %+v, %v", st, err)
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
