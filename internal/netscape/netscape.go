// Package netscape reads the Netscape cookies.txt format, as curl, wget,
// yt-dlp, Python's http.cookiejar.MozillaCookieJar and browser extensions
// write it: one cookie per line, seven TAB-separated fields
//
//	domain  include-subdomains  path  secure  expiry  name  value
//
// where a domain cookie's domain has a leading dot and TRUE in the second
// field, a host-only cookie neither, the booleans are TRUE or FALSE, and
// the expiry is in Unix seconds, 0 for a session cookie. A line that starts
// with "#HttpOnly_" is an HttpOnly cookie; other lines that start with "#"
// are comments. The core package's Jar.ReadNetscape reads with it, and the
// command-line tool reports line by line what an import kept.
package netscape

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// HttpOnlyPrefix starts the line of an HttpOnly cookie.
const HttpOnlyPrefix = "#HttpOnly_"

// A Record is the cookie of one line. Domain has no leading dot.
type Record struct {
	Domain                     string
	HostOnly, Secure, HttpOnly bool
	Path                       string
	Expires                    time.Time // zero for a session cookie
	Name, Value                string
}

// maxLine bounds the length of one cookies.txt line. A cookie's name
// and value are at most 4096 bytes, its domain and path 1024 each; longer
// lines are skipped without being held in memory.
const maxLine = 16 << 10

// Scan reads cookies.txt lines from r and calls visit for each
// line that is neither blank nor a comment, with its number and either a
// well-formed cookie (bad "") or why the line is malformed. visit reports
// whether it stored the cookie; Scan returns how many it stored.
// Only a read error ends scanning early.
func Scan(r io.Reader, visit func(line int, rec Record, bad string) bool) (int, error) {
	imported, n := 0, 0
	br := bufio.NewReaderSize(r, maxLine)
	first := true
	for {
		line, err := br.ReadSlice('\n')
		n++
		if errors.Is(err, bufio.ErrBufferFull) {
			// Too long: skip the rest of the line.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			visit(n, Record{}, "line too long")
			if err == io.EOF {
				return imported, nil
			}
			if err != nil {
				return imported, err
			}
			continue
		}
		if len(line) > 0 {
			if first {
				line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // a BOM
				first = false
			}
			if c, ok := ParseLine(line); ok {
				if visit(n, c, "") {
					imported++
				}
			} else if !isBlankOrComment(line) {
				visit(n, Record{}, "malformed")
			}
		}
		if err == io.EOF {
			return imported, nil
		}
		if err != nil {
			return imported, err
		}
	}
}

// isBlankOrComment reports whether a line that holds no cookie was meant
// to hold none.
func isBlankOrComment(b []byte) bool {
	line := strings.TrimSpace(string(b))
	return line == "" || line[0] == '#' && !strings.HasPrefix(strings.ToLower(line), strings.ToLower(HttpOnlyPrefix))
}

// ParseLine parses one line; ok is false for a line that holds no
// cookie: empty, white space, a comment, or malformed.
func ParseLine(b []byte) (c Record, ok bool) {
	line := strings.TrimRight(string(b), "\r\n")
	line = strings.TrimLeft(line, " ")
	if len(line) >= len(HttpOnlyPrefix) && strings.EqualFold(line[:len(HttpOnlyPrefix)], HttpOnlyPrefix) {
		c.HttpOnly = true
		line = line[len(HttpOnlyPrefix):]
	} else if strings.TrimSpace(line) == "" || line[0] == '#' {
		return c, false
	}
	fields := strings.Split(line, "\t")
	if len(fields) < 6 && !strings.Contains(line, "\t") {
		// Some hand-made files use spaces; values have none then.
		fields = strings.Fields(line)
	}
	if len(fields) < 6 {
		return c, false
	}
	domain := strings.TrimSpace(fields[0])
	c.Domain = strings.TrimPrefix(domain, ".")
	if c.Domain == "" {
		return c, false
	}
	// A domain cookie has a leading dot and TRUE; exporters that get one
	// of them wrong still mean a domain cookie.
	c.HostOnly = !strings.HasPrefix(domain, ".") && !isTrue(fields[1])
	c.Path = strings.TrimSpace(fields[2])
	if c.Path == "" {
		c.Path = "/"
	}
	c.Secure = isTrue(fields[3])
	exp, ok := parseExpiry(fields[4])
	if !ok {
		return c, false
	}
	c.Expires = exp
	c.Name = fields[5]
	if len(fields) > 6 {
		// Only six fields: an empty value (curl). More than seven: the
		// value holds TABs, which the jar refuses.
		c.Value = strings.Join(fields[6:], "\t")
	}
	return c, true
}

func isTrue(s string) bool {
	return strings.EqualFold(strings.TrimSpace(s), "TRUE")
}

// parseExpiry parses Unix seconds; empty, zero or negative is a session
// cookie. Fractions (from browser exports) are cut.
func parseExpiry(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(f) {
			return time.Time{}, false
		}
		switch {
		case f >= math.MaxInt64:
			n = math.MaxInt64
		case f <= 0:
			n = 0
		default:
			n = int64(f)
		}
	}
	if n <= 0 {
		return time.Time{}, true
	}
	// Keep far-future expiries representable; the jar caps them anyway.
	const maxSeconds = 1 << 40
	return time.Unix(min(n, maxSeconds), 0), true
}
