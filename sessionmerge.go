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
}

// add folds in the cookie record c.
func (m *recordMerger) add(c *Cookie) {
	if d := strings.TrimPrefix(c.Domain, "."); !m.diValid || d != m.diFor {
		m.di, m.diFor, m.diValid = m.j.domainInfo(d), d, true
	}
	if !m.di.ok || !m.fresh && m.loses(c, &m.di) {
		return // normalize would refuse it, or it would lose
	}
	if e, why := m.j.normalizeIn(c, &m.di, m.now); why == "" {
		m.cookie(e, m.di.key)
	}
}

// mergeSession decodes the session document data and merges it into j,
// as merge merges its cookies and tombstones; seen, if not nil, is called
// with each cookie record. On an error j is unchanged.
//
// An empty jar takes each record straight into an entry while the
// document is decoded, and is emptied again on an error. A jar that holds
// cookies has the document decoded into a jar of its own first, whose
// entries it then takes over, so that an error halfway leaves it as it
// was. That jar applies the per-site limit to the file alone, as the
// records come, and this jar applies both limits afterwards: where a site
// holds more cookies than the limit, which ones stay may differ from
// merging the two sets at once.
func (j *Jar) mergeSession(data []byte, seen func(*Cookie)) (*sessionDoc, error) {
	m := &recordMerger{merger: j.startMerge()}
	if j.count != 0 || len(j.tombs) != 0 {
		j.mu.Unlock()
		return j.mergeSessionVia(data, seen)
	}
	m.fresh = true
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
