package httpsession

import (
	"cmp"
	"slices"
	"strings"
)

// The jar's limits (RFC 6265bis §5.7, counted per registrable domain as
// Chromium does): eviction of expired cookies first, then of the least
// recently accessed, per site and in total.

// cookieCmp orders cookie identities: domain, path, name, host-only.
func cookieCmp(ad, ap, an string, ah bool, bd, bp, bn string, bh bool) int {
	if c := strings.Compare(ad, bd); c != 0 {
		return c
	}
	if c := strings.Compare(ap, bp); c != 0 {
		return c
	}
	if c := strings.Compare(an, bn); c != 0 {
		return c
	}
	switch {
	case ah == bh:
		return 0
	case ah:
		return 1
	default:
		return -1
	}
}

// lru reports whether a is evicted before b: least recently accessed
// first, then the oldest.
func lru(a, b *entry) int {
	la, lb := a.lastAccess.Load(), b.lastAccess.Load()
	switch {
	case la != lb:
		return cmp.Compare(la, lb)
	case a.created != b.created:
		return cmp.Compare(a.created, b.created)
	}
	return cmp.Compare(a.seq, b.seq)
}

// enforceLimits evicts cookies when group key or the jar holds too many
// (RFC 6265bis §5.7): expired ones first, then the least recently
// accessed. Evictions leave no tombstone: they are this jar's own
// housekeeping, not a deletion to share. j.mu must be held.
func (j *Jar) enforceLimits(key string, g *group, now int64) {
	if g != nil {
		j.trimGroup(key, g, now)
	}
	j.enforceTotal(now)
}

// trimGroup applies the per-site limit to group key: it drops its expired
// cookies and then the least recently accessed, down to
// MaxCookiesPerDomain. j.mu must be held.
func (j *Jar) trimGroup(key string, g *group, now int64) {
	if len(g.entries) <= j.maxPerDomain {
		return
	}
	j.dropExpired(key, g, now)
	switch excess := len(g.entries) - j.maxPerDomain; {
	case excess <= 0:
	case excess == 1:
		// The usual case, one cookie set past the limit: one pass.
		victim := 0
		for i, e := range g.entries {
			if lru(e, g.entries[victim]) < 0 {
				victim = i
			}
		}
		j.removeAt(key, g, victim, now, false)
	default:
		// A merge can bring many more: sort once.
		byLRU := slices.SortedFunc(slices.Values(g.entries), lru)
		evict := make(map[*entry]bool, excess)
		for _, e := range byLRU[:excess] {
			evict[e] = true
		}
		j.count -= g.deleteFunc(func(e *entry) bool { return evict[e] })
	}
}

// enforceTotal applies the jar's limit: when it holds more than
// MaxCookies, it drops every expired cookie and then the least recently
// accessed, down to a tenth below the limit. j.mu must be held.
func (j *Jar) enforceTotal(now int64) {
	if j.count <= j.maxTotal {
		return
	}
	for k, g := range j.groups {
		j.dropExpired(k, g, now)
	}
	if j.count <= j.maxTotal {
		return
	}
	all := make([]*entry, 0, j.count)
	for _, g := range j.groups {
		all = append(all, g.entries...)
	}
	slices.SortFunc(all, lru)
	evict := make(map[*entry]bool)
	for _, e := range all[:j.count-(j.maxTotal-j.maxTotal/10)] {
		evict[e] = true
	}
	for k, g := range j.groups {
		j.count -= g.deleteFunc(func(e *entry) bool { return evict[e] })
		if len(g.entries) == 0 {
			j.dropGroup(k)
		}
	}
}
