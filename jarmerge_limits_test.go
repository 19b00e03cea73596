package httpsession

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// siteCookies returns sites × perSite cookies on site0.example,
// site1.example, …, each accessed at a time of its own: the later the
// site and then the cookie, the more recently.
func siteCookies(sites, perSite int) []Cookie {
	out := make([]Cookie, 0, sites*perSite)
	for s := range sites {
		for i := range perSite {
			at := tNow.Add(-time.Hour).Add(time.Duration(s*perSite+i) * time.Millisecond)
			out = append(out, Cookie{Name: fmt.Sprintf("c%04d", i), Value: "v", Domain: fmt.Sprintf("site%d.example", s),
				Path: "/", HostOnly: true, Expires: tNow.Add(24 * time.Hour), Created: tNow.Add(-2 * time.Hour),
				LastAccess: at, Updated: at})
		}
	}
	return out
}

// limitedByRule returns the identities the jar's rule keeps of cookies,
// all live: the perSite most recently accessed of each site, and of those
// the keep most recently accessed.
func limitedByRule(cookies []Cookie, perSite, keep int) []string {
	bySite := make(map[string][]Cookie)
	for _, c := range cookies {
		bySite[c.Domain] = append(bySite[c.Domain], c)
	}
	var kept []Cookie
	for _, cs := range bySite {
		slices.SortFunc(cs, func(a, b Cookie) int { return b.LastAccess.Compare(a.LastAccess) })
		kept = append(kept, cs[:min(len(cs), perSite)]...)
	}
	slices.SortFunc(kept, func(a, b Cookie) int { return b.LastAccess.Compare(a.LastAccess) })
	return cookieKeys(kept[:min(len(kept), keep)])
}

func cookieKeys(cs []Cookie) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Domain + " " + c.Name
	}
	slices.Sort(out)
	return out
}

func perSiteMax(cs []Cookie) int {
	n := make(map[string]int)
	for _, c := range cs {
		n[c.Domain]++
	}
	m := 0
	for _, v := range n {
		m = max(m, v)
	}
	return m
}

// TestLoadAppliesLimitsLikeSetting: a session file holding more cookies
// than a jar's limits allow is cut down by the rule Set-Cookie follows —
// per site, then in total, least recently accessed first, a tenth below
// MaxCookies — and not to the few sites that happen to be trimmed last.
func TestLoadAppliesLimitsLikeSetting(t *testing.T) {
	tests := []struct {
		sites, perSite     int
		maxPerSite, maxAll int // 0: the defaults
	}{
		{sites: 40, perSite: 300},
		{sites: 400, perSite: 20},
		{sites: 10, perSite: 30, maxPerSite: 8, maxAll: 50},
		{sites: 3, perSite: 10, maxPerSite: 8, maxAll: 50}, // only the per-site limit
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d sites × %d", tt.sites, tt.perSite), func(t *testing.T) {
			opts := &JarOptions{MaxCookiesPerDomain: tt.maxPerSite, MaxCookies: tt.maxAll}
			perSite, maxAll := cmp.Or(tt.maxPerSite, defaultMaxCookiesPerDomain), cmp.Or(tt.maxAll, defaultMaxCookies)
			cookies := siteCookies(tt.sites, tt.perSite)
			st := &bytesStore{data: (&sessionDoc{cookies: slices.Clone(cookies)}).encode(nil)}
			jar, _ := newTestJar(opts)
			if _, err := LoadSession(st, jar); err != nil {
				t.Fatal(err)
			}
			all := jar.All()
			keep := maxAll - maxAll/10
			if tt.sites*min(tt.perSite, perSite) <= maxAll {
				keep = maxAll
			}
			if got, want := cookieKeys(all), limitedByRule(cookies, perSite, keep); !slices.Equal(got, want) {
				t.Errorf("after loading %d cookies the jar holds %d (%d per site at most), want %d (%d per site at most)",
					len(cookies), len(got), perSiteMax(all), len(want), min(tt.perSite, perSite))
			}

			// Setting the same cookies keeps as many, within a batch.
			set, _ := newTestJar(opts)
			for s := range tt.sites {
				u := &url.URL{Scheme: "https", Host: fmt.Sprintf("site%d.example", s), Path: "/"}
				lines := make([]string, tt.perSite)
				for i := range lines {
					lines[i] = fmt.Sprintf("c%04d=v; Max-Age=86400", i)
				}
				set.SetCookieHeaders(u, lines)
			}
			if n, m := len(all), set.live(); n < m-maxAll/10 || n > m+maxAll/10 {
				t.Errorf("loading keeps %d cookies, setting them %d", n, m)
			}
			t.Logf("loaded: %d cookies on %d sites; set: %d", len(all), len(siteSet(all)), set.live())
		})
	}
}

func siteSet(cs []Cookie) map[string]bool {
	m := make(map[string]bool)
	for _, c := range cs {
		m[strings.ToLower(c.Domain)] = true
	}
	return m
}
