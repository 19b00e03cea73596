package browsercookies

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/httpsession/httpsession"
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
	// Domain keeps only cookies for this domain and its subdomains; ""
	// keeps all.
	Domain string
	// SafeStoragePassword is the Chromium-family "Safe Storage" password
	// that protects the cookies on Linux and macOS; "" means ask the Secret
	// Service (Linux) or the Keychain (macOS) when a cookie needs it. Set
	// it for KWallet, whose password `kwallet-query -r "Chromium Safe
	// Storage" -f "Chromium Keys" kdewallet` prints.
	SafeStoragePassword string
}

// Report says what Read found and what became of it.
type Report struct {
	Profile Profile
	Found   int // cookies found in the profile, before any filter
	// Filtered counts the cookies Options.Domain left out.
	Filtered int
	// Skipped groups the cookies that could not be read, by reason.
	Skipped []Skip
	// Notes says what else the reader noticed, such as a Firefox profile
	// without a session store, whose session cookies are then unknown.
	Notes []string
	// Kept and Rejected are what the jar did with the cookies, filled in
	// by Import: how many it stored, and for each one it refused, the
	// name, domain and reason (never the value).
	Kept     int
	Rejected []httpsession.CookieError
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
			if j, found := slices.BinarySearch(k.Domains, domain); !found {
				k.Domains = slices.Insert(k.Domains, j, domain)
			}
			return
		}
	}
	*s = append(*s, Skip{Reason: reason, Count: 1, Domains: []string{domain}})
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
	r := &Report{Profile: p}
	var sk skips
	var cookies []httpsession.Cookie
	if o.Browser == Firefox {
		cookies, err = readFirefox(p.Dir, r, &sk)
	} else {
		cookies, err = readChromium(ctx, o, p.Dir, &sk)
	}
	if err != nil {
		return nil, nil, err
	}
	r.Skipped = sk
	r.Found = len(cookies)
	for _, k := range sk {
		r.Found += k.Count
	}
	if o.Domain != "" {
		d := strings.ToLower(strings.TrimPrefix(o.Domain, "."))
		cookies = slices.DeleteFunc(cookies, func(c httpsession.Cookie) bool {
			cd := strings.ToLower(c.Domain)
			if cd == d || strings.HasSuffix(cd, "."+d) {
				return false
			}
			r.Filtered++
			return true
		})
	}
	return cookies, r, nil
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
	for _, c := range cookies {
		var ce *httpsession.CookieError
		if err := jar.Add(c); errors.As(err, &ce) {
			r.Rejected = append(r.Rejected, *ce)
		} else {
			r.Kept++
		}
	}
	return r, nil
}

// Profiles lists the profiles of browser b found in dir, or in the
// platform's usual places when dir is "". A browser that is not installed
// has no profiles and no error.
func Profiles(b Browser, dir string) ([]Profile, error) {
	if !b.valid() {
		return nil, fmt.Errorf("%w %q", ErrUnknownBrowser, b)
	}
	dirs := []string{dir}
	if dir == "" {
		dirs = userDataDirs(b)
	}
	var out []Profile
	for _, d := range dirs {
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
	for _, p := range ps {
		if o.Profile == "" && p.Default || o.Profile != "" && (p.ID == o.Profile || p.Name == o.Profile) {
			return p, nil
		}
	}
	if o.Profile == "" && len(ps) > 0 {
		return ps[0], nil
	}
	if o.Profile == "" {
		return Profile{}, fmt.Errorf("%w: no %s profile", ErrNoProfile, o.Browser)
	}
	return Profile{}, fmt.Errorf("%w: no %s profile %q", ErrNoProfile, o.Browser, o.Profile)
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
