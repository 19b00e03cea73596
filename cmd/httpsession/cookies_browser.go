package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/browsercookies"
	"github.com/httpsession/httpsession/internal/termtext"
)

// importSource is where "cookies import" takes cookies from other than a
// cookies.txt file: a browser profile or a storageState file.
type importSource struct {
	browser, profile, domain string
	format                   string
	files                    []string
}

// importInto imports from a browser profile or a storageState file into the
// session file and reports on stderr what was kept, rejected and skipped.
// Session cookies are kept in the session file (as always): a browser's
// login is often one.
func importInto(ctx context.Context, e *env, session string, src importSource) error {
	var cookies []httpsession.Cookie
	var br *browsercookies.Report
	var origins int
	switch {
	case src.browser != "":
		if src.format != "netscape" || len(src.files) > 0 {
			return usagef("--from-browser takes no file and no --format")
		}
		var err error
		cookies, br, err = browsercookies.Read(ctx, browsercookies.Options{
			Browser: browsercookies.Browser(strings.ToLower(src.browser)), Profile: src.profile, Domain: src.domain,
		})
		if err != nil {
			return err
		}
	case src.format == "storage-state":
		if len(src.files) != 1 {
			return usagef("import --format storage-state wants one file (or - for standard input)")
		}
		s, err := readStorageStateFile(e, src.files[0])
		if err != nil {
			return err
		}
		cookies = s.JarCookies()
		origins = countOrigins(s)
	default:
		return usagef("unknown --format %q: want netscape or storage-state", src.format)
	}

	c, _, err := openClient(e, session, false)
	if err != nil {
		return err
	}
	defer c.Close()
	kept := 0
	var rejected []*httpsession.CookieError
	for _, ck := range cookies {
		var ce *httpsession.CookieError
		if err := c.Jar().Add(ck); errors.As(err, &ce) {
			rejected = append(rejected, ce)
		} else {
			kept++
		}
	}
	from := "the storageState file"
	if br != nil {
		from = fmt.Sprintf("%s profile %q", br.Profile.Browser, br.Profile.Name)
	}
	if kept == 0 {
		// As for a cookies.txt file: nothing kept is an error, and
		// the session file is left as it was.
		reportLeftOut(e, rejected, br, src.domain, origins)
		return fmt.Errorf("no cookie imported from %s; %s left as it was", from, session)
	}
	if err := c.Save(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "imported %s from %s into %s\n", plural(kept, "cookie"), from, session)
	reportLeftOut(e, rejected, br, src.domain, origins)
	return nil
}

// reportLeftOut tells on stderr what an import from a browser profile or
// a storageState file rejected, skipped and could not carry over.
func reportLeftOut(e *env, rejected []*httpsession.CookieError, br *browsercookies.Report, domain string, origins int) {
	for _, ce := range rejected {
		fmt.Fprintf(e.stderr, "rejected %q for %s: %s\n", ce.Name, termtext.Escape(ce.Domain), termtext.Escape(ce.Reason))
	}
	if br != nil {
		if br.Filtered > 0 {
			fmt.Fprintf(e.stderr, "left out %s not for %s\n", plural(br.Filtered, "cookie"), domain)
		}
		for _, sk := range br.Skipped {
			fmt.Fprintf(e.stderr, "skipped %s: %s: %s\n", plural(sk.Count, "cookie"), termtext.Escape(sk.Reason), termtext.Escape(strings.Join(sk.Domains, ", ")))
		}
		for _, n := range br.Notes {
			fmt.Fprintf(e.stderr, "note: %s\n", termtext.Escape(n))
		}
	}
	if origins > 0 {
		fmt.Fprintf(e.stderr, "note: the session file keeps cookies only; the localStorage of %s was not stored: "+
			"export with --origins-from FILE to carry them over\n", plural(origins, "origin"))
	}
}

func readStorageStateFile(e *env, path string) (*httpsession.StorageState, error) {
	var r io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return httpsession.ReadStorageState(r)
}

// countOrigins counts the origins of s without decoding what they hold.
func countOrigins(s *httpsession.StorageState) int {
	var origins []json.RawMessage
	if json.Unmarshal(s.Origins, &origins) != nil {
		return 0
	}
	return len(origins)
}

// writeStorageState writes the jar as a storageState document, with the
// origins of the storageState file originsFrom if one is named.
func writeStorageState(w io.Writer, jar *httpsession.Jar, originsFrom string) error {
	s := jar.StorageState()
	if originsFrom != "" {
		f, err := os.Open(originsFrom)
		if err != nil {
			return err
		}
		defer f.Close()
		src, err := httpsession.ReadStorageState(f)
		if err != nil {
			return err
		}
		s.Origins = src.Origins
	}
	return s.Write(w)
}

// listBrowsers prints the browser profiles found on this machine.
func listBrowsers(e *env, args []string) error {
	fs := newFlagSet(e, "cookies browsers", "cookies browsers")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BROWSER\tPROFILE\tNAME\tDEFAULT\tDIRECTORY")
	for _, b := range browsercookies.Browsers() {
		ps, err := browsercookies.Profiles(b, "")
		if err != nil {
			fmt.Fprintf(e.stderr, "httpsession cookies browsers: %v\n", err)
			continue
		}
		for _, p := range ps {
			def := ""
			if p.Default {
				def = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Browser, p.ID, p.Name, def, p.Dir)
		}
	}
	return tw.Flush()
}
