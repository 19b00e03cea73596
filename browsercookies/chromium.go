package browsercookies

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/httpsession/httpsession"
)

// windowsEpochOffset is the number of seconds from 1601-01-01, the epoch
// of Chromium's timestamps (microseconds), to the Unix epoch.
const windowsEpochOffset = 11644473600

// chromiumTime converts a Chromium timestamp; 0 is the zero time.
func chromiumTime(us int64) time.Time {
	if us <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(us - windowsEpochOffset*1e6).UTC()
}

// localState is the part of a Chromium user-data directory's "Local
// State" file this package reads.
type localState struct {
	Profile struct {
		InfoCache map[string]struct {
			Name string `json:"name"`
		} `json:"info_cache"`
		LastUsed string `json:"last_used"`
	} `json:"profile"`
	OSCrypt struct {
		EncryptedKey string `json:"encrypted_key"`
	} `json:"os_crypt"`
}

func readLocalState(userDataDir string) (*localState, error) {
	data, err := readRegular(filepath.Join(userDataDir, "Local State"))
	if err != nil {
		return nil, err
	}
	var ls localState
	if err := json.Unmarshal(data, &ls); err != nil {
		return nil, fmt.Errorf("browsercookies: read Local State: not JSON")
	}
	return &ls, nil
}

// cookiesPath returns the Cookies database of a Chromium profile
// directory: Network/Cookies since Chromium 96, Cookies before.
func cookiesPath(profileDir string) (string, bool) {
	for _, p := range []string{filepath.Join(profileDir, "Network", "Cookies"), filepath.Join(profileDir, "Cookies")} {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// chromiumProfiles lists the profiles of a Chromium user-data directory:
// those "Local State" names, and any "Default" or "Profile N" directory
// with a cookie database. The default is the last used one, or "Default".
func chromiumProfiles(b Browser, dir string) ([]Profile, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	ls, err := readLocalState(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	names := map[string]string{}
	def := "Default"
	if ls != nil {
		for id, info := range ls.Profile.InfoCache {
			names[id] = info.Name
		}
		if ls.Profile.LastUsed != "" {
			def = ls.Profile.LastUsed
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		id := e.Name()
		if _, ok := names[id]; !ok && e.IsDir() && (id == "Default" || strings.HasPrefix(id, "Profile ")) {
			if _, ok := cookiesPath(filepath.Join(dir, id)); ok {
				names[id] = id
			}
		}
	}
	var out []Profile
	for id, name := range names {
		if name == "" {
			name = id
		}
		out = append(out, Profile{Browser: b, Name: name, ID: id, Dir: filepath.Join(dir, id), Default: id == def})
	}
	slices.SortFunc(out, func(a, b Profile) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// readChromium reads the cookies of a Chromium-family profile directory,
// decrypting them with this platform's keys.
func readChromium(ctx context.Context, o Options, profileDir string, r *Report) ([]record, error) {
	path, ok := cookiesPath(profileDir)
	if !ok {
		return nil, fmt.Errorf("%w: no Cookies database in %s", ErrNoProfile, profileDir)
	}
	dec := newPlatformDecrypter(ctx, o.Browser, o.SafeStoragePassword, filepath.Dir(profileDir))
	return readChromiumDB(path, dec, r)
}

// A decrypter decrypts an encrypted_value. It returns the plaintext, or a
// reason to skip the cookie (a key the platform cannot give), or an error
// that ends the import (no key at all).
type decrypter interface {
	decrypt(enc []byte) (plain []byte, skip string, err error)
}

// chromiumRow is one row of the cookies table.
type chromiumRow struct {
	host, name, value, path         string
	enc                             []byte
	expires, created, accessed      int64
	secure, httpOnly, hasExp, persi bool
	sameSite                        int64
	topFrameSite                    string
	updated                         int64
	bad                             string // the column of an unexpected value
}

// readChromiumDB reads a Chromium Cookies database with dec, adding it to
// r's Sources. Each row is a record: a cookie, or a skip. A key the
// platform cannot give ends the read, with the number of cookies that
// need it.
func readChromiumDB(path string, dec decrypter, r *Report) ([]record, error) {
	db, cleanup, err := openCopy(path)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	version, err := metaVersion(db)
	if err != nil {
		return nil, fmt.Errorf("browsercookies: read %s: %w", path, err)
	}
	count, err := countRows(db, "cookies")
	if err != nil {
		return nil, fmt.Errorf("browsercookies: read %s: %w", path, err)
	}
	rows, err := queryChromium(db)
	if err != nil {
		return nil, fmt.Errorf("browsercookies: read %s: %w", path, err)
	}
	r.Sources = append(r.Sources, Source{Path: path, Cookies: count})
	if len(rows) < count {
		r.Notes = append(r.Notes, unaccounted(path, count, len(rows)))
	}
	var out []record
	var keyErr error
	needKey := 0
	for i, row := range rows {
		rec := record{cookie: row.cookie(""), part: row.topFrameSite, stamp: max(row.updated, row.created), src: path}
		switch {
		case row.bad != "":
			rec.skip, rec.part = badRow(row.bad), ownPart(path, i)
		case row.topFrameSite != "":
			rec.skip = "partitioned cookie (CHIPS, keyed by a top-level site)"
		case row.value == "" && len(row.enc) > 0:
			plain, skip, err := dec.decrypt(row.enc)
			if err != nil {
				// Go on, to say how many cookies the key would give.
				keyErr = err
				needKey++
				continue
			}
			if skip == "" {
				if plain, err = stripHostHash(plain, row.host, version); err != nil {
					skip = "undecryptable value (wrong key?)"
				}
			}
			rec.skip = skip
			rec.cookie.Value = string(plain)
		default:
			rec.cookie.Value = row.value
		}
		out = append(out, rec)
	}
	if keyErr != nil {
		return nil, fmt.Errorf("%w (%d of the %d cookies in %s need it)", keyErr, needKey, count, path)
	}
	return out, nil
}

// cookie builds the Cookie of a row: a leading dot on host_key marks a
// domain cookie; samesite is -1 (unspecified), 0 (None), 1 (Lax) or 2
// (Strict); a cookie without has_expires or is_persistent is a session
// cookie.
func (r *chromiumRow) cookie(value string) httpsession.Cookie {
	c := browserCookie(r.name, value, r.host, r.path, r.secure, r.httpOnly, r.sameSite)
	c.Created, c.LastAccess = chromiumTime(r.created), chromiumTime(r.accessed)
	if r.hasExp && r.persi {
		c.Expires = chromiumTime(r.expires)
	}
	return c
}

// metaVersion returns the database's schema version from its meta table.
func metaVersion(db *sql.DB) (int, error) {
	var v int
	err := db.QueryRow("SELECT value FROM meta WHERE key = 'version'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// queryChromium reads the cookies table, whose columns changed over the
// years: secure and httponly became is_secure and is_httponly (schema 13),
// persistent is_persistent, and samesite, top_frame_site_key and
// last_update_utc came later.
func queryChromium(db *sql.DB) ([]chromiumRow, error) {
	cols, err := columns(db, "cookies")
	if err != nil {
		return nil, err
	}
	pick := func(def string, names ...string) string {
		for _, n := range names {
			if cols[n] {
				return n
			}
		}
		return def
	}
	q := "SELECT host_key, name, value, " + pick("x''", "encrypted_value") + ", path, expires_utc, " +
		pick("0", "is_secure", "secure") + ", " + pick("0", "is_httponly", "httponly") + ", " +
		pick("1", "has_expires") + ", " + pick("1", "is_persistent", "persistent") + ", " +
		pick("-1", "samesite") + ", " + pick("0", "creation_utc") + ", " + pick("0", "last_access_utc") + ", " +
		pick("''", "top_frame_site_key") + ", " + pick("0", "last_update_utc") + " FROM cookies"
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	v, err := newRowValues(rows)
	if err != nil {
		return nil, err
	}
	var out []chromiumRow
	for rows.Next() {
		if err := v.scan(rows); err != nil {
			return nil, err
		}
		r := chromiumRow{
			host: v.str(0), name: v.str(1), value: v.str(2), enc: v.blob(3), path: v.str(4), expires: v.int(5),
			secure: v.bool(6), httpOnly: v.bool(7), hasExp: v.bool(8), persi: v.bool(9), sameSite: v.int(10),
			created: v.int(11), accessed: v.int(12), topFrameSite: v.str(13), updated: v.int(14),
		}
		r.bad = v.bad
		out = append(out, r)
	}
	return out, rows.Err()
}
