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

	"github.com/httpsession/httpsession"
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
// session cookies of the session store.
func readFirefox(dir string, r *Report, sk *skips) ([]httpsession.Cookie, error) {
	var cookies []httpsession.Cookie
	db := filepath.Join(dir, "cookies.sqlite")
	if _, err := os.Stat(db); err == nil {
		cookies, err = readMozCookies(db, sk)
		if err != nil {
			return nil, err
		}
	} else {
		r.Notes = append(r.Notes, "no cookies.sqlite: the profile has no persistent cookies")
	}
	sess, src, err := readFirefoxSession(dir, sk)
	if err != nil {
		return nil, err
	}
	if src == "" {
		r.Notes = append(r.Notes, "no session store (sessionstore.jsonlz4 or sessionstore-backups/recovery.jsonlz4): "+
			"session cookies not read; Firefox keeps them there while it runs, and after it exits only with "+
			"session restore on")
	}
	seen := map[[3]string]bool{}
	for _, c := range cookies {
		seen[[3]string{c.Name, c.Domain, c.Path}] = true
	}
	for _, c := range sess {
		if !seen[[3]string{c.Name, c.Domain, c.Path}] {
			cookies = append(cookies, c)
		}
	}
	return cookies, nil
}

// readMozCookies reads the moz_cookies table of a cookies.sqlite file.
func readMozCookies(path string, sk *skips) ([]httpsession.Cookie, error) {
	db, cleanup, err := openCopy(path)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	cols, err := columns(db, "moz_cookies")
	if err != nil {
		return nil, fmt.Errorf("browsercookies: read %s: %w", path, err)
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
		return nil, fmt.Errorf("browsercookies: read %s: %w", path, err)
	}
	defer rows.Close()
	var out []httpsession.Cookie
	for rows.Next() {
		var (
			name, value, host, cpath, oa string
			expiry, created, accessed    int64
			secure, httpOnly, part       bool
			sameSite                     int64
		)
		if err := rows.Scan(&name, &value, &host, &cpath, &expiry, &secure, &httpOnly, &sameSite, &oa,
			&created, &accessed, &part); err != nil {
			return nil, fmt.Errorf("browsercookies: read %s: %w", path, err)
		}
		if why := originAttrsSkip(oa); why != "" {
			sk.add(why, host)
			continue
		}
		c := browserCookie(name, value, host, cpath, secure, httpOnly, sameSite)
		c.Partitioned = part
		// Firefox stored the expiry in seconds until its schema 16 and in
		// milliseconds since; no cookie lives to the year 5138, so the
		// magnitude tells which.
		if expiry > 1e11 {
			c.Expires = time.UnixMilli(expiry).UTC()
		} else if expiry > 0 {
			c.Expires = time.Unix(expiry, 0).UTC()
		}
		if created > 0 {
			c.Created = time.UnixMicro(created).UTC()
		}
		if accessed > 0 {
			c.LastAccess = time.UnixMicro(accessed).UTC()
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("browsercookies: read %s: %w", path, err)
	}
	return out, nil
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
// and returns which file it read, "" if there was none.
func readFirefoxSession(dir string, sk *skips) ([]httpsession.Cookie, string, error) {
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
		return nil, "", nil
	}
	data, err := readRegular(src)
	if err != nil {
		return nil, "", fmt.Errorf("browsercookies: read session store: %w", err)
	}
	cookies, err := parseSessionStore(data, sk)
	if err != nil {
		return nil, "", fmt.Errorf("browsercookies: read session store %s: %w", src, err)
	}
	return cookies, src, nil
}

// parseSessionStore returns the cookies of a mozlz4 session store file.
func parseSessionStore(data []byte, sk *skips) ([]httpsession.Cookie, error) {
	js, err := decodeMozLz4(data)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Cookies []mozSessionCookie `json:"cookies"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid JSON at offset %d", se.Offset)
		}
		return nil, errors.New("unexpected JSON")
	}
	var out []httpsession.Cookie
	for _, sc := range doc.Cookies {
		if why := originAttrsSkip(sessionOriginAttrs(sc.OriginAttributes)); why != "" {
			sk.add(why, sc.Host)
			continue
		}
		ss := int64(256)
		if sc.SameSite != nil {
			ss = *sc.SameSite
		}
		out = append(out, browserCookie(sc.Name, sc.Value, sc.Host, sc.Path, sc.Secure, sc.HTTPOnly, ss))
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
