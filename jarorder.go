package httpsession

import (
	"hash/maphash"
	"slices"
	"time"
)

// A jar's cookies are listed (All, and every save) in the order of their
// identity: domain, path, name and host-only flag. Sorting 100,000
// entries is a quarter of a save, and a jar saved again has often not
// changed in between, so the jar keeps the order it last sorted and uses
// it again while it holds the same entries.

// An entryOrder is the live entries of a jar at one time, sorted by
// identity, with what identifies that set of entries.
type entryOrder struct {
	gen     uint64 // the jar's generation
	set     entrySet
	entries []*entry // sorted; never changed once stored
}

// An entrySet identifies a set of entries: their number and the sum of
// a hash of each entry's address. An entry is replaced, never changed in
// place, but for its last-access time, and the order holds every entry
// it lists, so no entry of a later set has the address of one it lists.
type entrySet struct {
	n   int
	sum uint64
}

// orderSeed seeds the hashes of entrySet.
var orderSeed = maphash.MakeSeed()

func (s *entrySet) add(e *entry) {
	s.n++
	s.sum += maphash.Comparable(orderSeed, e)
}

// byID orders entries by identity, the order of a session file.
func byID(a, b *entry) int {
	return cookieCmp(a.domain, a.path, a.name, a.hostOnly, b.domain, b.path, b.name, b.hostOnly)
}

// sortedLive returns the entries of j that have not expired at nowNS,
// sorted by identity. The slice is shared: the caller must not change
// it. j.mu must be held, for reading at least.
func (j *Jar) sortedLive(nowNS int64) []*entry {
	var set entrySet
	for _, g := range j.groups {
		for _, e := range g.entries {
			if !e.expired(nowNS) {
				set.add(e)
			}
		}
	}
	gen := j.gen.Load()
	if o := j.order.Load(); o != nil && o.gen == gen && o.set == set {
		return o.entries
	}
	// Sorting pointers moves 8 bytes where a Cookie has about 180.
	live := make([]*entry, 0, set.n)
	for _, g := range j.groups {
		for _, e := range g.entries {
			if !e.expired(nowNS) {
				live = append(live, e)
			}
		}
	}
	slices.SortFunc(live, byID)
	j.order.Store(&entryOrder{gen: gen, set: set, entries: live})
	return live
}

// All returns every live cookie, ordered by domain, path, name and
// host-only flag.
func (j *Jar) All() []Cookie {
	return j.all(j.now())
}

func (j *Jar) all(now time.Time) []Cookie {
	j.mu.RLock()
	defer j.mu.RUnlock()
	live := j.sortedLive(now.UnixNano())
	out := make([]Cookie, len(live))
	for i, e := range live {
		out[i] = e.cookie()
	}
	return out
}
