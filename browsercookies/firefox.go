package browsercookies

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// iniSection is one [section] of an INI file: its name and its keys in
// order of appearance.
type iniSection struct {
	name string
	keys map[string]string
}

// parseINI parses profiles.ini: "[Section]" headers and "key=value" lines;
// blank lines and lines starting with ";" or "#" are skipped, as is
// anything before the first section.
func parseINI(data []byte) []iniSection {
	var out []iniSection
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "\ufeff")
		switch {
		case line == "" || line[0] == ';' || line[0] == '#':
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			out = append(out, iniSection{name: line[1 : len(line)-1], keys: map[string]string{}})
		case len(out) > 0:
			if k, v, ok := strings.Cut(line, "="); ok {
				out[len(out)-1].keys[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

// firefoxProfiles lists the profiles that dir/profiles.ini names. The
// default is the one the [Install…] section names (Firefox 67 and later,
// one per installation), or else the profile marked Default=1.
func firefoxProfiles(dir string) ([]Profile, error) {
	data, err := readRegular(filepath.Join(dir, "profiles.ini"))
	if err != nil {
		return nil, err
	}
	secs := parseINI(data)
	installDefault := ""
	for _, s := range secs {
		if strings.HasPrefix(s.name, "Install") && s.keys["Default"] != "" {
			installDefault = s.keys["Default"]
			break
		}
	}
	var out []Profile
	for _, s := range secs {
		if !strings.HasPrefix(s.name, "Profile") || s.keys["Path"] == "" {
			continue
		}
		rel := s.keys["Path"]
		p := filepath.FromSlash(rel)
		if s.keys["IsRelative"] != "0" {
			p = filepath.Join(dir, p)
		}
		name := s.keys["Name"]
		if name == "" {
			name = filepath.Base(p)
		}
		def := s.keys["Default"] == "1"
		if installDefault != "" {
			def = rel == installDefault
		}
		out = append(out, Profile{Browser: Firefox, Name: name, ID: filepath.Base(p), Dir: p, Default: def})
	}
	return out, nil
}

// readFirefox reads the persistent cookies of cookies.sqlite and the
// session cookies of the session store. A cookie both hold is taken from
// cookies.sqlite.
func readFirefox(dir string, r *Report) ([]record, error) {
	var recs []record
	db := filepath.Join(dir, "cookies.sqlite")
	if _, err := os.Stat(db); err == nil {
		recs, err = readMozCookies(db, r)
		if err != nil {
			return nil, err
		}
	} else {
		r.Notes = append(r.Notes, "no cookies.sqlite: the profile has no persistent cookies")
	}
	sess, err := readFirefoxSession(dir, r)
	if err != nil {
		return nil, err
	}
	if sess == nil {
		r.Notes = append(r.Notes, "no session store (sessionstore.jsonlz4 or sessionstore-backups/recovery.jsonlz4): "+
			"session cookies not read; Firefox keeps them there while it runs, and after it exits only with "+
			"session restore on")
	}
	return append(recs, sess...), nil
}

// readMozCookies reads the moz_cookies table of a cookies.sqlite file,
// adding it to r's Sources.
func readMozCookies(path string, r *Report) ([]record, error) {
	db, cleanup, err := openCopy(path)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	fail := func(err error) ([]record, error) { return nil, fmt.Errorf("browsercookies: read %s: %w", path, err) }
	cols, err := columns(db, "moz_cookies")
	if err != nil {
		return fail(err)
	}
	count, err := countRows(db, "moz_cookies")
	if err != nil {
		return fail(err)
	}
	opt := func(col, def string) string {
		if cols[col] {
			return col
		}
		return def
	}
	q := "SELECT name, value, host, path, expiry, isSecure, isHttpOnly, " +
		opt("sameSite", "256") + ", " + opt("originAttributes", "''") + ", " +
		opt("creationTime", "0") + ", " + opt("lastAccessed", "0") + ", " +
		opt("isPartitionedAttributeSet", "0") + " FROM moz_cookies"
	rows, err := db.Query(q)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	v, err := newRowValues(rows)
	if err != nil {
		return fail(err)
	}
	var out []record
	for rows.Next() {
		if err := v.scan(rows); err != nil {
			return fail(err)
		}
		out = append(out, mozRecord(v, path, len(out)))
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	r.Sources = append(r.Sources, Source{Path: path, Cookies: count})
	if len(out) < count {
		r.Notes = append(r.Notes, unaccounted(path, count, len(out)))
	}
	return out, nil
}

// mozRecord is the record of row i of moz_cookies, read into v. Its stamp
// puts it before a copy in the session store.
func mozRecord(v *rowValues, path string, i int) record {
	host, oa := v.str(2), v.str(8)
	c := browserCookie(v.str(0), v.str(1), host, v.str(3), v.bool(5), v.bool(6), v.int(7))
	c.Partitioned = v.bool(11)
	// Firefox stored the expiry in seconds until its schema 16 and in
	// milliseconds since; no cookie lives to the year 5138, so the
	// magnitude tells which.
	if expiry := v.int(4); expiry > 1e11 {
		c.Expires = time.UnixMilli(expiry).UTC()
	} else if expiry > 0 {
		c.Expires = time.Unix(expiry, 0).UTC()
	}
	if created := v.int(9); created > 0 {
		c.Created = time.UnixMicro(created).UTC()
	}
	if accessed := v.int(10); accessed > 0 {
		c.LastAccess = time.UnixMicro(accessed).UTC()
	}
	rec := record{cookie: c, skip: originAttrsSkip(oa), part: oa, stamp: 1, src: path}
	if v.bad != "" {
		rec.skip, rec.part = badRow(v.bad), ownPart(path, i)
	}
	return rec
}

// originAttrsSkip says why a cookie with Firefox origin attributes
// ("^userContextId=1", "^partitionKey=…") is not imported, "" if it is.
// Such cookies belong to a container tab, a private window or a
// third-party partition, not to the session a plain client continues.
func originAttrsSkip(oa string) string {
	switch {
	case oa == "":
		return ""
	case strings.Contains(oa, "partitionKey="):
		return "third-party partitioned cookie (Firefox partitionKey)"
	case strings.Contains(oa, "privateBrowsingId="):
		return "private browsing cookie"
	default:
		return "cookie of a container tab or isolated context (Firefox originAttributes)"
	}
}

// mozSessionCookie is a cookie of Firefox's session store.
type mozSessionCookie struct {
	Host             string          `json:"host"`
	Name             string          `json:"name"`
	Value            string          `json:"value"`
	Path             string          `json:"path"`
	Secure           bool            `json:"secure"`
	HTTPOnly         bool            `json:"httponly"`
	SameSite         *int64          `json:"sameSite"`
	OriginAttributes json.RawMessage `json:"originAttributes"`
}

// readFirefoxSession reads the session cookies of the newer of
// sessionstore-backups/recovery.jsonlz4 (written while Firefox runs) and
// sessionstore.jsonlz4 (written when it exits with session restore on),
// adding it to r's Sources; nil if there is neither.
func readFirefoxSession(dir string, r *Report) ([]record, error) {
	var src string
	var newest time.Time
	for _, p := range []string{
		filepath.Join(dir, "sessionstore-backups", "recovery.jsonlz4"),
		filepath.Join(dir, "sessionstore.jsonlz4"),
	} {
		if fi, err := os.Stat(p); err == nil && fi.ModTime().After(newest) {
			src, newest = p, fi.ModTime()
		}
	}
	if src == "" {
		return nil, nil
	}
	data, err := readRegular(src)
	if err != nil {
		return nil, fmt.Errorf("browsercookies: read session store: %w", err)
	}
	recs, err := parseSessionStore(data, src)
	if err != nil {
		return nil, fmt.Errorf("browsercookies: read session store %s: %w", src, err)
	}
	r.Sources = append(r.Sources, Source{Path: src, Cookies: len(recs)})
	return recs, nil
}

// parseSessionStore returns the records of the cookies of a mozlz4
// session store file (named src), never nil. An entry of another shape
// than a cookie's is skipped.
func parseSessionStore(data []byte, src string) ([]record, error) {
	js, err := decodeMozLz4(data)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Cookies []json.RawMessage `json:"cookies"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid JSON at offset %d", se.Offset)
		}
		return nil, errors.New("unexpected JSON")
	}
	out := []record{}
	for i, raw := range doc.Cookies {
		var sc mozSessionCookie
		if err := json.Unmarshal(raw, &sc); err != nil {
			out = append(out, record{skip: "session store entry of an unexpected shape", part: ownPart(src, i), src: src})
			continue
		}
		ss := int64(256)
		if sc.SameSite != nil {
			ss = *sc.SameSite
		}
		oa := sessionOriginAttrs(sc.OriginAttributes)
		c := browserCookie(sc.Name, sc.Value, sc.Host, sc.Path, sc.Secure, sc.HTTPOnly, ss)
		out = append(out, record{cookie: c, skip: originAttrsSkip(oa), part: oa, src: src})
	}
	return out, nil
}

// sessionOriginAttrs renders the session store's originAttributes object
// in the "^key=value&…" form of cookies.sqlite, with default values left
// out as Firefox does.
func sessionOriginAttrs(raw json.RawMessage) string {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"userContextId", "privateBrowsingId", "firstPartyDomain", "geckoViewSessionContextId", "partitionKey"} {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				parts = append(parts, k+"="+v)
			}
		case float64:
			if v != 0 {
				parts = append(parts, fmt.Sprintf("%s=%v", k, v))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "^" + strings.Join(parts, "&")
}
