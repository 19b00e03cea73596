package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/termtext"
)

// runCookies runs the cookies subcommands: their flags (cookiesFlags), the
// checks every one of them shares, then the subcommand itself.
func runCookies(ctx context.Context, e *env, args []string) error {
	if err := subcommandOf(e, "cookies", args); err != nil {
		return err
	}
	sub, args := args[0], args[1:]
	if sub == "browsers" {
		return listBrowsers(e, args)
	}
	fs := newFlagSet(e, "cookies "+sub, "cookies "+sub+" --session FILE [flags]")
	session := sessionFlag(fs, e, "to read and update")
	var f cookiesFlags
	if err := f.define(fs, sub); err != nil {
		return err
	}
	domain, path, name, format, output := f.domain, f.path, f.name, f.format, f.output
	fromBrowser, originsFrom := f.fromBrowser, f.originsFrom
	asJSON, showValues := f.asJSON, f.showValues
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := f.check(fs, sub); err != nil {
		return err
	}
	if *session == "" {
		return errNoSession
	}
	if sub == "import" && (*fromBrowser != "" || *format != "netscape") {
		return importInto(ctx, e, *session, importSource{
			browser: *fromBrowser, profile: *f.profile, profileDir: *f.profileDir, userDataDir: *f.userDataDir,
			domain: *domain, format: *format, files: pos,
		})
	}
	if sub == "import" {
		if len(pos) != 1 {
			return usagef("import wants one cookies.txt file (or - for standard input)")
		}
	} else if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if sub == "list" || sub == "export" {
		if err := mustExist(*session); err != nil {
			return err
		}
	}

	c, _, err := openClient(e, *session, false)
	if err != nil {
		return err
	}
	defer c.Close()
	jar := c.Jar()

	switch sub {
	case "list":
		return listCookies(e.stdout, filterDomain(jar.All(), *domain), *asJSON, *showValues)
	case "import":
		return importNetscapeFile(e, c, *session, pos[0])
	case "export":
		return exportCookies(e, jar, *format, *output, *originsFrom)
	case "rm":
		if *domain == "" || *name == "" {
			return usagef("rm needs --domain and --name")
		}
		return removeCookie(e, c, *session, *domain, *path, *name)
	case "clear":
		n := len(jar.All())
		jar.Clear()
		if err := c.Save(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "removed %s from %s\n", plural(n, "cookie"), *session)
	}
	return nil
}

func filterDomain(all []httpsession.Cookie, domain string) []httpsession.Cookie {
	if domain == "" {
		return all
	}
	domain = strings.ToLower(strings.TrimPrefix(domain, "."))
	var out []httpsession.Cookie
	for _, c := range all {
		if c.Domain == domain || strings.HasSuffix(c.Domain, "."+domain) {
			out = append(out, c)
		}
	}
	return out
}

// cookieRecord is the CLI's JSON view of a cookie.
type cookieRecord struct {
	Name        string    `json:"name"`
	Value       string    `json:"value"`
	Domain      string    `json:"domain"`
	Path        string    `json:"path"`
	HostOnly    bool      `json:"host_only,omitempty"`
	Secure      bool      `json:"secure,omitempty"`
	HttpOnly    bool      `json:"http_only,omitempty"`
	SameSite    string    `json:"same_site,omitempty"`
	Partitioned bool      `json:"partitioned,omitempty"`
	Expires     time.Time `json:"expires,omitzero"`
}

func cookieRecords(all []httpsession.Cookie, showValues bool) []cookieRecord {
	out := make([]cookieRecord, 0, len(all))
	for _, c := range all {
		v := c.Value
		if !showValues {
			v = mask(v)
		}
		out = append(out, cookieRecord{
			Name: c.Name, Value: v, Domain: c.Domain, Path: c.Path, HostOnly: c.HostOnly,
			Secure: c.Secure, HttpOnly: c.HttpOnly, SameSite: sameSiteName(c), Partitioned: c.Partitioned,
			Expires: c.Expires,
		})
	}
	return out
}

func sameSiteName(c httpsession.Cookie) string {
	switch c.SameSite {
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}

// mask hides a cookie value: its length only.
func mask(v string) string {
	if v == "" {
		return ""
	}
	return fmt.Sprintf("<%d bytes>", len(v))
}

func listCookies(w io.Writer, all []httpsession.Cookie, asJSON, showValues bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // "<1 bytes>", not "\u003c1 bytes\u003e"
		enc.SetIndent("", "  ")
		return enc.Encode(cookieRecords(all, showValues))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tPATH\tNAME\tVALUE\tFLAGS\tEXPIRES")
	for _, r := range cookieRecords(all, showValues) {
		domain := r.Domain
		if !r.HostOnly {
			domain = "." + domain
		}
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{{r.Secure, "Secure"}, {r.HttpOnly, "HttpOnly"}, {r.Partitioned, "Partitioned"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		if r.SameSite != "" {
			flags = append(flags, "SameSite="+r.SameSite)
		}
		exp := "session"
		if !r.Expires.IsZero() {
			exp = r.Expires.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", domain, r.Path, r.Name, r.Value, strings.Join(flags, ","), exp)
	}
	return tw.Flush()
}

// plural returns "1 cookie", "2 cookies".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// reportImport tells what a cookies.txt import kept, skipped, rejected
// and evicted, line by line; an import that kept nothing is an error.
// With --drop-session-cookies, the session cookies it kept are not saved,
// so they are told as skipped, not imported.
func reportImport(e *env, session string, rep importReport) error {
	var b strings.Builder
	imported := rep.Kept
	if e.sess != nil && e.sess.drop {
		imported -= rep.Session
	}
	fmt.Fprintf(&b, "imported %d", imported)
	if imported < rep.Kept {
		fmt.Fprintf(&b, ", skipped %d (session cookies, not saved with --drop-session-cookies)", rep.Session)
	}
	if len(rep.Rejected) > 0 {
		fmt.Fprintf(&b, ", rejected %d: ", len(rep.Rejected))
		for i, r := range rep.Rejected {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(r.Error())
		}
	}
	if rep.Kept == 0 {
		return fmt.Errorf("%s: no cookie imported; %s left as it was", b.String(), session)
	}
	fmt.Fprintf(e.stderr, "%s; into %s\n", b.String(), session)
	for _, l := range rep.Counts {
		fmt.Fprintln(e.stderr, termtext.Escape(l))
	}
	return nil
}

// removeCookie removes the cookie name of domain at path; without a path,
// the one cookie of that name and domain, or it lists the paths there are.
func removeCookie(e *env, c *httpsession.Client, session, domain, path, name string) error {
	domain = strings.ToLower(strings.TrimPrefix(domain, "."))
	var paths []string
	for _, ck := range c.Jar().All() {
		if ck.Name == name && ck.Domain == domain && !slices.Contains(paths, ck.Path) {
			paths = append(paths, ck.Path)
		}
	}
	switch {
	case len(paths) == 0:
		return fmt.Errorf("no cookie %q for domain %s", name, domain)
	case path == "" && len(paths) > 1:
		return fmt.Errorf("cookie %q for domain %s exists at paths %s: pass --path", name, domain, strings.Join(paths, ", "))
	case path == "":
		path = paths[0]
	case !slices.Contains(paths, path):
		return fmt.Errorf("no cookie %q for domain %s at path %s; it exists at %s", name, domain, path, strings.Join(paths, ", "))
	}
	n := 0
	for c.Jar().Remove(domain, path, name) {
		n++ // a host-only and a domain cookie may share name, domain and path
	}
	if err := c.Save(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "removed %s from %s\n", plural(n, "cookie"), session)
	return nil
}

// cookiesFlags are the flags of the cookies subcommands; each defines
// those it takes, the others stay nil.
type cookiesFlags struct {
	domain, path, name, format, output *string
	fromBrowser, profile, originsFrom  *string
	profileDir, userDataDir            *string
	asJSON, showValues                 *bool
}

// define adds the flags of subcommand sub to fs.
func (f *cookiesFlags) define(fs *flag.FlagSet, sub string) error {
	switch sub {
	case "list":
		f.domain = fs.String("domain", "", "only cookies for this `domain` and its subdomains")
		f.asJSON = fs.Bool("json", false, "print JSON")
		f.showValues = fs.Bool("show-values", false, "print cookie values instead of masking them")
	case "import":
		f.format = fs.String("format", "netscape", "netscape (cookies.txt) or storage-state (Playwright's storageState)")
		f.fromBrowser = fs.String("from-browser", "", "import from a browser's profile: firefox, chromium, chrome, edge or brave")
		f.profile = fs.String("profile", "", "with --from-browser: the profile's `name` or directory name (default: the browser's default)")
		f.profileDir = fs.String("profile-dir", "", "with --from-browser: the profile `directory` itself (a Playwright persistent context, a --user-data-dir profile: for Chromium the directory holding Cookies, such as …/Default)")
		f.userDataDir = fs.String("user-data-dir", "", "with --from-browser: look for the profile in this `directory` (Chromium's user-data directory, Firefox's directory of profiles.ini) instead of the usual places")
		f.domain = fs.String("domain", "", "with --from-browser: a host (www.example.com) imports the cookies the browser would send to it, .example.com ones included; a registrable `domain` (example.com) imports it and all its subdomains")
	case "export":
		f.format = fs.String("format", "netscape", "netscape (cookies.txt, as curl writes it), json or storage-state (Playwright's storageState)")
		f.output = fs.String("o", "", "write to `file` instead of standard output")
		f.originsFrom = fs.String("origins-from", "", "with storage-state: export the origins (localStorage) of this storageState `file` instead of those the session keeps")
	case "rm":
		f.domain = fs.String("domain", "", "the cookie's `domain` (required)")
		f.path = fs.String("path", "", "the cookie's `path` (needed when the name exists at several paths)")
		f.name = fs.String("name", "", "the cookie's `name` (required)")
	case "clear":
	default:
		return usagef("unknown subcommand %q: want list, import, export, rm or clear", sub)
	}
	return nil
}

// check refuses flags that would do nothing with the others given: the
// browser's flags without --from-browser, --origins-from without
// --format storage-state.
func (f *cookiesFlags) check(fs *flag.FlagSet, sub string) error {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	switch {
	case sub == "import" && *f.fromBrowser == "":
		for _, n := range []string{"profile", "profile-dir", "user-data-dir", "domain"} {
			if set[n] {
				return usagef("--%s goes with --from-browser", n)
			}
		}
	case sub == "import" && set["profile"] && set["profile-dir"]:
		return usagef("give --profile or --profile-dir, not both")
	case sub == "export" && set["origins-from"] && *f.format != "storage-state":
		return usagef("--origins-from goes with --format storage-state")
	}
	return nil
}

// importNetscapeFile adds the cookies of a cookies.txt file ("-": standard
// input) to the session and reports what it kept and refused.
func importNetscapeFile(e *env, c *httpsession.Client, session, file string) error {
	var r io.Reader = e.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	rep, err := importNetscape(c.Jar(), r)
	if err != nil {
		return err
	}
	if err := c.Save(); err != nil {
		return err
	}
	return reportImport(e, session, rep)
}

// exportCookies writes the jar's cookies in format to output ("" or "-":
// standard output). An export holds every cookie value: readable by the
// owner only, like the session file.
func exportCookies(e *env, jar *httpsession.Jar, format, output, originsFrom string) error {
	out, closeOut, err := openOutput(e, output, 0o600)
	if err != nil {
		return err
	}
	switch format {
	case "netscape":
		err = jar.WriteNetscape(out)
	case "json":
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err = enc.Encode(cookieRecords(jar.All(), true))
	case "storage-state":
		err = writeStorageState(out, jar, originsFrom)
	default:
		err = usagef("unknown --format %q: want netscape, json or storage-state", format)
	}
	if cerr := closeOut(err == nil); err == nil {
		err = cerr
	}
	return err
}
