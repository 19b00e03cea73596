package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/netscape"
)

// A cookies.txt import, reported line by line: the library reads the same
// format (Jar.ReadNetscape) and skips what it can't keep; "cookies import"
// says which lines those were and why.

// importReport is what importNetscape did with a cookies.txt file.
type importReport struct {
	Kept int // cookies stored and still held; a cookie on two lines is one
	// Session counts the session cookies among those kept.
	Session int
	// Counts tell of the cookies given twice and of those the jar's
	// limits evicted, with the limit.
	Counts []string
	// Rejected lists, in file order, the lines that held no usable cookie:
	// malformed ones and cookies the jar refused. Comments and blank lines
	// are not listed.
	Rejected []lineError
}

// A lineError is a cookies.txt line that yielded no cookie. It names the
// cookie (when the line was well formed), never its value.
type lineError struct {
	Line         int    // 1-based
	Name, Domain string // "" for a malformed line
	Reason       string // "malformed", "line too long", or the jar's reason (a CookieError's)
}

func (e lineError) Error() string {
	if e.Name == "" && e.Domain == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: cookie %q for %s: %s", e.Line, e.Name, e.Domain, e.Reason)
}

// importNetscape adds the cookies of the cookies.txt file r to jar through
// Jar.Add, so the jar's rules apply, and reports what it kept and refused.
func importNetscape(jar *httpsession.Jar, r io.Reader) (importReport, error) {
	var rep importReport
	before := jar.All()
	var added []httpsession.Cookie
	_, err := netscape.Scan(r, func(line int, rec netscape.Record, bad string) bool {
		name, domain := rec.Name, rec.Domain
		if bad == "" {
			c := httpsession.Cookie{Name: rec.Name, Value: rec.Value, Domain: rec.Domain, Path: rec.Path,
				HostOnly: rec.HostOnly, Secure: rec.Secure, HttpOnly: rec.HttpOnly, Expires: rec.Expires}
			err := jar.Add(c)
			var ce *httpsession.CookieError
			if !errors.As(err, &ce) {
				added = append(added, c)
				return true
			}
			domain, bad = ce.Domain, ce.Reason
		}
		rep.Rejected = append(rep.Rejected, lineError{Line: line, Name: name, Domain: domain, Reason: bad})
		return false
	})
	if err != nil {
		return rep, fmt.Errorf("read cookies.txt: %w", err)
	}
	// A cookie on two lines is one cookie; one the jar's limits evicted
	// is not kept, and is told with the limit.
	t := importCounts(jar, before, added)
	rep.Kept, rep.Counts = t.kept, t.lines
	held := map[cookieKey]bool{}
	for _, c := range jar.All() {
		if c.Expires.IsZero() {
			held[keyOf(c)] = true
		}
	}
	for _, c := range added {
		if k := keyOf(c); held[k] {
			delete(held, k)
			rep.Session++
		}
	}
	return rep, nil
}
