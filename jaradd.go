package httpsession

import (
	"net/http"
	"strings"
	"time"
)

// Jar.Add stores fully specified cookies from outside the
// HTTP path (a browser profile, an export, a session file), under the same
// rules of RFC 6265bis §5.7 that do not depend on a request.

// normalize validates a fully specified cookie from outside the HTTP
// path (a session file or cookies.txt) and turns it into an entry and
// its groups key. It applies the rules of RFC 6265bis §5.7 that do not
// depend on a request: sizes and characters, the domain (lower-case
// punycode, never a public suffix unless host-only, IP addresses
// host-only), the path, SameSite=None only with Secure, the prefixes,
// and the 400-day cap. Expired cookies are refused.
func (j *Jar) normalize(c *Cookie, now time.Time) (*entry, string, string) {
	di := j.domainInfo(strings.TrimPrefix(c.Domain, "."))
	e, why := j.normalizeIn(c, &di, now)
	return e, di.key, why
}

// normalizeIn is normalize for a cookie whose domain is described by di. It
// returns the entry, or nil and the reason the jar refuses the cookie.
func (j *Jar) normalizeIn(c *Cookie, di *domainInfo, now time.Time) (*entry, string) {
	e := new(entry)
	if why := normalizeInto(e, c, di, now); why != "" {
		return nil, why
	}
	return e, ""
}

// normalizeInto is normalizeIn writing the entry into e, a zero entry,
// for a caller that allocates entries in bulk. It returns the reason the
// jar refuses the cookie, "" when e holds it; e is left zero then.
func normalizeInto(e *entry, c *Cookie, di *domainInfo, now time.Time) string {
	if !acceptableNameValue(c.Name, c.Value) {
		return "invalid name or value"
	}
	if !di.ok {
		return "invalid domain"
	}
	h := di.h
	hostOnly := c.HostOnly || h.ip
	if !hostOnly && di.suffix {
		return "domain is a public suffix"
	}
	path := c.Path
	if path == "" {
		path = "/"
	}
	if path[0] != '/' || len(path) > maxAttributeValueSize || !validValue(path) {
		return "invalid path"
	}
	if c.SameSite == http.SameSiteNoneMode && !c.Secure {
		return "SameSite=None without Secure"
	}
	if !prefixesAllow(c.Name, c.Secure, hostOnly, path == "/") {
		return "cookie prefix rules not met"
	}
	var expires int64
	if !c.Expires.IsZero() {
		if !c.Expires.After(now) {
			return "expired"
		}
		expires = toNanos(c.Expires)
		if limit := now.Add(maxCookieAge); c.Expires.After(limit) {
			expires = limit.UnixNano()
		}
	}
	nowNS := now.UnixNano()
	e.name, e.value, e.domain, e.path = c.Name, c.Value, h.name, path
	e.expires, e.created, e.updated = expires, toNanos(c.Created), toNanos(c.Updated)
	e.hostOnly, e.secure, e.httpOnly = hostOnly, c.Secure, c.HttpOnly
	e.partitioned, e.sameSite = c.Partitioned, c.SameSite
	if e.created == 0 {
		e.created = nowNS
	}
	if e.updated == 0 {
		e.updated = nowNS
	}
	last := toNanos(c.LastAccess)
	if last == 0 {
		last = e.created
	}
	e.lastAccess.Store(last)
	return ""
}

// find returns the index of the entry with identity id in group key, or -1.
// j.mu must be held.
func (j *Jar) find(key string, id cookieID) (*group, int) {
	g := j.groups[key]
	if g == nil {
		return nil, -1
	}
	return g, g.index(id.name, id.domain, id.path, id.hostOnly)
}

// replace puts e in group key in place of entry i (or adds it if i < 0).
// j.mu must be held.
func (j *Jar) replace(key string, g *group, i int, e *entry) {
	if i >= 0 {
		g.deleteAt(i)
		j.count--
	}
	e.seq = j.seq
	j.seq++
	j.add(key, e)
}

// Add stores a fully specified cookie, such as one read from a browser's
// profile or an export, replacing the one with the same name, domain, path
// and host-only flag. The jar's rules apply as for a Set-Cookie line: a
// cookie that is expired, has a public-suffix domain, breaks the
// "__Secure-"/"__Host-" prefix rules or has invalid characters is refused
// with a *CookieError (errors.Is(err, ErrCookieRejected)). Created,
// LastAccess and Updated are kept when set, and default to now.
func (j *Jar) Add(c Cookie) error {
	if why := j.insert(c); why != "" {
		return &CookieError{Name: c.Name, Domain: strings.TrimPrefix(c.Domain, "."), Reason: why}
	}
	return nil
}

// insert is Add reporting the reason for a refusal, "" when the cookie was
// stored.
func (j *Jar) insert(c Cookie) string {
	now := j.now()
	e, key, why := j.normalize(&c, now)
	if e == nil {
		return why
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if c.Created.IsZero() {
		// Created now, after any cookie before it.
		e.created = j.creationTime(e.created)
		if c.Updated.IsZero() {
			e.updated = e.created
		}
		if c.LastAccess.IsZero() {
			e.lastAccess.Store(e.created)
		}
	}
	j.sweep(key, now.UnixNano())
	g, i := j.find(key, e.id())
	j.replace(key, g, i, e)
	if len(j.tombs) > 0 {
		delete(j.tombs, e.id())
	}
	j.enforceLimits(key, j.groups[key], now.UnixNano())
	j.gen.Add(1)
	j.hgen.Add(1)
	return ""
}
