package httpsession

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Storing the cookies of a response (RFC 6265bis §5.7, "storage model"):
// which Set-Cookie lines the jar accepts, with what domain, path and
// expiry, and which cookie each one replaces. setcookie.go parses the
// lines.

// SetCookies implements http.CookieJar: it stores cookies received in a
// response from u. Cookies that RFC 6265bis says to ignore are ignored;
// so are all but the first max(3000, MaxCookiesPerDomain) cookies.
func (j *Jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.setCookies(u, cookies, j.now())
}

// setCookies is SetCookies at time now.
func (j *Jar) setCookies(u *url.URL, cookies []*http.Cookie, now time.Time) {
	if len(cookies) == 0 {
		return
	}
	t, ok := targetOf(u)
	if !ok {
		return
	}
	cookies = cookies[:min(len(cookies), j.perResponse())]

	j.mu.Lock()
	defer j.mu.Unlock()
	o := j.sourceOf(&t)
	changed := false
	for _, c := range cookies {
		if c == nil {
			continue
		}
		rc := fromHTTPCookie(c)
		changed = j.store(&o, &rc, now) || changed
	}
	if changed {
		j.gen.Add(1)
	}
}

// SetCookieHeaders stores the cookies of raw Set-Cookie header values
// received in a response from u, parsed leniently as browsers do
// (RFC 6265bis §5.6), which keeps cookies that net/http's stricter parser
// drops. Lines beyond the first max(3000, MaxCookiesPerDomain) are
// ignored.
func (j *Jar) SetCookieHeaders(u *url.URL, lines []string) {
	j.setCookieHeaders(u, lines, j.now())
}

// setCookieHeaders is SetCookieHeaders at time now.
func (j *Jar) setCookieHeaders(u *url.URL, lines []string, now time.Time) {
	if len(lines) == 0 {
		return
	}
	if t, ok := targetOf(u); ok {
		j.storeLines(&t, lines, now)
	}
}

// storeLines stores the cookies of Set-Cookie lines from t at time now.
func (j *Jar) storeLines(t *target, lines []string, now time.Time) {
	if len(lines) == 0 {
		return
	}
	lines = lines[:min(len(lines), j.perResponse())]
	// A response mostly sets one or two cookies: parse those into an
	// array on the stack.
	var small [2]rawCookie
	parsed := small[:0]
	if len(lines) > len(small) {
		parsed = make([]rawCookie, 0, len(lines))
	}
	for _, l := range lines {
		if rc, ok := j.parseCached(l); ok {
			parsed = append(parsed, rc)
		}
	}
	if len(parsed) == 0 {
		return
	}

	j.mu.Lock()
	defer j.mu.Unlock()
	o := j.sourceOf(t)
	changed := false
	for i := range parsed {
		changed = j.store(&o, &parsed[i], now) || changed
	}
	if changed {
		j.gen.Add(1)
	}
}

// parseCached is parseSetCookie, remembering the last line that parsed:
// the parse is a pure function of the line, and a rolling session cookie
// sends the same line on every response.
func (j *Jar) parseCached(line string) (rawCookie, bool) {
	j.keyMu.Lock()
	if line == j.lastLine && line != "" {
		rc := j.lastRC
		j.keyMu.Unlock()
		return rc, true
	}
	j.keyMu.Unlock()
	rc, ok := parseSetCookie(line)
	if ok {
		j.keyMu.Lock()
		j.lastLine, j.lastRC = line, rc
		j.keyMu.Unlock()
	}
	return rc, ok
}

func (j *Jar) perResponse() int {
	return max(minSetCookiesPerResponse, j.maxPerDomain)
}

// store runs the storage model of RFC 6265bis §5.7 for one cookie from o
// and reports whether the stored state changed. j.mu must be held.
func (j *Jar) store(o *source, rc *rawCookie, now time.Time) bool {
	if !acceptableNameValue(rc.name, rc.value) {
		return false
	}
	nowNS := now.UnixNano()
	expires, remove := cookieExpiry(rc, now)
	domain, path, hostOnly, ok := j.placement(o, rc)
	if !ok {
		return false
	}

	g := j.sweep(o.key, nowNS)
	// §5.7: leave secure cookies alone. A non-secure origin may
	// not set (or delete) a cookie that would shadow a Secure one.
	if !rc.secure && !o.secure && j.shadowsSecure(o, rc.name, domain, path, nowNS) {
		return false
	}

	// §5.7: replace the cookie with the same identity.
	old := -1
	if g != nil {
		old = g.index(rc.name, domain, path, hostOnly)
	}
	switch {
	case remove:
		// §5.7: an expiry in the past only deletes.
		if old < 0 {
			return false
		}
		j.removeAt(o.key, g, old, nowNS, true)
		j.hgen.Add(1)
		return true
	case old >= 0 && sameAttributes(g.entries[old], rc):
		j.renew(o.key, g, g.entries[old], expires, nowNS)
		return true
	}

	var e *entry
	if old >= 0 {
		e = j.storeOver(g, old, rc, path, hostOnly, expires, nowNS)
	} else {
		e, g = j.storeNew(o, g, rc, domain, path, hostOnly, expires, nowNS)
	}
	if len(j.tombs) > 0 {
		delete(j.tombs, e.id())
	}
	j.enforceLimits(o.key, g, nowNS)
	j.hgen.Add(1)
	return true
}

// storeOver puts a cookie from rc in place of entry old of g, which has
// the same identity (§5.7): the old cookie's domain spelling and its
// creation-time, hence its place in retrieval order, are kept. j.mu must
// be held.
func (j *Jar) storeOver(g *group, old int, rc *rawCookie, path string, hostOnly bool, expires, nowNS int64) *entry {
	e := newEntry(rc, path, expires, nowNS)
	e.hostOnly = hostOnly
	prev := g.entries[old]
	e.domain = prev.domain
	e.created, e.seq = prev.created, prev.seq
	g.setAt(old, e)
	g.noteExpiry(e.expires)
	return e
}

// storeNew adds a cookie from rc, new to group g of o.key (nil for none
// yet), and returns it with the group that now holds it. j.mu must be
// held.
func (j *Jar) storeNew(o *source, g *group, rc *rawCookie, domain, path string, hostOnly bool, expires, nowNS int64) (*entry, *group) {
	e := newEntry(rc, path, expires, j.creationTime(nowNS))
	e.hostOnly = hostOnly
	switch {
	case o.owned && domain == o.host:
		e.domain = o.host
	case o.owned && domain == o.key:
		e.domain = o.key
	default:
		e.domain = sharedDomain(g, domain)
	}
	e.seq = j.seq
	j.seq++
	return e, j.add(o.key, e)
}

// cookieExpiry applies §5.6.1, §5.6.2 and §5.7 to rc: Max-Age wins over
// Expires; both are capped at 400 days; a time not after now deletes the
// cookie (remove). expires is 0 for a session cookie.
func cookieExpiry(rc *rawCookie, now time.Time) (expires int64, remove bool) {
	switch {
	case rc.hasMaxAge:
		if rc.maxAge <= 0 {
			return 0, true
		}
		return now.Add(time.Duration(min(rc.maxAge, maxAgeLimit)) * time.Second).UnixNano(), false
	case rc.hasExp:
		limit := now.Add(maxCookieAge)
		switch {
		case !rc.expires.After(now):
			return 0, true
		case rc.expires.After(limit):
			return limit.UnixNano(), false
		default:
			return rc.expires.UnixNano(), false
		}
	}
	return 0, false
}

// placement applies the rules of §5.7 that decide whether a cookie from o
// may be stored at all, and where: its domain and host-only flag, its
// path, Secure only from a secure origin, SameSite=None only with Secure,
// and the cookie name prefixes.
func (j *Jar) placement(o *source, rc *rawCookie) (domain, path string, hostOnly, ok bool) {
	domain, hostOnly, ok = j.cookieDomain(o, rc)
	if !ok {
		return "", "", false, false
	}
	path = o.defPath
	if rc.hasPath && rc.path != "" {
		path = rc.path
	}
	if rc.secure && !o.secure {
		return "", "", false, false
	}
	// §5.7: "If the cookie's same-site-flag is "None", abort these steps
	// and ignore the cookie entirely unless the cookie's secure-only-flag
	// is true." Chromium does the same, from any origin, localhost
	// included (CookieBase::IsSetPermittedInContext in
	// net/cookies/cookie_base.cc, EXCLUDE_SAMESITE_NONE_INSECURE, on by
	// default since Chrome 80). The cookie is ignored before its expiry is
	// looked at, so such a line does not delete a stored cookie either.
	if rc.sameSite == http.SameSiteNoneMode && !rc.secure {
		return "", "", false, false
	}
	if !prefixesAllow(rc.name, rc.secure, hostOnly, rc.hasPath && path == "/") {
		return "", "", false, false
	}
	return domain, path, hostOnly, true
}

// sameAttributes reports whether rc sets the stored cookie prev again as
// it is (name, domain, path and host-only flag are its identity), as a
// rolling session cookie is on every response.
func sameAttributes(prev *entry, rc *rawCookie) bool {
	return prev.value == rc.value && prev.secure == rc.secure &&
		prev.httpOnly == rc.httpOnly && prev.partitioned == rc.partitioned &&
		prev.sameSite == rc.sameSite
}

// renew stores a cookie set again unchanged by renewing the entry in place
// rather than building a new one. The result is the same: the expiry as the
// new line gives it (Max-Age counts from now), Updated and the last access
// now, creation time and order kept. It is a change to persist, and to the
// Cookie headers built only if the cookie comes to expire sooner.
func (j *Jar) renew(key string, g *group, prev *entry, expires, nowNS int64) {
	if expires != 0 && (prev.expires == 0 || expires < prev.expires) {
		j.hgen.Add(1)
	}
	prev.expires, prev.updated = expires, nowNS
	g.noteExpiry(expires)
	prev.lastAccess.Store(nowNS)
	if len(j.tombs) > 0 {
		delete(j.tombs, prev.id())
	}
	j.enforceLimits(key, g, nowNS)
}

// newEntry builds the entry for rc, created (and set and accessed) at
// nowNS, without its domain and host-only flag. One allocation holds name, value and path, so that the
// entry does not keep the whole header line alive.
func newEntry(rc *rawCookie, path string, expires, nowNS int64) *entry {
	buf := rc.name + rc.value + path
	e := &entry{
		name:        buf[:len(rc.name)],
		value:       buf[len(rc.name) : len(rc.name)+len(rc.value)],
		path:        buf[len(rc.name)+len(rc.value):],
		expires:     expires,
		created:     nowNS,
		updated:     nowNS,
		secure:      rc.secure,
		httpOnly:    rc.httpOnly,
		partitioned: rc.partitioned,
		sameSite:    rc.sameSite,
	}
	e.lastAccess.Store(nowNS)
	return e
}

// sharedDomain returns domain as a string the jar may keep: that of a
// cookie of g with this domain if there is one, so that they share it, or
// a copy.
func sharedDomain(g *group, domain string) string {
	if g != nil {
		for _, e := range g.entries {
			if e.domain == domain {
				return e.domain
			}
		}
	}
	return strings.Clone(domain)
}

// shadowsSecure reports whether a cookie from the non-secure origin o
// with this name, domain and path must be ignored to leave a Secure
// cookie alone (RFC 6265bis §5.7, the step for a cookie whose
// secure-only-flag is false from a request-uri that does not denote a
// secure protocol): the store holds a live Secure cookie of that name
// whose domain domain-matches domain, or the other way round, and whose
// path path path-matches. j.mu must be held.
func (j *Jar) shadowsSecure(o *source, name, domain, path string, now int64) bool {
	shadows := func(g *group) bool {
		if g == nil {
			return false
		}
		for _, e := range g.entries {
			if e.secure && e.name == name && !e.expired(now) &&
				(domainMatch(e.domain, domain) || domainMatch(domain, e.domain)) &&
				pathMatch(path, e.path) {
				return true
			}
		}
		return false
	}
	if o.ip {
		// An IP address matches only itself, and is its own key.
		return shadows(j.groups[domain])
	}
	// Such a cookie's domain is domain, a parent of domain or a subdomain
	// of it. Its group is keyed by a dot-suffix of its domain: by domain
	// or a parent of domain, which this walk visits ...
	for d := domain; ; {
		if shadows(j.groups[d]) {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	// ... or, when a public suffix lies inside domain (domain is one, as
	// a host-only github.io is, or s3.amazonaws.com is one inside
	// amazonaws.com), by a subdomain of domain.
	for _, k := range o.subdomainKeys(j, domain) {
		if shadows(j.groups[k]) {
			return true
		}
	}
	return false
}

// subdomainKeys returns the keys of the groups that are subdomains of
// domain. The cookies of a response mostly share one domain, so the
// last answer is kept for the next cookie: a response from a non-secure
// origin stores no Secure cookie, so a group that appears while it is
// stored cannot hold one. j.mu must be held.
func (o *source) subdomainKeys(j *Jar, domain string) []string {
	if o.subDone && o.subFor == domain {
		return o.subKeys
	}
	o.subKeys = o.subKeys[:0]
	// A proper subdomain of a domain that has a dot has two dots or more:
	// only j.deep can hold such keys, and it is small in a jar of
	// ordinary example.com-like keys.
	keys := j.deep
	if strings.IndexByte(domain, '.') < 0 {
		keys = nil
		for k := range j.groups {
			if hasDotSuffix(k, domain) {
				o.subKeys = append(o.subKeys, k)
			}
		}
	}
	for k := range keys {
		if hasDotSuffix(k, domain) {
			o.subKeys = append(o.subKeys, k)
		}
	}
	o.subFor, o.subDone = domain, true
	return o.subKeys
}

// cookieDomain decides a cookie's domain and host-only flag
// (RFC 6265bis §5.7).
func (j *Jar) cookieDomain(o *source, rc *rawCookie) (domain string, hostOnly, ok bool) {
	// §5.7: no Domain attribute, a host-only cookie.
	if !rc.hasDomain || rc.domain == "" {
		return o.host, true, true
	}
	d := rc.domain
	// §5.7: a non-ASCII domain attribute discards the cookie.
	if !isASCII(d) {
		return "", false, false
	}
	d = strings.ToLower(d)
	// RFC 6265 §5.1.2 and §5.1.3: "example.com." is no canonical host
	// and domain-matches nothing.
	if d[len(d)-1] == '.' || d[0] == '.' {
		return "", false, false
	}
	// An IP address has no subdomains: a Domain attribute equal to it
	// makes a host-only cookie, as browsers do; anything else is refused.
	if o.ip {
		if d == o.host {
			return o.host, true, true
		}
		return "", false, false
	}
	// The registrable domain of the host, the common Domain attribute,
	// is no public suffix, and the host domain-matches it.
	if o.registrable && d == o.key {
		return o.key, false, true
	}
	// §5.7: no cookies for a public suffix, except that a host
	// which is one may set host-only cookies for itself.
	if j.isPublicSuffix(d) {
		if d == o.host {
			return o.host, true, true
		}
		return "", false, false
	}
	// §5.7: the host must domain-match the Domain attribute.
	if !domainMatch(o.host, d) {
		return "", false, false
	}
	return d, false, true
}

// acceptableNameValue applies the name and value rules of RFC 6265bis
// §5.7, also to cookies that did not come through the parser: no control
// characters, nothing that would break the Cookie header, the §5.6 size
// limit, and a nameless cookie that does not look like a prefixed one.
func acceptableNameValue(name, value string) bool {
	if !validName(name) || !validValue(value) || len(name)+len(value) > maxNameValueSize {
		return false
	}
	return name != "" || (value != "" &&
		!hasPrefixFoldASCII(value, "__Secure-") && !hasPrefixFoldASCII(value, "__Host-"))
}

// prefixesAllow applies the "__Secure-" and "__Host-" prefix rules of
// RFC 6265bis §5.7: the first needs Secure, the second Secure, a host-only
// cookie and Path=/ (rootPath).
func prefixesAllow(name string, secure, hostOnly, rootPath bool) bool {
	if hasPrefixFoldASCII(name, "__Secure-") && !secure {
		return false
	}
	return !hasPrefixFoldASCII(name, "__Host-") || (secure && hostOnly && rootPath)
}
