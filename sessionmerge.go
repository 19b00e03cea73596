package httpsession

import (
	"hash/maphash"
	"math"
	"strings"
	"time"
)

// The functions in this file bring a session document into a Jar: each
// cookie record of the file becomes an entry of the jar as it is decoded,
// with no list of the file's cookies in between, and a jar remembers the
// document it last read or wrote, so that the same document is recognised
// again without decoding it.

// docSeed seeds the hashes by which a session recognises a document it
// read or wrote before.
var docSeed = maphash.MakeSeed()

// docHash returns the hash of a stored document.
func docHash(data []byte) uint64 { return maphash.Bytes(docSeed, data) }

// A docState is what a jar holds of the session document it last read
// from a store or wrote to one: the document itself is merged into the
// jar, so that a store holding the same bytes again needs no decoding.
type docState struct {
	hash         uint64 // docHash of the document
	size         int    // its length, to size the next buffer
	token        *Token // its token
	tokenUpdated time.Time
	// sessionIDs are the identities of its session cookies, when the
	// session that read or wrote it kept them (hasIDs): a session that
	// drops its own session cookies keeps those of other writers.
	sessionIDs map[cookieID]bool
	hasIDs     bool
}

// lastDoc returns the state of the document j last read or wrote, nil if
// none.
func (j *Jar) lastDoc() *docState { return j.doc.Load() }

// setLastDoc records the document j last read or wrote.
func (j *Jar) setLastDoc(d *docState) { j.doc.Store(d) }

// A recordMerger folds in the cookie records of another writer one at a
// time, as merge does.
type recordMerger struct {
	*merger
	// Records come sorted by domain: each domain is canonicalized, and
	// the public suffix list asked about it, once per run.
	di      domainInfo
	diFor   string
	diValid bool
	// fresh says the jar was empty when the merge began: a record can
	// lose only to an earlier record of the same document then, which
	// merger.cookie checks, so that add need not look it up first.
	fresh bool
	// bulk is a fresh merge whose records have come in strictly
	// increasing identity order so far, as a session file lists them:
	// no record can replace an earlier one. Each valid record becomes an
	// entry, allocated with others (slab), and waits in pending, and the
	// groups are filled once, when the bulk ends (endBulk): every group
	// with exactly the room it needs, without a search for an identity.
	// A record out of order ends the bulk early, and the records after
	// it are merged one by one. The jar ends as merging every record one
	// by one leaves it: the same entries, sequence numbers, retrieval
	// order and trims (TestLoadInBulkLikeRecordByRecord).
	bulk    bool
	pending []*entry     // the entries of the bulk, in the file's order
	runs    []pendingRun // pending in runs of one group
	slab    []entry      // entries allocated together, taken from the front
}

// A pendingRun is the records from pending[start] to the next run's
// start, all of the group g, key key.
type pendingRun struct {
	g     *group
	key   string
	start int
}

// add folds in the cookie record c.
func (m *recordMerger) add(c *Cookie) {
	if d := strings.TrimPrefix(c.Domain, "."); !m.diValid || d != m.diFor {
		m.di, m.diFor, m.diValid = m.j.domainInfo(d), d, true
	}
	if !m.di.ok || !m.fresh && m.loses(c, &m.di) {
		return // normalize would refuse it, or it would lose
	}
	if m.bulk {
		m.bulkAdd(c)
		return
	}
	if e, why := m.j.normalizeIn(c, &m.di, m.now); why == "" {
		m.cookie(e, m.di.key)
	}
}

// slabSize is how many entries a bulk merge allocates at once. A slab
// stays allocated while any of its entries is in the jar: at most the
// memory the load itself took.
const slabSize = 128

// bulkAdd is add for a bulk merge.
func (m *recordMerger) bulkAdd(c *Cookie) {
	if len(m.slab) == 0 {
		m.slab = make([]entry, slabSize)
	}
	e := &m.slab[0]
	if why := normalizeInto(e, c, &m.di, m.now); why != "" {
		return // e is still zero, for the next record
	}
	if n := len(m.pending); n > 0 && byID(m.pending[n-1], e) >= 0 {
		// Out of order: e may replace an earlier record. Merge it, and
		// those after it, one at a time.
		m.endBulk()
		if e, why := m.j.normalizeIn(c, &m.di, m.now); why == "" { // not the slab's: e may lose
			m.cookie(e, m.di.key)
		}
		return
	}
	m.slab = m.slab[1:]
	j := m.j
	e.seq = j.seq
	j.seq++
	if n := len(m.runs); n == 0 || m.runs[n-1].key != m.di.key {
		g := j.groups[m.di.key]
		if g == nil {
			g = j.newGroup(m.di.key)
		}
		m.runs = append(m.runs, pendingRun{g: g, key: m.di.key, start: len(m.pending)})
	}
	m.pending = append(m.pending, e)
}

// endBulk fills the groups with the pending entries and ends the bulk:
// what comes after goes through merger.cookie. Every group of the jar is
// one the merge filled, so finish applies the limits to every group
// (merger.all).
func (m *recordMerger) endBulk() {
	if !m.bulk {
		return
	}
	m.bulk, m.all = false, true
	j := m.j
	// Each group's entries and names get exactly the room they need,
	// cut from one array each.
	need := make(map[*group]int, len(j.groups))
	for i, r := range m.runs {
		need[r.g] += m.runEnd(i) - r.start
	}
	entries := make([]*entry, 0, len(m.pending)+j.count)
	names := make([]uint32, 0, len(m.pending)+j.count)
	for g, n := range need {
		n += len(g.entries)
		ge, gn := entries[len(entries):len(entries):len(entries)+n], names[len(names):len(names):len(names)+n]
		g.entries, g.names = append(ge, g.entries...), append(gn, g.names...)
		entries, names = entries[:len(entries)+n], names[:len(names)+n]
	}
	nowNS := m.now.UnixNano()
	for i, r := range m.runs {
		g := r.g
		for _, e := range m.pending[r.start:m.runEnd(i)] {
			g.place(e)
			j.count++
			m.changed = true
			// As merger.cookie: a site's cookies past twice its limit
			// are trimmed as they come, here in the same order and at
			// the same counts. (Until here the bulk holds every valid
			// record of the file, where merging one by one holds at
			// most twice the limit of a site: a file of one huge site
			// costs an entry per record for the length of the load,
			// less than the file's own bytes.)
			if len(g.entries) >= 2*j.maxPerDomain {
				j.trimGroup(r.key, g, nowNS)
			}
		}
	}
	m.pending, m.runs, m.slab = nil, nil, nil
}

// runEnd is the end in pending of run i.
func (m *recordMerger) runEnd(i int) int {
	if i+1 < len(m.runs) {
		return m.runs[i+1].start
	}
	return len(m.pending)
}

// mergeSession decodes the session document data and merges it into j,
// as merge merges its cookies and tombstones; seen, if not nil, is called
// with each cookie record. On an error j is unchanged.
//
// An empty jar takes each record straight into an entry while the
// document is decoded, in bulk (recordMerger.bulk), and is emptied again
// on an error. A jar that holds cookies has the document decoded into a
// jar of its own first, whose entries it then takes over, so that an
// error halfway leaves it as it was. That jar applies the per-site limit
// to the file alone, as the records come, and this jar applies both
// limits afterwards: where a site holds more cookies than the limit,
// which ones stay may differ from merging the two sets at once.
func (j *Jar) mergeSession(data []byte, seen func(*Cookie)) (*sessionDoc, error) {
	m := &recordMerger{merger: j.startMerge()}
	if j.count != 0 || len(j.tombs) != 0 {
		j.mu.Unlock()
		return j.mergeSessionVia(data, seen)
	}
	m.fresh, m.bulk = true, true
	doc := &sessionDoc{}
	err := readSession(data, doc, func(c *Cookie) {
		if seen != nil {
			seen(c)
		}
		m.add(c)
	})
	if err != nil {
		// j was empty: empty it again.
		clear(j.groups)
		clear(j.deep)
		j.count, j.tombs = 0, nil
		j.mu.Unlock()
		return nil, err
	}
	m.endBulk()
	m.tombs(doc.tombs)
	m.finish()
	return doc, nil
}

// mergeSessionVia is mergeSession for a jar that holds cookies.
func (j *Jar) mergeSessionVia(data []byte, seen func(*Cookie)) (*sessionDoc, error) {
	staged := &Jar{
		psl: j.psl, now: j.now, maxPerDomain: j.maxPerDomain, maxTotal: math.MaxInt,
		groups: make(map[string]*group), deep: make(map[string]struct{}), hosts: make(map[string]cachedHost),
	}
	doc, err := staged.mergeSession(data, seen)
	if err != nil {
		return nil, err
	}
	m := j.startMerge()
	defer m.finish()
	for key, g := range staged.groups {
		// In retrieval order, so that entries created at the same
		// instant keep their order.
		for _, e := range g.entries {
			m.cookie(e, key)
		}
	}
	m.tombs(doc.tombs)
	return doc, nil
}
