package httpsession

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// A storageState document's "origins" hold each origin's web storage
// (localStorage, in Playwright's form), where single-page apps keep their
// tokens. A Jar keeps them beside its cookies, so that a storageState
// imported into a session and exported again still logs the browser in:
// they are saved in the session file under an optional key, merged with
// other writers origin by origin (the newer wins), and given back by
// StorageState. The jar does not read or use them.

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

// parseOrigins reads a storageState "origins" array: objects, each with
// an "origin" string. Later entries for one origin replace earlier ones.
func parseOrigins(raw json.RawMessage, now time.Time) ([]storedOrigin, error) {
	if b := bytes.TrimSpace(raw); len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%w: origins is not an array", ErrBadStorageState)
	}
	out := make([]storedOrigin, 0, len(items))
	for i, it := range items {
		var head struct {
			Origin *string `json:"origin"`
		}
		if json.Unmarshal(it, &head) != nil || head.Origin == nil || *head.Origin == "" {
			return nil, fmt.Errorf("%w: origin %d is not an object with an origin", ErrBadStorageState, i)
		}
		var compact bytes.Buffer
		json.Compact(&compact, it) // valid: it was unmarshalled above
		out = append(out, storedOrigin{origin: *head.Origin, state: compact.Bytes(), updated: now})
	}
	return out, nil
}

// mergeOrigins folds in origins: an origin not held, or held with an
// older update time, takes the record. It reports whether anything
// changed.
func (s *siteOrigins) merge(origins []storedOrigin) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, o := range origins {
		old, ok := s.m[o.origin]
		if ok && (!o.updated.After(old.updated) || bytes.Equal(old.state, o.state)) {
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

// originsJSON is the stored origins as a storageState "origins" array.
func originsJSON(origins []storedOrigin) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, o := range origins {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o.state)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// mergeOrigins folds in origins another writer stored (see siteOrigins),
// counting a change in the jar's generation so that it is saved.
func (j *Jar) mergeOrigins(origins []storedOrigin) {
	if len(origins) > 0 && j.origins.merge(origins) {
		j.mu.Lock()
		j.gen.Add(1)
		j.mu.Unlock()
	}
}

// ImportStorageState adds the cookies of a storageState document to j
// through Add, in order, returning a *CookieError for each one the jar
// refused, and keeps its origins (localStorage) for StorageState and the
// session file, each origin replacing what j held for it. A malformed
// origins array adds nothing and matches ErrBadStorageState.
func (j *Jar) ImportStorageState(s *StorageState) (rejected []*CookieError, err error) {
	origins, err := parseOrigins(s.Origins, j.now())
	if err != nil {
		return nil, err
	}
	for _, c := range s.JarCookies() {
		var ce *CookieError
		if err := j.Add(c); errors.As(err, &ce) {
			rejected = append(rejected, ce)
		}
	}
	j.mergeOrigins(origins)
	return rejected, nil
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
