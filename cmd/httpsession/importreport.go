package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/httpsession/httpsession"
	"golang.org/x/net/publicsuffix"
)

// The jar's limits as the commands open it (httpsession.JarOptions'
// defaults, Chromium's): an import past them evicts cookies right away.
const (
	jarPerSiteLimit = 180
	jarTotalLimit   = 3000
)

// cookieKey is a cookie's identity: two cookies with one key are one.
type cookieKey struct {
	name, domain, path string
	hostOnly           bool
}

func keyOf(c httpsession.Cookie) cookieKey {
	return cookieKey{c.Name, strings.ToLower(strings.TrimPrefix(c.Domain, ".")), cmp.Or(c.Path, "/"), c.HostOnly}
}

// siteOf is the registrable domain (eTLD+1) a cookie's limit counts in.
func siteOf(domain string) string {
	if s, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		return s
	}
	return domain
}

// importCounts counts the cookies an import stored (a cookie given twice
// is one) and still holds, and returns the lines that tell of the
// cookies given more than once and of those the jar evicted at once,
// with the limit that evicted them: the per-site limit when the site is
// at it, else the jar's total.
func importCounts(jar *httpsession.Jar, imported []httpsession.Cookie, refused []*httpsession.CookieError) (int, []string) {
	held := map[cookieKey]bool{}
	perSite := map[string]int{}
	for _, c := range jar.All() {
		held[keyOf(c)] = true
		perSite[siteOf(c.Domain)]++
	}
	rejected := map[[2]string]bool{}
	for _, ce := range refused {
		rejected[[2]string{ce.Name, strings.ToLower(ce.Domain)}] = true
	}
	seen := map[cookieKey]bool{}
	evicted := map[string]int{}
	kept, twice := 0, 0
	for _, c := range imported {
		k := keyOf(c)
		if rejected[[2]string{k.name, k.domain}] {
			continue
		}
		if seen[k] {
			twice++
			continue
		}
		seen[k] = true
		if held[k] {
			kept++
		} else {
			evicted[siteOf(k.domain)]++
		}
	}
	var lines []string
	if twice > 0 {
		lines = append(lines, fmt.Sprintf("%s given more than once, counted once", plural(twice, "cookie")))
	}
	total := 0
	for _, site := range slices.Sorted(maps.Keys(evicted)) {
		if perSite[site] >= jarPerSiteLimit {
			lines = append(lines, fmt.Sprintf("evicted %s of %s: the jar keeps at most %d cookies per site (the least recently used go first)",
				plural(evicted[site], "cookie"), site, jarPerSiteLimit))
			continue
		}
		total += evicted[site]
	}
	if total > 0 {
		lines = append(lines, fmt.Sprintf("evicted %s: the jar keeps at most %d cookies in all (the least recently used go first)", plural(total, "cookie"), jarTotalLimit))
	}
	return kept, lines
}
