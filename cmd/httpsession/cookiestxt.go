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
	Kept int // cookies stored
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
	_, err := netscape.Scan(r, func(line int, rec netscape.Record, bad string) bool {
		name, domain := rec.Name, rec.Domain
		if bad == "" {
			err := jar.Add(httpsession.Cookie{Name: rec.Name, Value: rec.Value, Domain: rec.Domain, Path: rec.Path,
				HostOnly: rec.HostOnly, Secure: rec.Secure, HttpOnly: rec.HttpOnly, Expires: rec.Expires})
			var ce *httpsession.CookieError
			if !errors.As(err, &ce) {
				rep.Kept++
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
	return rep, nil
}
