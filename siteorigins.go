package httpsession

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/httpsession/httpsession/internal/jarorigins"
)

// A storageState document's "origins" hold each origin's web storage
// (localStorage, in Playwright's form), where single-page apps keep their
// tokens. A Jar keeps them beside its cookies, so that a storageState
// imported into a session and exported again still logs the browser in:
// they are saved in the session file under an optional key, merged with
// other writers origin by origin (the newer wins), and given back by
// package storagestate's FromJar. The jar does not read or use them.

// storedOrigin is one origin's object of a storageState document, as it
// came ({"origin": …, "localStorage": […], …}), and when it was stored.
type storedOrigin struct {
	origin  string
	state   json.RawMessage
	updated time.Time
}

// siteOrigins is the Jar's set of stored origins.
type siteOrigins struct {
	mu sync.Mutex
	m  map[string]storedOrigin // by origin
}

// merge folds in origins: an origin not held, or held with an
// older update time, takes the record; with replace (an import here,
// the newest write even when the clock has not moved since the last one)
// every origin takes it. It reports whether anything changed.
func (s *siteOrigins) merge(origins []storedOrigin, replace bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, o := range origins {
		old, ok := s.m[o.origin]
		if ok && ((!replace && !o.updated.After(old.updated)) || bytes.Equal(old.state, o.state)) {
			continue
		}
		if s.m == nil {
			s.m = make(map[string]storedOrigin)
		}
		s.m[o.origin] = o
		changed = true
	}
	return changed
}

// snapshot returns the stored origins sorted by origin.
func (s *siteOrigins) snapshot() []storedOrigin {
	s.mu.Lock()
	out := make([]storedOrigin, 0, len(s.m))
	for _, o := range s.m {
		out = append(out, o)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b storedOrigin) int { return cmp.Compare(a.origin, b.origin) })
	return out
}

// mergeOrigins folds in origins another writer stored (see siteOrigins),
// counting a change in the jar's generation so that it is saved.
func (j *Jar) mergeOrigins(origins []storedOrigin) { j.foldOrigins(origins, false) }

// foldOrigins is mergeOrigins, or with replace the storing of imported
// origins (see siteOrigins.merge).
func (j *Jar) foldOrigins(origins []storedOrigin, replace bool) {
	if len(origins) > 0 && j.origins.merge(origins, replace) {
		j.mu.Lock()
		j.gen.Add(1)
		j.mu.Unlock()
	}
}

// The origins reach package storagestate, which reads and writes the
// format, through internal/jarorigins: only the jar knows where they are
// kept, and neither package names the other's types in its public API.
func init() {
	jarorigins.Snapshot = func(jar any) []jarorigins.Origin {
		stored := jar.(*Jar).origins.snapshot()
		out := make([]jarorigins.Origin, len(stored))
		for i, o := range stored {
			out[i] = jarorigins.Origin{Origin: o.origin, State: o.state}
		}
		return out
	}
	jarorigins.Merge = func(jar any, origins []jarorigins.Origin) {
		j := jar.(*Jar)
		now := j.now()
		stored := make([]storedOrigin, len(origins))
		for i, o := range origins {
			stored[i] = storedOrigin{origin: o.Origin, state: o.State, updated: now}
		}
		j.foldOrigins(stored, true)
	}
}

// In the session file, "origins" is an array of originRecords, one per
// line, sorted by origin, written only when there are any: u is when the
// origin was stored, state its object as the storageState document had
// it. A reader that knows no origins skips the key, and the file stays
// version 1.

// origins writes the document's "origins" member, if there are any.
func (w recordWriter) origins(origins []storedOrigin) {
	if len(origins) == 0 {
		return
	}
	w.array("origins", len(origins), func(i int) any {
		o := &origins[i]
		return &originRecord{Origin: o.origin, Updated: milli(o.updated), State: jsontext.Value(o.state)}
	})
}

// origins reads the document's "origins" member.
func (r *docReader) origins() error {
	var rec originRecord
	return r.array("origin", func(i int) error {
		rec = originRecord{}
		if err := r.decode(&rec); err != nil {
			return err
		}
		o, err := rec.storedOrigin(i)
		if err == nil {
			r.doc.origins = append(r.doc.origins, o)
		}
		return err
	})
}

// originRecord is an origin's line in the session file (written and read
// by sessionjson.go's codec, of go-json-experiment/json).
type originRecord struct {
	Origin  string         `json:"origin"`
	Updated int64          `json:"u"`
	State   jsontext.Value `json:"state"`
}

func (r *originRecord) storedOrigin(i int) (storedOrigin, error) {
	if r.Origin == "" || len(r.State) == 0 || r.State[0] != '{' {
		return storedOrigin{}, corrupt("origin %d: no origin or state object", i)
	}
	var compact bytes.Buffer
	json.Compact(&compact, r.State) // the decoder checked it
	return storedOrigin{origin: r.Origin, state: compact.Bytes(), updated: time.UnixMilli(r.Updated)}, nil
}
