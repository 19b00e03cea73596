package httpsession

import (
	"hash/maphash"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The Cookie header (RFC 6265bis §5.8, "retrieval"): which stored cookies
// go to a request, in what order, and the cache of built headers.

// candidates returns entries in retrieval order that include every
// cookie to send to t, and how many of them are to be sent. The cookies
// for a host all live in the group of its registrable domain, which is
// the host or one of its parent domains: looking those up by name avoids
// asking the public suffix list on every request. Should more than one of
// them hold cookies for t, their entries are merged, and entries holds
// exactly the cookies to send. groups is the number of those groups that
// exist. j.mu must be held.
func (j *Jar) candidates(t *target, now int64) (entries []*entry, n, groups int) {
	var (
		sole  *group
		total int
		multi bool
	)
	for d := t.host; ; {
		if g := j.groups[d]; g != nil {
			groups++
			n := 0
			for _, e := range g.entries {
				if e.sendTo(t, now) {
					n++
				}
			}
			if n > 0 {
				multi = multi || sole != nil
				sole = g
				total += n
			}
		}
		i := strings.IndexByte(d, '.')
		if t.ip || i < 0 {
			break
		}
		d = d[i+1:]
	}
	if !multi {
		if sole == nil {
			return nil, 0, groups
		}
		return sole.entries, total, groups
	}
	entries = make([]*entry, 0, total)
	for d := t.host; ; {
		if g := j.groups[d]; g != nil {
			for _, e := range g.entries {
				if e.sendTo(t, now) {
					entries = append(entries, e)
				}
			}
		}
		i := strings.IndexByte(d, '.')
		if t.ip || i < 0 {
			break
		}
		d = d[i+1:]
	}
	slices.SortFunc(entries, func(a, b *entry) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
	return entries, total, groups
}

// Cookies implements http.CookieJar: the cookies to send with a request
// to u, in the order of RFC 6265 §5.4. Only Name, Value and Quoted are
// set. It returns nil unless u's scheme is http, https, ws or wss.
func (j *Jar) Cookies(u *url.URL) []*http.Cookie {
	return j.cookies(u, j.now())
}

// cookies is Cookies at time now. It makes two allocations whatever the
// number of cookies.
func (j *Jar) cookies(u *url.URL, now time.Time) []*http.Cookie {
	t, ok := targetOf(u)
	if !ok {
		return nil
	}
	nowNS := now.UnixNano()

	j.mu.RLock()
	defer j.mu.RUnlock()
	entries, n, _ := j.candidates(&t, nowNS)
	if n == 0 {
		return nil
	}
	store := make([]http.Cookie, n)
	out := make([]*http.Cookie, n)
	i := 0
	for _, e := range entries {
		if !e.sendTo(&t, nowNS) {
			continue
		}
		e.touch(nowNS)
		c := &store[i]
		c.Name, c.Value = e.name, e.value
		if v := e.value; len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			c.Value, c.Quoted = v[1:len(v)-1], true
		}
		out[i] = c
		i++
	}
	return out
}

func (c *cachedHeader) serves(t *target, now int64, gen uint64) bool {
	return c != nil && c.gen == gen && now < c.until && c.host == t.host &&
		c.secure == t.secure && (c.anyPath || c.path == t.path)
}

// headerFor returns the Cookie header for a request to t at time now, as a
// header map holds it: nil for none, or one value. The slice is shared and
// must not be modified.
//
// A client sends the same Cookie header with request after request, so the
// last one built for each of a few hosts is reused while no cookie that
// could change it was stored or removed; a cookie set again unchanged, as a
// rolling session cookie is on every response, does not count as a change
// unless its expiry moves closer. A reused header does not refresh the last
// access of its cookies, so the header is built afresh at least once per
// lastAccessGranularity; LastAccess thus lags by up to twice that.
func (j *Jar) headerFor(t *target, now time.Time) []string {
	nowNS := now.UnixNano()
	slot := &j.headers[maphash.String(headerSeed, t.host)%uint64(len(j.headers))]
	if c := slot.Load(); c.serves(t, nowNS, j.hgen.Load()) {
		return c.value
	}
	j.mu.RLock()
	c := j.buildHeader(t, nowNS)
	j.mu.RUnlock()
	slot.Store(c)
	return c.value
}

var headerSeed = maphash.MakeSeed()

// buildHeader builds the Cookie header for a request to t at now.
// j.mu must be held.
func (j *Jar) buildHeader(t *target, nowNS int64) *cachedHeader {
	c := &cachedHeader{
		gen:    j.hgen.Load(),
		until:  nowNS + lastAccessGranularity,
		host:   t.host,
		path:   t.path,
		secure: t.secure,
	}
	entries, n, groups := j.candidates(t, nowNS)
	if n == 0 {
		// No cookie for this host, at any path, when no group could hold
		// one.
		c.anyPath = groups == 0
		return c
	}
	// The header is the same for every path when the cookies that could go
	// to this host all have Path=/. With cookies in several groups, entries
	// leaves out those that don't go to t: such a header is kept for t's
	// path.
	c.anyPath = groups == 1
	// The cookies to send, in order: collected on the stack for the usual
	// few, so that writeHeader doesn't test each one again; past that,
	// writeHeader tests them itself rather than allocate.
	var small [16]*entry
	send, size := c.pick(entries, n, t, nowNS, small[:0])
	if size == 0 {
		return c
	}
	if n > len(small) {
		send = entries
	}
	c.value = []string{writeHeader(send, n > len(small), t, nowNS, size)}[:1:1]
	return c
}

// pick goes through entries, the candidates for t, and returns the
// cookies to send appended to send (none when there are more than
// cap(send) candidates, n), with the length of the header they make. It
// narrows c's validity to their expiry and its reuse to t's path when one
// of them has another path. send goes nowhere but the result, so
// buildHeader's stack array stays on the stack.
func (c *cachedHeader) pick(entries []*entry, n int, t *target, nowNS int64, send []*entry) ([]*entry, int) {
	size := 0
	for _, e := range entries {
		if !e.sendToAnyPath(t, nowNS) {
			continue
		}
		if !pathMatch(t.path, e.path) {
			c.anyPath = false
			continue
		}
		c.anyPath = c.anyPath && e.path == "/"
		if e.expires != 0 {
			c.until = min(c.until, e.expires)
		}
		if n <= cap(send) {
			send = append(send, e)
		}
		if size > 0 {
			size += 2
		}
		if e.name != "" {
			size += len(e.name) + 1
		}
		size += len(e.value)
	}
	return send, size
}

// writeHeader writes the Cookie header value of size bytes made of send,
// or of those of send that go to t when filter is set, and refreshes their
// last access.
func writeHeader(send []*entry, filter bool, t *target, nowNS int64, size int) string {
	var b strings.Builder
	b.Grow(size)
	for _, e := range send {
		if filter && !e.sendTo(t, nowNS) {
			continue
		}
		e.touch(nowNS)
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		// §5.8.3: a cookie with an empty name is sent as its value.
		if e.name != "" {
			b.WriteString(e.name)
			b.WriteByte('=')
		}
		b.WriteString(e.value)
	}
	return b.String()
}

// sendTo reports whether e goes with a request to t at now
// (RFC 6265bis §5.8.3).
func (e *entry) sendTo(t *target, now int64) bool {
	return e.sendToAnyPath(t, now) && pathMatch(t.path, e.path)
}

// sendToAnyPath is sendTo for a request to t's origin at any path.
func (e *entry) sendToAnyPath(t *target, now int64) bool {
	if e.expired(now) || (e.secure && !t.secure) {
		return false
	}
	return e.domain == t.host || (!e.hostOnly && hasDotSuffix(t.host, e.domain))
}

// A cachedHeader is a Cookie header built for a target, valid while the jar
// has made no change that may alter a Cookie header (gen is Jar.hgen) and
// until the first of its cookies expires.
type cachedHeader struct {
	gen     uint64
	until   int64 // Unix nanoseconds
	host    string
	path    string // the path it was built for
	secure  bool
	value   []string // as a header map holds it: nil, or one value with cap 1
	anyPath bool     // the header is the same for every path
}
