package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/httpsession/httpsession"
)

func runCookies(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: list, import, export, rm, clear or browsers")
	}
	sub, args := args[0], args[1:]
	if sub == "browsers" {
		return listBrowsers(e, args)
	}
	fs := newFlagSet(e, "cookies "+sub, "cookies "+sub+" --session FILE [flags]")
	session := sessionFlag(fs, e, "to read and update")
	var domain, path, name, format, output *string
	var fromBrowser, profile, originsFrom *string
	var asJSON, showValues *bool
	switch sub {
	case "list":
		domain = fs.String("domain", "", "only cookies for this `domain` and its subdomains")
		asJSON = fs.Bool("json", false, "print JSON")
		showValues = fs.Bool("show-values", false, "print cookie values instead of masking them")
	case "import":
		format = fs.String("format", "netscape", "netscape (cookies.txt) or storage-state (Playwright's storageState)")
		fromBrowser = fs.String("from-browser", "", "import from a browser's profile: firefox, chromium, chrome, edge or brave")
		profile = fs.String("profile", "", "with --from-browser: the profile's `name` or directory name (default: the browser's default)")
		domain = fs.String("domain", "", "with --from-browser: only cookies for this `domain` and its subdomains")
	case "export":
		format = fs.String("format", "netscape", "netscape (cookies.txt, as curl writes it), json or storage-state (Playwright's storageState)")
		output = fs.String("o", "", "write to `file` instead of standard output")
		originsFrom = fs.String("origins-from", "", "with storage-state: copy the origins (localStorage) of this storageState `file`")
	case "rm":
		domain = fs.String("domain", "", "the cookie's `domain` (required)")
		path = fs.String("path", "/", "the cookie's `path`")
		name = fs.String("name", "", "the cookie's `name` (required)")
	case "clear":
	default:
		return usagef("unknown subcommand %q: want list, import, export, rm or clear", sub)
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *session == "" {
		return errNoSession
	}
	if sub == "import" && (*fromBrowser != "" || *format != "netscape") {
		return importInto(ctx, e, *session, importSource{
			browser: *fromBrowser, profile: *profile, domain: *domain, format: *format, files: pos,
		})
	}
	if sub == "import" {
		if len(pos) != 1 {
			return usagef("import wants one cookies.txt file (or - for standard input)")
		}
	} else if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}

	c, err := openClient(e, *session, false)
	if err != nil {
		return err
	}
	defer c.Close()
	jar := c.Jar()

	switch sub {
	case "list":
		return listCookies(e.stdout, filterDomain(jar.All(), *domain), *asJSON, *showValues)
	case "import":
		var r io.Reader = e.stdin
		if pos[0] != "-" {
			f, err := os.Open(pos[0])
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		n, err := jar.ReadNetscape(r)
		if err != nil {
			return err
		}
		if err := c.Save(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "imported %d cookies into %s\n", n, *session)
		return nil
	case "export":
		// An export holds every cookie value: readable by the owner only,
		// like the session file.
		out, closeOut, err := openOutput(e, *output, 0o600)
		if err != nil {
			return err
		}
		switch *format {
		case "netscape":
			err = jar.WriteNetscape(out)
		case "json":
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			err = enc.Encode(cookieRecords(jar.All(), true))
		case "storage-state":
			err = writeStorageState(out, jar, *originsFrom)
		default:
			err = usagef("unknown --format %q: want netscape, json or storage-state", *format)
		}
		if cerr := closeOut(err == nil); err == nil {
			err = cerr
		}
		return err
	case "rm":
		if *domain == "" || *name == "" {
			return usagef("rm needs --domain and --name")
		}
		if !jar.Remove(*domain, *path, *name) {
			return fmt.Errorf("no cookie %q for domain %s and path %s", *name, *domain, *path)
		}
		return c.Save()
	case "clear":
		n := jar.Len()
		jar.Clear()
		if err := c.Save(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "removed %d cookies from %s\n", n, *session)
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
