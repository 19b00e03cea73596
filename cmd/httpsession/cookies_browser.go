package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/browsercookies"
	"github.com/httpsession/httpsession/internal/termtext"
	"github.com/httpsession/httpsession/storagestate"
)

// importSource is where "cookies import" takes cookies from other than a
// cookies.txt file: a browser profile or a storageState file.
type importSource struct {
	browser, profile, domain string
	profileDir, userDataDir  string
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
	var state *storagestate.State
	switch {
	case src.browser != "":
		if src.format != "netscape" || len(src.files) > 0 {
			return usagef("--from-browser takes no file and no --format")
		}
		var err error
		cookies, br, err = browsercookies.Read(ctx, browsercookies.Options{
			Browser: browsercookies.Browser(strings.ToLower(src.browser)), Profile: src.profile, Domain: src.domain,
			ProfileDir: src.profileDir, UserDataDir: src.userDataDir,
		})
		if err != nil {
			return err
		}
	case src.format == "storage-state":
		if len(src.files) != 1 {
			return usagef("import --format storage-state wants one file (or - for standard input)")
		}
		var err error
		if state, err = readStorageStateFile(e, src.files[0]); err != nil {
			return err
		}
	default:
		return usagef("unknown --format %q: want netscape or storage-state", src.format)
	}

	c, _, err := openClient(e, session, false)
	if err != nil {
		return err
	}
	defer c.Close()
	var rejected []*httpsession.CookieError
	before := c.Jar().All()
	if state != nil {
		// Cookies and origins (localStorage) both: the export gives them back.
		if rejected, err = storagestate.Import(c.Jar(), state); err != nil {
			return err
		}
		cookies = state.JarCookies()
	} else {
		for _, ck := range cookies {
			var ce *httpsession.CookieError
			if err := c.Jar().Add(ck); errors.As(err, &ce) {
				rejected = append(rejected, ce)
			}
		}
	}
	from := "the storageState file"
	if br != nil {
		from = fmt.Sprintf("%s profile %q", br.Profile.Browser, br.Profile.Name)
	}
	tally := importCounts(c.Jar(), before, cookies)
	kept := tally.kept
	origins := countOrigins(state)
	if kept == 0 && origins == 0 {
		// As for a cookies.txt file: nothing kept is an error, and
		// the session file is left as it was.
		reportLeftOut(e, rejected, tally, br, src.domain)
		return fmt.Errorf("no cookie imported from %s; %s left as it was", from, session)
	}
	if err := c.Save(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "imported %s from %s into %s\n", plural(kept, "cookie"), from, session)
	if origins > 0 {
		fmt.Fprintf(e.stderr, "kept the localStorage of %s in %s (cookies export --format storage-state gives it back)\n", plural(origins, "origin"), session)
	}
	reportLeftOut(e, rejected, tally, br, src.domain)
	return nil
}

// reportLeftOut tells on stderr what an import from a browser profile or
// a storageState file rejected, counted once, evicted and skipped.
func reportLeftOut(e *env, rejected []*httpsession.CookieError, tally importTally, br *browsercookies.Report, domain string) {
	if br != nil {
		for _, l := range profileLines(br, tally, len(rejected), domain) {
			fmt.Fprintln(e.stderr, termtext.Escape(l))
		}
	}
	for _, ce := range rejected {
		fmt.Fprintf(e.stderr, "rejected %q for %s: %s\n", ce.Name, termtext.Escape(ce.Domain), termtext.Escape(ce.Reason))
	}
	for _, l := range tally.lines {
		fmt.Fprintln(e.stderr, termtext.Escape(l))
	}
	if br != nil {
		if br.Found == 0 {
			fmt.Fprintf(e.stderr, "the profile in %s holds no cookie\n", termtext.Escape(br.Profile.Dir))
		}
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
}

func readStorageStateFile(e *env, path string) (*storagestate.State, error) {
	var r io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return storagestate.Read(r)
}

// countOrigins counts the origins of s without decoding what they hold.
func countOrigins(s *storagestate.State) int {
	var origins []json.RawMessage
	if s == nil || json.Unmarshal(s.Origins, &origins) != nil {
		return 0
	}
	return len(origins)
}

// writeStorageState writes the jar as a storageState document, with the
// origins the session keeps, or those of the storageState file
// originsFrom if one is named.
func writeStorageState(w io.Writer, jar *httpsession.Jar, originsFrom string) error {
	s := storagestate.FromJar(jar)
	if originsFrom != "" {
		f, err := os.Open(originsFrom)
		if err != nil {
			return err
		}
		defer f.Close()
		src, err := storagestate.Read(f)
		if err != nil {
			return err
		}
		s.Origins = src.Origins
	}
	return s.Write(w)
}

// listBrowsers prints the browser profiles found on this machine, or in
// --user-data-dir, and where it looked when it found none.
func listBrowsers(e *env, args []string) error {
	fs := newFlagSet(e, "cookies browsers", "cookies browsers [--browser B] [--user-data-dir DIR]")
	only := fs.String("browser", "", "list only this browser's profiles: firefox, chromium, chrome, edge or brave")
	dir := fs.String("user-data-dir", "", "look in this `directory` (Chromium's user-data directory, Firefox's directory of profiles.ini) instead of the usual places")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	browsers := browsercookies.Browsers()
	switch {
	case *only != "":
		b := browsercookies.Browser(strings.ToLower(*only))
		if !slices.Contains(browsers, b) {
			return usagef("unknown --browser %q: want firefox, chromium, chrome, edge or brave", *only)
		}
		browsers = []browsercookies.Browser{b}
	case *dir != "":
		// One directory has one layout: Firefox's, or the Chromium
		// family's, which Chromium stands for (--browser names another).
		browsers = []browsercookies.Browser{browsercookies.Firefox, browsercookies.Chromium}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BROWSER\tPROFILE\tNAME\tDEFAULT\tDIRECTORY")
	var looked []string
	found := 0
	for _, b := range browsers {
		looked = append(looked, browsercookies.UserDataDirs(b, *dir)...)
		ps, err := browsercookies.Profiles(b, *dir)
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
			found++
		}
	}
	if found == 0 {
		slices.Sort(looked)
		fmt.Fprintf(e.stderr, "no browser profile found; looked in:\n  %s\n"+
			"A profile elsewhere (Playwright's persistent context, --user-data-dir): cookies browsers --user-data-dir DIR, "+
			"or cookies import --from-browser B --profile-dir DIR\n", strings.Join(slices.Compact(looked), "\n  "))
		return nil
	}
	return tw.Flush()
}
