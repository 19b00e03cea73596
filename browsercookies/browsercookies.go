package browsercookies

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/httpsession/httpsession"
	"golang.org/x/net/publicsuffix"
)

// Browser names a browser whose profiles can be read.
type Browser string

// The browsers this package reads. Firefox forks that keep its profile
// layout can be read through [Options.ProfileDir] with Firefox.
const (
	Firefox  Browser = "firefox"
	Chromium Browser = "chromium"
	Chrome   Browser = "chrome"
	Edge     Browser = "edge"
	Brave    Browser = "brave"
)

// Browsers lists the browsers this package reads, in the order the CLI
// shows them.
func Browsers() []Browser { return []Browser{Firefox, Chromium, Chrome, Edge, Brave} }

func (b Browser) valid() bool { return slices.Contains(Browsers(), b) }

// ErrUnknownBrowser matches the error for a Browser this package does not
// know.
var ErrUnknownBrowser = errors.New("browsercookies: unknown browser")

// ErrNoProfile matches the error when the browser, or the profile asked
// for, is not found.
var ErrNoProfile = errors.New("browsercookies: profile not found")

// ErrNoKey matches the error when the key that decrypts a Chromium
// profile's cookies cannot be had (no Secret Service, a locked keyring, a
// refused Keychain prompt).
var ErrNoKey = errors.New("browsercookies: no decryption key")

// Profile is a browser profile found on this machine.
type Profile struct {
	Browser Browser
	// Name is the profile's name as the browser shows it ("default-release",
	// "Person 1"); ID is what --profile and Options.Profile also accept:
	// Firefox's directory name, Chromium's profile directory ("Default",
	// "Profile 1").
	Name, ID string
	Dir      string // the profile directory
	Default  bool   // the profile the browser starts with
}

// Options says which cookies Read takes.
type Options struct {
	Browser Browser
	// Profile is a profile's Name or ID; "" means the browser's default
	// profile.
	Profile string
	// ProfileDir reads the profile in this directory instead of looking
	// for one; for a Chromium-family browser, the user-data directory's
	// profile directory ("…/chromium/Default"), whose parent holds "Local
	// State".
	ProfileDir string
	// UserDataDir is where the browser keeps its profiles (Firefox's
	// directory of profiles.ini, Chromium's user-data directory); "" means
	// the platform's usual places.
	UserDataDir string
	// Domain keeps only some cookies; "" keeps all. A registrable domain
	// ("example.com", one label above its public suffix) keeps the
	// cookies of that domain and all its subdomains. A host below it
	// ("www.example.com") keeps the cookies a browser would send to that
	// host: its host-only cookies and the domain cookies of it and of
	// every domain above it (".example.com" ones included), not those of
	// its siblings or subdomains.
	Domain string
	// SafeStoragePassword is the Chromium-family "Safe Storage" password
	// that protects the cookies on Linux and macOS; "" means ask the Secret
	// Service (Linux) or the Keychain (macOS) when a cookie needs it. Set
	// it for KWallet, whose password `kwallet-query -r "Chromium Safe
	// Storage" -f "Chromium Keys" kdewallet` prints.
	SafeStoragePassword string
}

// Report says what Read found and what became of it. Its counts add up:
// Found is the number of cookies Read returned plus Filtered plus the
// Skipped counts, and with Import, the cookies Read returned are Kept,
// Rejected or Evicted.
type Report struct {
	Profile Profile
	// Found counts the cookies found in the profile, before any filter;
	// a cookie held twice (in two files, or on two rows) is one.
	Found int
	// Sources lists the files read, in order, with the cookies each
	// holds.
	Sources []Source
	// Filtered counts the cookies Options.Domain left out.
	Filtered int
	// Skipped groups the cookies that could not be read, by reason.
	Skipped []Skip
	// Notes says what else the reader noticed, such as a Firefox profile
	// without a session store, whose session cookies are then unknown.
	Notes []string
	// Running names the lock file that shows a browser has the profile
	// open ("" if none): its newest cookies may not be on disk yet, and a
	// note says so.
	Running string
	// Kept and Rejected are what the jar did with the cookies, filled in
	// by Import: how many it stored, and for each one it refused, the
	// name, domain and reason (never the value).
	Kept     int
	Rejected []httpsession.CookieError
	// Evicted counts the cookies the jar stored and then evicted before
	// the import ended, by its limits (httpsession.JarOptions'
	// MaxCookiesPerDomain and MaxCookies): a profile can hold more cookies
	// than a jar keeps.
	Evicted int
}

// Source is a file of the profile that Read took cookies from.
type Source struct {
	Path string
	// Cookies counts the cookies the file holds: the rows of a cookie
	// database's table (as SQLite counts them), the cookies of a session
	// store.
	Cookies int
	// New counts those of them no file read before held, each once:
	// Chromium keeps a row for each scheme and port a cookie was set
	// from, and Firefox's session store can repeat cookies.sqlite. The
	// New counts add up to Found.
	New int
}

// Skip is a group of cookies skipped for one reason.
type Skip struct {
	Reason  string
	Count   int
	Domains []string // sorted, without repeats
}

// skips gathers Skip groups in the order reasons first appear.
type skips []Skip

func (s *skips) add(reason, domain string) {
	domain = strings.TrimPrefix(domain, ".")
	for i := range *s {
		k := &(*s)[i]
		if k.Reason == reason {
			k.Count++
			if j, found := slices.BinarySearch(k.Domains, domain); !found && domain != "" {
				k.Domains = slices.Insert(k.Domains, j, domain)
			}
			return
		}
	}
	k := Skip{Reason: reason, Count: 1}
	if domain != "" {
		k.Domains = []string{domain}
	}
	*s = append(*s, k)
}

// Read returns the cookies of a browser profile, decrypted, with a report
// of what it found and skipped. It reads copies of the profile's files and
// never writes to the browser's. The cookies are secrets: treat them as
// the session file would.
func Read(ctx context.Context, o Options) ([]httpsession.Cookie, *Report, error) {
	if !o.Browser.valid() {
		return nil, nil, fmt.Errorf("%w %q", ErrUnknownBrowser, o.Browser)
	}
	p, err := findProfile(o)
	if err != nil {
		return nil, nil, err
	}
	r := &Report{Profile: p, Running: runningLock(o.Browser, p.Dir)}
	if r.Running != "" {
		r.Notes = append(r.Notes, runningNote(o.Browser, r.Running))
	}
	var recs []record
	if o.Browser == Firefox {
		recs, err = readFirefox(p.Dir, r)
	} else {
		recs, err = readChromium(ctx, o, p.Dir, r)
	}
	if err != nil && r.Running != "" {
		// A browser that has just made the profile may not have
		// written its files yet.
		return nil, nil, fmt.Errorf("%w; %s", err, runningNote(o.Browser, r.Running))
	}
	if err != nil {
		return nil, nil, err
	}
	cookies := settle(recs, r)
	if o.Domain != "" {
		keep := domainFilter(o.Domain)
		cookies = slices.DeleteFunc(cookies, func(c httpsession.Cookie) bool {
			if keep(c) {
				return false
			}
			r.Filtered++
			return true
		})
	}
	return cookies, r, nil
}

// domainFilter is the test of Options.Domain: for a registrable domain
// (or a public suffix or IP address) the cookies of it and its
// subdomains, for a host below a registrable domain the cookies sent to
// it (RFC 6265 §5.1.3 domain-match, host-only cookies of the host alone).
func domainFilter(domain string) func(httpsession.Cookie) bool {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(domain, "."), "."))
	within := func(cd string) bool { return cd == d || strings.HasSuffix(cd, "."+d) }
	site, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil || site == d || net.ParseIP(d) != nil {
		return func(c httpsession.Cookie) bool { return within(strings.ToLower(c.Domain)) }
	}
	return func(c httpsession.Cookie) bool {
		cd := strings.ToLower(c.Domain)
		if c.HostOnly {
			return cd == d
		}
		return cd == d || strings.HasSuffix(d, "."+cd)
	}
}

// Import reads a browser profile's cookies as [Read] does and adds them to
// jar through [httpsession.Jar.Add], one by one and in order, so the jar's
// rules apply and a later cookie with the same name, domain, path and
// host-only flag replaces an earlier one; the
// report says what it kept and what it refused and why. For a Client, pass
// c.Jar() and save the session afterwards.
func Import(ctx context.Context, jar *httpsession.Jar, o Options) (*Report, error) {
	cookies, r, err := Read(ctx, o)
	if err != nil {
		return nil, err
	}
	addAll(jar, cookies, r)
	return r, nil
}

// addAll adds cookies to jar, filling in r's Kept, Rejected and Evicted:
// a cookie given twice (one name, domain, path and host-only flag) is one
// cookie, and one the jar stored but no longer holds when all are added
// was evicted by its limits.
func addAll(jar *httpsession.Jar, cookies []httpsession.Cookie, r *Report) {
	type key struct {
		name, domain, path string
		hostOnly           bool
	}
	keyOf := func(c httpsession.Cookie) key {
		return key{c.Name, strings.ToLower(strings.TrimPrefix(c.Domain, ".")), cmp.Or(c.Path, "/"), c.HostOnly}
	}
	stored := make(map[key]bool, len(cookies))
	for _, c := range cookies {
		var ce *httpsession.CookieError
		if err := jar.Add(c); errors.As(err, &ce) {
			r.Rejected = append(r.Rejected, *ce)
			continue
		}
		stored[keyOf(c)] = true
	}
	for _, c := range jar.All() {
		if k := keyOf(c); stored[k] {
			delete(stored, k)
			r.Kept++
		}
	}
	r.Evicted = len(stored)
}

// UserDataDirs returns where Profiles and Read look for browser b's
// profiles: dir when it is not "", else the platform's usual places
// (which need not exist).
func UserDataDirs(b Browser, dir string) []string {
	if dir != "" {
		return []string{dir}
	}
	return userDataDirs(b)
}

// Profiles lists the profiles of browser b found in dir, or in the
// platform's usual places when dir is "". A browser that is not installed
// has no profiles and no error.
func Profiles(b Browser, dir string) ([]Profile, error) {
	if !b.valid() {
		return nil, fmt.Errorf("%w %q", ErrUnknownBrowser, b)
	}
	var out []Profile
	for _, d := range UserDataDirs(b, dir) {
		var ps []Profile
		var err error
		if b == Firefox {
			ps, err = firefoxProfiles(d)
		} else {
			ps, err = chromiumProfiles(b, d)
		}
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

func findProfile(o Options) (Profile, error) {
	if o.ProfileDir != "" {
		if _, err := os.Stat(o.ProfileDir); err != nil {
			return Profile{}, fmt.Errorf("%w: %w", ErrNoProfile, err)
		}
		base := filepath.Base(o.ProfileDir)
		return Profile{Browser: o.Browser, Name: base, ID: base, Dir: o.ProfileDir}, nil
	}
	ps, err := Profiles(o.Browser, o.UserDataDir)
	if err != nil {
		return Profile{}, err
	}
	looked := "looked in " + strings.Join(UserDataDirs(o.Browser, o.UserDataDir), ", ")
	for _, p := range ps {
		if o.Profile == "" && p.Default || o.Profile != "" && (p.ID == o.Profile || p.Name == o.Profile) {
			return p, nil
		}
	}
	if o.Profile == "" && len(ps) > 0 {
		return ps[0], nil
	}
	if o.Profile == "" {
		return Profile{}, fmt.Errorf("%w: no %s profile (%s)", ErrNoProfile, o.Browser, looked)
	}
	return Profile{}, fmt.Errorf("%w: no %s profile %q (%s)", ErrNoProfile, o.Browser, o.Profile, looked)
}

// browserCookie builds a Cookie from the columns Firefox and Chromium share:
// a leading dot on host marks a domain cookie, and sameSite is 0 (None),
// 1 (Lax), 2 (Strict) or anything else for unspecified.
func browserCookie(name, value, host, path string, secure, httpOnly bool, sameSite int64) httpsession.Cookie {
	c := httpsession.Cookie{
		Name: name, Value: value,
		Domain: strings.TrimPrefix(host, "."), HostOnly: !strings.HasPrefix(host, "."),
		Path: path, Secure: secure, HttpOnly: httpOnly,
	}
	switch sameSite {
	case 0:
		c.SameSite = http.SameSiteNoneMode
	case 1:
		c.SameSite = http.SameSiteLaxMode
	case 2:
		c.SameSite = http.SameSiteStrictMode
	}
	return c
}
