package httpsession

import (
	"slices"
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
	// all says that every group of the jar may have been stored to, as
	// in a merge into an empty jar, whatever touched holds.
	all bool
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
	trim := func(key string) {
		if g := j.sweep(key, nowNS); g != nil {
			j.trimGroup(key, g, nowNS)
		}
	}
	if m.all {
		for key := range j.groups {
			trim(key)
		}
	} else {
		for key := range m.touched {
			trim(key)
		}
	}
	j.enforceTotal(nowNS)
	if m.changed {
		j.gen.Add(1)
		j.hgen.Add(1)
	}
}

// tombstone remembers a removed cookie so that merging with another
// writer's older copy does not bring it back.
type tombstone struct {
	Name, Domain, Path string
	HostOnly           bool
	Deleted            time.Time // when it was removed
	Until              time.Time // when the tombstone may be forgotten
}

func (t *tombstone) id() cookieID {
	return cookieID{name: t.Name, domain: t.Domain, path: t.Path, hostOnly: t.HostOnly}
}

// addTomb remembers the removal of e at now. j.mu must be held.
func (j *Jar) addTomb(e *entry, now int64) {
	deleted := fromNanos(now)
	until := deleted.Add(sessionTombstoneLife)
	if e.expires != 0 {
		until = fromNanos(min(e.expires, now+int64(maxCookieAge)))
	}
	if j.tombs == nil {
		j.tombs = make(map[cookieID]tombstone)
	}
	j.tombs[e.id()] = tombstone{
		Name: e.name, Domain: e.domain, Path: e.path, HostOnly: e.hostOnly,
		Deleted: deleted, Until: until,
	}
	j.pruneTombs(now)
}

// pruneTombs keeps the number of tombstones within MaxCookies: it drops
// those past their Until and then the oldest, down to a tenth below the
// limit. j.mu must be held.
func (j *Jar) pruneTombs(now int64) {
	if len(j.tombs) <= j.maxTotal {
		return
	}
	nowT := fromNanos(now)
	for id, t := range j.tombs {
		if !t.Until.After(nowT) {
			delete(j.tombs, id)
		}
	}
	if len(j.tombs) <= j.maxTotal {
		return
	}
	ts := make([]tombstone, 0, len(j.tombs))
	for _, t := range j.tombs {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b tombstone) int { return a.Deleted.Compare(b.Deleted) })
	for _, t := range ts[:len(ts)-(j.maxTotal-j.maxTotal/10)] {
		delete(j.tombs, t.id())
	}
}

// sessionTombstoneLife is how long the removal of a session cookie is
// remembered for merging.
const sessionTombstoneLife = 30 * 24 * time.Hour
