package httpsession

import (
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/httpsession/httpsession/internal/redact"
	"golang.org/x/net/publicsuffix"
)

// Jar is an in-memory cookie jar that implements http.CookieJar following
// RFC 6265 and the parts of RFC 6265bis that browsers ship: public suffix
// rejection, host-only and domain cookies, "__Secure-" and "__Host-"
// prefixes, Secure cookies only from secure origins, a 400-day expiry cap,
// size limits, and per-domain and total cookie limits. Unlike
// net/http/cookiejar it can list (All), remove (Remove, Clear) and count
// (Len) its cookies.
//
// Secure origins are https, and plain http to localhost, *.localhost,
// 127.0.0.0/8 and ::1, as in browsers, curl and net/http/cookiejar.
//
// SameSite and Partitioned are stored and reported by All but do not
// restrict which requests a cookie is sent with: a client has no notion of
// the top-level site a request is made from. A cookie with SameSite=None
// but without Secure is ignored, as RFC 6265bis requires and Chromium
// does.
//
// Expired cookies are never sent, listed (All) or counted (Len). A
// lookup leaves them in place; they are dropped when a cookie is next set
// for the same registrable domain, or when a limit is reached. Lookups
// never store anything, so a jar that is only read does not grow.
// Whatever is written to it, a jar holds at most MaxCookies cookies,
// expired ones included, and as many records of removed cookies, which
// it keeps for merging with a session file.
//
// A Jar is safe for concurrent use by multiple goroutines. It guards its
// cookies with a sync.RWMutex. Writes (SetCookies, SetCookieHeaders,
// Remove, Clear) hold it exclusively, so the cookies of one response
// become visible to lookups all together. Lookups (Cookies, All, Len)
// hold it only for reading: they run in parallel with each other and
// wait only for writes. A lookup still records when each cookie it
// returns was last accessed, which eviction uses: that time is an atomic
// field of the stored cookie, refreshed at most once a minute so that
// parallel lookups of the same cookie rarely write to the same memory.
// Lookups return copies, never the jar's own storage.
type Jar struct {
	psl          cookiejar.PublicSuffixList
	now          func() time.Time // time.Now, or a Client's Options.Now
	maxPerDomain int
	maxTotal     int

	// gen counts changes to the stored state; written under mu.
	gen atomic.Uint64
	// hgen counts the changes that may alter a Cookie header: gen's,
	// except a cookie set again unchanged with an expiry no closer.
	hgen atomic.Uint64
	// headers holds the Cookie headers last built, by host (headerFor).
	headers [4]atomic.Pointer[cachedHeader]
	// doc is the session document the jar last read or wrote
	// (sessionmerge.go).
	doc atomic.Pointer[docState]
	// order is the sorted order of the entries the jar last listed
	// (jarorder.go).
	order atomic.Pointer[entryOrder]

	// mu guards the fields below. Readers (Cookies, All, Len) hold it for
	// reading; the last-access time of an entry is an atomic so that they
	// can update it without the write lock.
	mu sync.RWMutex
	// groups holds the cookies by the registrable domain (eTLD+1) of their
	// domain, or by the host itself for IP addresses and public suffixes.
	groups map[string]*group
	// deep holds the keys of groups with two dots or more. A group keyed
	// by a subdomain of a multi-label domain has such a key (its public
	// suffix holds that domain), so the leave-secure-cookies-alone check
	// looks here instead of at every group.
	deep map[string]struct{}
	// count is the number of entries in groups, expired ones included.
	count int
	// seq orders cookies created at the same instant: those given a
	// creation time from outside (Add, a session file).
	seq uint64
	// lastCreated is the latest creation time (Unix nanoseconds) the jar
	// gave a cookie; creationTime keeps the next one later, so that the
	// times alone order the cookies the jar creates, in a session file
	// too, which keeps no sequence numbers.
	lastCreated int64
	// tombs remembers removed cookies for merging with other writers.
	tombs map[cookieID]tombstone

	// origins are the storageState origins (localStorage) kept for the
	// session file; they have a lock of their own.
	origins siteOrigins

	// hosts caches the site of the hosts that sent cookies, so that
	// storing a cookie does not ask the public suffix list again. It
	// holds at most max(MaxCookies, minHostCache) hosts and is emptied
	// when it would hold more. IP addresses need no list and are left out.
	hosts map[string]cachedHost

	// keyMu guards the last Set-Cookie line parsed and its result
	// (parseCached): a rolling session cookie repeats its line verbatim.
	keyMu    sync.Mutex
	lastLine string
	lastRC   rawCookie
}

// JarOptions configures a Jar. The zero value (and a nil *JarOptions) is
// a jar with the public suffix list of golang.org/x/net/publicsuffix and
// Chromium's limits.
type JarOptions struct {
	// PublicSuffixList decides which domains are public suffixes, on which
	// no cookie may be set (RFC 6265 §5.3 step 5). nil means
	// golang.org/x/net/publicsuffix.List.
	PublicSuffixList cookiejar.PublicSuffixList
	// MaxCookiesPerDomain is the most cookies kept per registrable domain
	// (eTLD+1). Beyond it, expired cookies and then the least recently
	// accessed ones are evicted. 0 means 180, as in Chromium.
	MaxCookiesPerDomain int
	// MaxCookies is the most cookies kept in the whole jar. When a new
	// cookie would pass it, expired cookies and then the least recently
	// accessed ones are evicted until the jar is a tenth below the limit,
	// so that one sweep serves many insertions (Chromium evicts in batches
	// the same way). 0 means 3000.
	MaxCookies int
}

const (
	defaultMaxCookiesPerDomain = 180
	defaultMaxCookies          = 3000

	// minSetCookiesPerResponse is the least number of cookies one
	// SetCookies or SetCookieHeaders call processes; the rest are
	// ignored. All cookies of one response share one registrable domain,
	// so no more than MaxCookiesPerDomain of them can be kept anyway; the
	// bound keeps a flood of Set-Cookie lines from costing unbounded time.
	// The actual bound is the larger of this and MaxCookiesPerDomain.
	minSetCookiesPerResponse = 3000

	// lastAccessGranularity is how stale the last-access time of a cookie
	// may get before a lookup refreshes it. Chromium uses the same
	// threshold; it keeps concurrent lookups from writing the same memory.
	lastAccessGranularity = int64(time.Minute)
)

var _ http.CookieJar = (*Jar)(nil)

// NewJar returns an empty jar. A nil o is the same as a zero JarOptions.
// Expiry is judged on time.Now.
func NewJar(o *JarOptions) *Jar {
	return newJar(o, time.Now)
}

// newJar is NewJar with the clock now, a Client's Options.Now.
func newJar(o *JarOptions, now func() time.Time) *Jar {
	if o == nil {
		o = &JarOptions{}
	}
	j := &Jar{
		psl:          o.PublicSuffixList,
		now:          now,
		maxPerDomain: o.MaxCookiesPerDomain,
		maxTotal:     o.MaxCookies,
		groups:       make(map[string]*group),
		deep:         make(map[string]struct{}),
		hosts:        make(map[string]cachedHost),
	}
	if j.psl == nil {
		j.psl = publicsuffix.List
	}
	if j.maxPerDomain <= 0 {
		j.maxPerDomain = defaultMaxCookiesPerDomain
	}
	if j.maxTotal <= 0 {
		j.maxTotal = defaultMaxCookies
	}
	return j
}

// entry is a stored cookie.
type entry struct {
	// lastAccess is in Unix nanoseconds; lookups update it under the read
	// lock.
	lastAccess atomic.Int64

	name, value, domain, path string

	expires int64 // Unix nanoseconds; 0 for a session cookie
	created int64 // Unix nanoseconds
	updated int64 // Unix nanoseconds
	seq     uint64

	hostOnly, secure, httpOnly, partitioned bool
	sameSite                                http.SameSite
}

// group is the cookies of one registrable domain, in retrieval order
// (RFC 6265 §5.4 step 2): longer paths first, then earlier creation times,
// then insertion order.
type group struct {
	entries []*entry
	// names holds nameHash of each entry's name, in the same order, so
	// that a search by identity reads this array rather than touch every
	// entry: in a big jar each entry it touches is a cache miss. Only the
	// methods below change entries and names.
	names []uint32
	// next is at most the earliest expiry among entries (0: none of them
	// expires), so that a write skips the sweep for expired cookies while
	// nothing in the group can have expired.
	next int64
}

var nameSeed = maphash.MakeSeed()

func nameHash(name string) uint32 { return uint32(maphash.String(nameSeed, name)) }

func (g *group) insertAt(i int, e *entry) {
	if i == len(g.entries) {
		// One pointer written, where slices.Insert copies a slice.
		g.entries, g.names = append(g.entries, e), append(g.names, nameHash(e.name))
		return
	}
	g.entries = slices.Insert(g.entries, i, e)
	g.names = slices.Insert(g.names, i, nameHash(e.name))
}

func (g *group) deleteAt(i int) {
	g.entries = slices.Delete(g.entries, i, i+1)
	g.names = slices.Delete(g.names, i, i+1)
}

// setAt puts e in place i; e has the name of the entry there.
func (g *group) setAt(i int, e *entry) { g.entries[i] = e }

// deleteFunc removes the entries for which del is true and returns how
// many it removed.
func (g *group) deleteFunc(del func(*entry) bool) int {
	n := 0
	for i, e := range g.entries {
		if !del(e) {
			g.entries[n], g.names[n] = e, g.names[i]
			n++
		}
	}
	removed := len(g.entries) - n
	clear(g.entries[n:])
	g.entries, g.names = g.entries[:n], g.names[:n]
	return removed
}

// index returns the index of the entry with this identity, or -1.
func (g *group) index(name, domain, path string, hostOnly bool) int {
	h := nameHash(name)
	for i, nh := range g.names {
		if nh != h {
			continue
		}
		if e := g.entries[i]; e.name == name && e.domain == domain && e.path == path && e.hostOnly == hostOnly {
			return i
		}
	}
	return -1
}

// place inserts e in retrieval order, after the entries it is not
// sent before. An entry that goes last, as most do when a session file
// is read, is appended without a search.
func (g *group) place(e *entry) {
	i := len(g.entries)
	if i > 0 && e.before(g.entries[i-1]) {
		i, _ = slices.BinarySearchFunc(g.entries, e, func(a, b *entry) int {
			if a.before(b) {
				return -1
			}
			return 1
		})
	}
	g.insertAt(i, e)
	g.noteExpiry(e.expires)
}

// noteExpiry keeps g.next a lower bound after an entry got expiry exp.
func (g *group) noteExpiry(exp int64) {
	if exp != 0 && (g.next == 0 || exp < g.next) {
		g.next = exp
	}
}

// creationTime returns the creation time of a cookie the jar creates at
// now: now, or a nanosecond after the last one when the clock has not
// moved past it (cookies of one response are created at one now). j.mu
// must be held.
func (j *Jar) creationTime(now int64) int64 {
	if now <= j.lastCreated {
		now = j.lastCreated + 1
	}
	j.lastCreated = now
	return now
}

// before reports whether a is sent before b.
func (a *entry) before(b *entry) bool {
	if len(a.path) != len(b.path) {
		return len(a.path) > len(b.path)
	}
	if a.created != b.created {
		return a.created < b.created
	}
	return a.seq < b.seq
}

func (e *entry) expired(now int64) bool {
	return e.expires != 0 && e.expires <= now
}

// touch records an access at now, at most once per lastAccessGranularity.
func (e *entry) touch(now int64) {
	if now-e.lastAccess.Load() >= lastAccessGranularity {
		e.lastAccess.Store(now)
	}
}

func (e *entry) id() cookieID {
	return cookieID{name: e.name, domain: e.domain, path: e.path, hostOnly: e.hostOnly}
}

func (e *entry) cookie() Cookie {
	return Cookie{
		Name:        e.name,
		Value:       e.value,
		Domain:      e.domain,
		Path:        e.path,
		HostOnly:    e.hostOnly,
		Secure:      e.secure,
		HttpOnly:    e.httpOnly,
		SameSite:    e.sameSite,
		Partitioned: e.partitioned,
		Expires:     fromNanos(e.expires),
		Created:     fromNanos(e.created),
		LastAccess:  fromNanos(e.lastAccess.Load()),
		Updated:     fromNanos(e.updated),
	}
}

// add inserts e into the group key in retrieval order and returns the
// group. j.mu must be held.
func (j *Jar) add(key string, e *entry) *group {
	g := j.groups[key]
	if g == nil {
		g = j.newGroup(key)
	}
	g.place(e)
	j.count++
	return g
}

// newGroup adds the empty group key and returns it. j.mu must be held.
func (j *Jar) newGroup(key string) *group {
	g := &group{}
	j.groups[key] = g
	if strings.Count(key, ".") >= 2 {
		j.deep[key] = struct{}{}
	}
	return g
}

// removeAt removes g.entries[i], remembering a tombstone for a live cookie
// if tomb is set. j.mu must be held.
func (j *Jar) removeAt(key string, g *group, i int, now int64, tomb bool) {
	e := g.entries[i]
	if tomb && !e.expired(now) {
		j.addTomb(e, now)
	}
	g.deleteAt(i)
	j.count--
	if len(g.entries) == 0 {
		j.dropGroup(key)
	}
}

// dropGroup forgets the empty group key. j.mu must be held.
func (j *Jar) dropGroup(key string) {
	delete(j.groups, key)
	delete(j.deep, key)
}

// dropExpired removes the expired cookies of g. j.mu must be held.
func (j *Jar) dropExpired(key string, g *group, now int64) {
	if g.next == 0 || g.next > now {
		return // nothing in g has expired
	}
	j.count -= g.deleteFunc(func(e *entry) bool { return e.expired(now) })
	g.next = 0
	for _, e := range g.entries {
		g.noteExpiry(e.expires)
	}
	if len(g.entries) == 0 {
		j.dropGroup(key)
	}
}

// sweep removes the expired cookies of group key and returns the group,
// or nil if none is left. RFC 6265 §5.3 (and RFC 6265bis §5.7) has
// expired cookies evicted at once; lookups, which hold only the read
// lock, skip them instead, and every write sweeps the group it writes
// to. j.mu must be held.
func (j *Jar) sweep(key string, now int64) *group {
	if g := j.groups[key]; g != nil {
		j.dropExpired(key, g, now)
	}
	return j.groups[key]
}

// String describes j without its cookies: how many it holds.
func (j *Jar) String() string {
	if j == nil {
		return "Jar(nil)"
	}
	return fmt.Sprintf("Jar{cookies: %d}", j.live())
}

// Format makes every fmt verb print String ("&httpsession.Jar{…}" for
// %#v): the fields hold cookie values and the last Set-Cookie line.
func (j *Jar) Format(f fmt.State, verb rune) {
	s := j.String()
	redact.Format(f, verb, s, "&httpsession."+s)
}

// LogValue describes j for log/slog without its cookies.
func (j *Jar) LogValue() slog.Value {
	if j == nil {
		return slog.StringValue("Jar(nil)")
	}
	return slog.GroupValue(slog.Int("cookies", j.live()))
}

// live returns the number of live cookies.
func (j *Jar) live() int {
	nowNS := j.now().UnixNano()
	j.mu.RLock()
	defer j.mu.RUnlock()
	n := 0
	for _, g := range j.groups {
		for _, e := range g.entries {
			if !e.expired(nowNS) {
				n++
			}
		}
	}
	return n
}

// Remove deletes the cookies with exactly this domain (a leading dot is
// ignored), path and name, host-only or not, and reports whether there
// were any.
func (j *Jar) Remove(domain, path, name string) bool {
	now := j.now().UnixNano()
	h, ok := canonicalHost(strings.TrimPrefix(domain, "."))
	if !ok {
		return false
	}
	key := j.jarKey(h.name, h.ip)
	j.mu.Lock()
	defer j.mu.Unlock()
	g := j.groups[key]
	if g == nil {
		return false
	}
	found := false
	for i := 0; i < len(g.entries); {
		e := g.entries[i]
		if e.domain == h.name && e.path == path && e.name == name {
			found = found || !e.expired(now)
			j.removeAt(key, g, i, now, true)
			continue
		}
		i++
	}
	if found {
		j.gen.Add(1)
		j.hgen.Add(1)
	}
	return found
}

// Clear removes every cookie.
func (j *Jar) Clear() {
	now := j.now().UnixNano()
	j.mu.Lock()
	defer j.mu.Unlock()
	live := false
	for _, g := range j.groups {
		for _, e := range g.entries {
			if !e.expired(now) {
				j.addTomb(e, now)
				live = true
			}
		}
	}
	clear(j.groups)
	clear(j.deep)
	j.count = 0
	if live {
		j.gen.Add(1)
		j.hgen.Add(1)
	}
}

// toNanos converts t to Unix nanoseconds, clamped to what int64 holds;
// the zero time is 0.
func toNanos(t time.Time) int64 {
	if s := t.Unix(); s > minNanoSec && s < maxNanoSec {
		return t.UnixNano() // the usual case, in one comparison of seconds
	}
	switch {
	case t.IsZero():
		return 0
	case t.Before(minNanoTime):
		return minNanoTime.UnixNano()
	case t.After(maxNanoTime):
		return maxNanoTime.UnixNano()
	}
	return t.UnixNano()
}

var (
	minNanoTime = time.Unix(0, -1<<63+1)
	maxNanoTime = time.Unix(0, 1<<63-1)
	// Within these seconds (exclusive), every time is within the two
	// above and is not the zero time.
	minNanoSec = minNanoTime.Unix()
	maxNanoSec = maxNanoTime.Unix() - 1
)

// fromNanos converts Unix nanoseconds to a UTC time; 0 is the zero time.
func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
