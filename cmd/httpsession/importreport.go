package main

import (
	"cmp"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/browsercookies"
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

// importTally is what became of the cookies an import gave the jar.
type importTally struct {
	kept    int // stored and still held; a cookie given twice is one
	twice   int // given again after an earlier copy
	evicted int // stored, then evicted by the jar's limits
	// lines tell of the cookies given twice and of those the jar
	// evicted, the session's own included, with the limit that evicted
	// them.
	lines []string
}

// importCounts counts the cookies an import stored (a cookie given twice
// is one) and still holds, those given more than once, and those the jar
// evicted at once, with the limit that evicted them: the per-site limit
// when the site is at it, else the jar's total. before is what the jar
// held before the import: a cookie of it that the import evicted is told
// too. The cookies the jar refused are left out: whether the jar refuses
// a cookie depends on the cookie alone, so an empty jar of the same rules
// tells which they were (a *CookieError names no path, and a refused
// cookie may share its name and domain with a kept one).
func importCounts(jar *httpsession.Jar, before, imported []httpsession.Cookie) importTally {
	held := map[cookieKey]bool{}
	perSite := map[string]int{}
	for _, c := range jar.All() {
		held[keyOf(c)] = true
		perSite[siteOf(c.Domain)]++
	}
	judge := httpsession.NewJar(nil)
	seen := map[cookieKey]bool{}
	evicted := map[string]int{}
	var t importTally
	for _, c := range imported {
		k := keyOf(c)
		if judge.Add(c) != nil {
			continue
		}
		if seen[k] {
			t.twice++
			continue
		}
		seen[k] = true
		if held[k] {
			t.kept++
		} else {
			t.evicted++
			evicted[siteOf(k.domain)]++
		}
	}
	own := map[string]int{}
	for _, c := range before {
		if k := keyOf(c); !seen[k] && !held[k] {
			own[siteOf(k.domain)]++
		}
	}
	if t.twice > 0 {
		t.lines = append(t.lines, fmt.Sprintf("%s given more than once, counted once", plural(t.twice, "cookie")))
	}
	t.lines = append(t.lines, evictionLines(evicted, perSite, "")...)
	t.lines = append(t.lines, evictionLines(own, perSite, " the session held before")...)
	return t
}

// evictionLines tells of the cookies evicted, by site, with the limit
// that evicted them.
func evictionLines(evicted, perSite map[string]int, whose string) []string {
	var lines []string
	total := 0
	for _, site := range slices.Sorted(maps.Keys(evicted)) {
		if perSite[site] >= jarPerSiteLimit {
			lines = append(lines, fmt.Sprintf("evicted %s%s of %s: the jar keeps at most %d cookies per site (the least recently used go first)",
				plural(evicted[site], "cookie"), whose, site, jarPerSiteLimit))
			continue
		}
		total += evicted[site]
	}
	if total > 0 {
		lines = append(lines, fmt.Sprintf("evicted %s%s: the jar keeps at most %d cookies in all (the least recently used go first)",
			plural(total, "cookie"), whose, jarTotalLimit))
	}
	return lines
}

// profileLines tell what an import found in a browser profile, file by
// file (a cookie two files or two rows hold counted once), and, when it
// imported fewer, where the others went: the numbers add up to what it
// found.
func profileLines(br *browsercookies.Report, t importTally, rejected int, domain string) []string {
	if br.Found == 0 {
		return nil
	}
	var files []string
	for _, s := range br.Sources {
		name := s.Path
		if rel, err := filepath.Rel(br.Profile.Dir, s.Path); err == nil && filepath.IsLocal(rel) {
			name = rel
		}
		f := fmt.Sprintf("%d in %s", s.Cookies, name)
		if copies := s.Cookies - s.New; copies > 0 {
			f += fmt.Sprintf(" (%d of them %s)", copies, pickPlural(copies, "a copy of a cookie counted already", "copies of cookies counted already"))
		}
		files = append(files, f)
	}
	lines := []string{fmt.Sprintf("found %s in the profile: %s", plural(br.Found, "cookie"), strings.Join(files, ", "))}
	if t.kept >= br.Found {
		return lines
	}
	skipped := 0
	for _, s := range br.Skipped {
		skipped += s.Count
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{
		{br.Filtered, "not for " + domain}, {skipped, "skipped"}, {rejected, "rejected"},
		{t.evicted, "evicted"}, {t.twice, "given twice"},
	} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return append(lines, fmt.Sprintf("imported %d of the %d: %s", t.kept, br.Found, strings.Join(parts, ", ")))
}

// pickPlural returns one for n = 1, else many.
func pickPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
