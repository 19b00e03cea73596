package bench

import (
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"time"
)

// cookieJar is what every jar under test implements: http.CookieJar.
type cookieJar = http.CookieJar

// site is one registrable domain with the cookies it sets.
type site struct {
	url     *url.URL
	cookies []*http.Cookie
}

// typicalCookies returns n cookies as a site sets them: names of 5 to 12
// bytes, 32-byte values, path "/", an expiry 30 days out, half of them
// domain cookies and half host-only, mixed Secure, HttpOnly and SameSite.
// The attributes are the same for every run, so every jar stores the same
// records.
func typicalCookies(domain string, n int, now time.Time) []*http.Cookie {
	cs := make([]*http.Cookie, n)
	for i := range cs {
		c := &http.Cookie{
			Name:     fmt.Sprintf("ck%d_%x", i, i*7919%4096),
			Value:    fmt.Sprintf("%032x", uint64(i)*0x9e3779b97f4a7c15),
			Path:     "/",
			Expires:  now.Add(30 * 24 * time.Hour).Truncate(time.Second),
			Secure:   i%2 == 0,
			HttpOnly: i%3 == 0,
			SameSite: http.SameSiteLaxMode,
		}
		if i%2 == 1 {
			c.Domain = domain
		}
		cs[i] = c
	}
	return cs
}

// sites returns d registrable domains with perSite cookies each, served
// from https://www.siteNNNNN.com/.
func sites(d, perSite int, now time.Time) []site {
	ss := make([]site, d)
	for i := range ss {
		domain := fmt.Sprintf("site%05d.com", i)
		ss[i] = site{
			url:     &url.URL{Scheme: "https", Host: "www." + domain, Path: "/"},
			cookies: typicalCookies(domain, perSite, now),
		}
	}
	return ss
}

func fill(j cookieJar, ss []site) {
	for _, s := range ss {
		j.SetCookies(s.url, s.cookies)
	}
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
