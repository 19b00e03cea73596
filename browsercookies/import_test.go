package browsercookies

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/httpsession/httpsession"
)

// TestDomainFilter: a host keeps the cookies sent to it, a registrable
// domain those of it and its subdomains.
func TestDomainFilter(t *testing.T) {
	cookies := []httpsession.Cookie{
		{Name: "www-host", Domain: "www.example.com", HostOnly: true},
		{Name: "apex-host", Domain: "example.com", HostOnly: true},
		{Name: "apex-domain", Domain: "example.com"},
		{Name: "www-domain", Domain: "www.example.com"},
		{Name: "api-host", Domain: "api.example.com", HostOnly: true},
		{Name: "deeper-domain", Domain: "a.www.example.com"},
		{Name: "elsewhere", Domain: "example.org"},
	}
	tests := []struct {
		domain string
		want   []string
	}{
		{"www.example.com", []string{"www-host", "apex-domain", "www-domain"}},
		{"WWW.Example.com.", []string{"www-host", "apex-domain", "www-domain"}},
		{"example.com", []string{"www-host", "apex-host", "apex-domain", "www-domain", "api-host", "deeper-domain"}},
		{".example.com", []string{"www-host", "apex-host", "apex-domain", "www-domain", "api-host", "deeper-domain"}},
		{"a.www.example.com", []string{"apex-domain", "www-domain", "deeper-domain"}},
		{"example.org", []string{"elsewhere"}},
	}
	for _, tt := range tests {
		keep := domainFilter(tt.domain)
		var got []string
		for _, c := range cookies {
			if keep(c) {
				got = append(got, c.Name)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Domain %q keeps %q, want %q", tt.domain, got, tt.want)
		}
	}
}

// TestRunningLock: a browser's lock on the profile is reported, a stale
// one (its process gone) and none at all are not.
func TestRunningLock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlink locks are for Linux and macOS")
	}
	host, _ := os.Hostname()
	alive := strconv.Itoa(os.Getpid())
	tests := []struct {
		name    string
		browser Browser
		lock    string // relative to the user-data directory
		target  string
		want    bool
	}{
		{"chromium running", Chromium, "SingletonLock", host + "-" + alive, true},
		{"chromium gone", Chromium, "SingletonLock", host + "-" + strconv.Itoa(1<<22+1), false},
		{"firefox running", Firefox, "Default/lock", "127.0.1.1:+" + alive, true},
		{"no lock", Chromium, "", "", false},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		profile := filepath.Join(dir, "Default")
		if err := os.Mkdir(profile, 0o700); err != nil {
			t.Fatal(err)
		}
		if tt.lock != "" {
			if err := os.Symlink(tt.target, filepath.Join(dir, tt.lock)); err != nil {
				t.Fatal(err)
			}
		}
		if got := runningLock(tt.browser, profile) != ""; got != tt.want {
			t.Errorf("%s: running = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestImportCountsCookiesOnce: a cookie read twice is one cookie kept.
func TestImportCountsCookiesOnce(t *testing.T) {
	jar := httpsession.NewJar(nil)
	r := &Report{}
	addAll(jar, []httpsession.Cookie{
		{Name: "sid", Value: "1", Domain: "example.com", Path: "/", HostOnly: true},
		{Name: "sid", Value: "2", Domain: "example.com", Path: "/", HostOnly: true},
		{Name: "sid", Value: "3", Domain: ".example.com", Path: "/"},
	}, r)
	if r.Kept != 2 || len(jar.All()) != 2 {
		t.Errorf("Kept %d, jar holds %d; want 2 and 2", r.Kept, len(jar.All()))
	}
}
