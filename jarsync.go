package httpsession

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The functions in this file let a Jar be kept in step with other
// writers of the same cookies, such as other processes sharing a session
// file: removals are remembered as tombstones, every change bumps the
// generation, and snapshot and merge exchange the whole state.

// generation counts changes to the stored cookies and tombstones; it does
// not change when cookies are merely read.
func (j *Jar) generation() uint64 {
	return j.gen.Load()
}

// snapshot returns every live cookie, session cookies included, in the
// order of All, and every live tombstone, ordered by domain, path and name.
func (j *Jar) snapshot() (cookies []Cookie, tombs []tombstone) {
	now := j.now()
	cookies = j.all(now)
	j.mu.RLock()
	defer j.mu.RUnlock()
	for _, t := range j.tombs {
		if t.Until.After(now) {
			tombs = append(tombs, t)
		}
	}
	slices.SortFunc(tombs, func(a, b tombstone) int {
		return cmpID(a.id(), b.id())
	})
	return cookies, tombs
}

func cmpID(a, b cookieID) int {
	return cookieCmp(a.domain, a.path, a.name, a.hostOnly, b.domain, b.path, b.name, b.hostOnly)
}

// domainInfo is what validating a cookie needs to know about its domain;
// merging computes it once for a run of records with the same domain.
type domainInfo struct {
	h      hostInfo
	ok     bool   // a valid host of acceptable length
	suffix bool   // h.name is a public suffix
	key    string // the groups key
}

// domainInfo canonicalizes the Domain d of a cookie (without a leading
// dot) and finds its groups key.
func (j *Jar) domainInfo(d string) domainInfo {
	h, ok := canonicalHost(d)
	if !ok || len(h.name) > maxAttributeValueSize {
		return domainInfo{}
	}
	return domainInfo{h: h, ok: true, suffix: !h.ip && j.isPublicSuffix(h.name), key: j.jarKey(h.name, h.ip)}
}

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
	if !acceptableNameValue(c.Name, c.Value) {
		return nil, "invalid name or value"
	}
	if !di.ok {
		return nil, "invalid domain"
	}
	h := di.h
	hostOnly := c.HostOnly || h.ip
	if !hostOnly && di.suffix {
		return nil, "domain is a public suffix"
	}
	path := c.Path
	if path == "" {
		path = "/"
	}
	if path[0] != '/' || len(path) > maxAttributeValueSize || !validValue(path) {
		return nil, "invalid path"
	}
	if c.SameSite == http.SameSiteNoneMode && !c.Secure {
		return nil, "SameSite=None without Secure"
	}
	if !prefixesAllow(c.Name, c.Secure, hostOnly, path == "/") {
		return nil, "cookie prefix rules not met"
	}
	var expires int64
	if !c.Expires.IsZero() {
		if !c.Expires.After(now) {
			return nil, "expired"
		}
		expires = toNanos(c.Expires)
		if limit := now.Add(maxCookieAge); c.Expires.After(limit) {
			expires = limit.UnixNano()
		}
	}
	nowNS := now.UnixNano()
	e := &entry{
		name: c.Name, value: c.Value, domain: h.name, path: path,
		expires: expires, created: toNanos(c.Created), updated: toNanos(c.Updated),
		hostOnly: hostOnly, secure: c.Secure, httpOnly: c.HttpOnly,
		partitioned: c.Partitioned, sameSite: c.SameSite,
	}
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
	return e, ""
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

// AddReport is what [Jar.AddAll] did with a batch of cookies.
type AddReport struct {
	Kept int // cookies stored
	// Rejected holds, for each cookie the jar refused, its name, domain
	// and the reason; never its value.
	Rejected []CookieError
}

// AddAll stores cookies through [Jar.Add], one by one and in order, so a
// later cookie with the same name, domain, path and host-only flag
// replaces an earlier one, and reports how many the jar kept and why it
// refused the others.
func (j *Jar) AddAll(cookies []Cookie) AddReport {
	var r AddReport
	for _, c := range cookies {
		err := j.Add(c)
		if err == nil {
			r.Kept++
			continue
		}
		var ce *CookieError
		if errors.As(err, &ce) {
			r.Rejected = append(r.Rejected, *ce)
		}
	}
	return r
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

// merge folds in the cookies and tombstones of another writer. For each
// identity (name, domain, host-only flag, path) the cookie with the newer
// Updated wins; a tombstone whose Deleted is newer than the winning
// cookie's Updated removes it and is kept, otherwise it is dropped.
// Expired cookies, stale tombstones and invalid cookies are ignored, and
// the limits apply afterwards. The generation changes only if the stored
// state does.
func (j *Jar) merge(cookies []Cookie, tombs []tombstone) {
	m := &recordMerger{merger: j.startMerge()}
	defer m.finish()
	for i := range cookies {
		m.add(&cookies[i])
	}
	m.tombs(tombs)
}

// A merger is one merge in progress; it holds j.mu from startMerge to
// finish.
type merger struct {
	j       *Jar
	now     time.Time
	changed bool
	touched map[string]bool // the groups keys cookies were stored under
}

// startMerge locks j for a merge.
func (j *Jar) startMerge() *merger {
	m := &merger{j: j, now: j.now(), touched: make(map[string]bool)}
	j.mu.Lock()
	return m
}

// loses reports whether the record c, whose domain di describes, loses to
// the cookie the jar holds with its identity, so that it need not be
// validated: most records are what the jar holds already. Without a
// tombstone for it, a stored cookie updated no earlier than the record
// wins, whether the record is valid or not.
func (m *merger) loses(c *Cookie, di *domainInfo) bool {
	path := c.Path
	if path == "" {
		path = "/"
	}
	id := cookieID{name: c.Name, domain: di.h.name, path: path, hostOnly: c.HostOnly || di.h.ip}
	if _, tomb := m.j.tombs[id]; tomb {
		return false
	}
	updated := toNanos(c.Updated)
	if updated == 0 {
		updated = m.now.UnixNano()
	}
	g, i := m.j.find(di.key, id)
	return i >= 0 && updated <= g.entries[i].updated
}

// cookie folds in the valid cookie record e, of group key.
func (m *merger) cookie(e *entry, key string) {
	j := m.j
	id := e.id()
	if t, ok := j.tombs[id]; ok {
		if t.Deleted.After(fromNanos(e.updated)) {
			return // deleted here after the other writer set it
		}
		delete(j.tombs, id)
		m.changed = true
	}
	g, i := j.find(key, id)
	if i >= 0 {
		old := g.entries[i]
		if e.updated <= old.updated {
			return
		}
		e.lastAccess.Store(max(e.lastAccess.Load(), old.lastAccess.Load()))
	}
	j.replace(key, g, i, e)
	m.touched[key] = true
	m.changed = true
	// A file may hold far more cookies of one site than the jar keeps:
	// trim as they come, in batches, so that a merge holds no more than
	// twice the limit of any site.
	if g := j.groups[key]; len(g.entries) >= 2*j.maxPerDomain {
		j.trimGroup(key, g, m.now.UnixNano())
	}
}

// tombs folds in the other writer's tombstones.
func (m *merger) tombs(tombs []tombstone) {
	j := m.j
	for _, t := range tombs {
		if !t.Until.After(m.now) {
			continue
		}
		h, ok := canonicalHost(t.Domain)
		if !ok || h.name != t.Domain {
			continue
		}
		id := t.id()
		key := j.jarKey(h.name, h.ip)
		g, i := j.find(key, id)
		if i >= 0 {
			if !t.Deleted.After(fromNanos(g.entries[i].updated)) {
				continue // set again after the removal
			}
			g.deleteAt(i)
			j.count--
			if len(g.entries) == 0 {
				j.dropGroup(key)
			}
			m.changed = true
		}
		if mine, ok := j.tombs[id]; ok && !t.Deleted.After(mine.Deleted) {
			continue
		}
		if j.tombs == nil {
			j.tombs = make(map[cookieID]tombstone)
		}
		j.tombs[id] = t
		m.changed = true
	}
}

// finish applies the limits to what the merge stored, as storing the
// cookies one Set-Cookie at a time would: first each site's, then the
// jar's, so that the total limit weighs cookies each site may keep rather
// than those its own limit is about to evict. It then bumps the
// generation if anything changed and unlocks j.
func (m *merger) finish() {
	j := m.j
	defer j.mu.Unlock()
	nowNS := m.now.UnixNano()
	j.pruneTombs(nowNS)
	for key := range m.touched {
		if g := j.sweep(key, nowNS); g != nil {
			j.trimGroup(key, g, nowNS)
		}
	}
	j.enforceTotal(nowNS)
	if m.changed {
		j.gen.Add(1)
		j.hgen.Add(1)
	}
}
