package browsercookies

import (
	"cmp"
	"database/sql"
	"fmt"
	"strings"

	"github.com/httpsession/httpsession"
)

// The readers turn each row of a cookie database and each cookie of a
// session store into a record, read or skipped with a reason; settle then
// counts them, a cookie held twice once. So the report's counts add up:
// Found = cookies returned + Filtered + the Skipped counts, and every
// Source's count is what the file holds.

// A record is one cookie as a profile's file holds it.
type record struct {
	cookie httpsession.Cookie
	// skip says why the cookie is not imported, "" if it is.
	skip string
	// part is the partition that makes two cookies of one name, domain
	// and path distinct in the browser (Firefox's originAttributes,
	// Chromium's top_frame_site_key); a row that could not be read gets
	// a part of its own, so that it is never taken for a copy.
	part string
	// stamp orders copies of one cookie: the greatest is taken, the
	// first of equals.
	stamp int64
	src   string // the Path of the Source that holds it
}

// recordKey is a cookie's identity in the browser.
type recordKey struct {
	name, domain, path string
	hostOnly           bool
	part               string
}

func (r *record) key() recordKey {
	c := &r.cookie
	return recordKey{c.Name, strings.ToLower(c.Domain), cmp.Or(c.Path, "/"), c.HostOnly, r.part}
}

// settle returns the cookies of recs to import, each once, and fills in
// r's Found, Skipped and the New count of its Sources.
func settle(recs []record, r *Report) []httpsession.Cookie {
	at := make(map[recordKey]int, len(recs))
	var uniq []record
	for _, rec := range recs {
		k := rec.key()
		i, seen := at[k]
		if !seen {
			at[k] = len(uniq)
			uniq = append(uniq, rec)
			for j := range r.Sources {
				if r.Sources[j].Path == rec.src {
					r.Sources[j].New++
				}
			}
			continue
		}
		if rec.stamp > uniq[i].stamp {
			uniq[i] = rec
		}
	}
	var sk skips
	var out []httpsession.Cookie
	for _, rec := range uniq {
		if rec.skip != "" {
			sk.add(rec.skip, rec.cookie.Domain)
			continue
		}
		out = append(out, rec.cookie)
	}
	r.Found = len(uniq)
	r.Skipped = sk
	return out
}

// countRows returns the number of rows of a cookie table, counted by
// SQLite itself: what the reader must account for.
func countRows(db *sql.DB, table string) (int, error) {
	var n int
	err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
	return n, err
}

// unaccounted is the note of a table that holds more rows than the
// reader saw; it should never be written.
func unaccounted(path string, rows, read int) string {
	return fmt.Sprintf("%s holds %d cookies but %d were read: the other %d are in none of the counts", path, rows, read, rows-read)
}

// rowValues holds one row of a query, each column as the driver gave it,
// so that a value of an unexpected type (a schema newer than this reader,
// a NULL) skips its row instead of ending the import.
type rowValues struct {
	cols []string
	vals []any
	bad  string // the first column whose value did not convert
}

func newRowValues(rows *sql.Rows) (*rowValues, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	return &rowValues{cols: cols, vals: make([]any, len(cols))}, nil
}

// scan reads the current row.
func (v *rowValues) scan(rows *sql.Rows) error {
	ptrs := make([]any, len(v.vals))
	for i := range v.vals {
		v.vals[i] = nil
		ptrs[i] = &v.vals[i]
	}
	v.bad = ""
	return rows.Scan(ptrs...)
}

func (v *rowValues) fail(i int) {
	if v.bad == "" {
		v.bad = v.cols[i]
	}
}

// badRow is the Skip reason of a row with a value of column col that did
// not convert.
func badRow(col string) string {
	return "row with a value of an unexpected type (column " + col + ")"
}

// ownPart is the part of the record of row i of file path that could not
// be read: no other record has it.
func ownPart(path string, i int) string { return fmt.Sprintf("\x00unread %d of %s", i, path) }

// str returns column i as text; NULL is "".
func (v *rowValues) str(i int) string {
	switch x := v.vals[i].(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	}
	v.fail(i)
	return ""
}

// blob returns column i as bytes; NULL is nil.
func (v *rowValues) blob(i int) []byte {
	switch x := v.vals[i].(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	case nil:
		return nil
	}
	v.fail(i)
	return nil
}

// int returns column i as an integer; NULL is 0.
func (v *rowValues) int(i int) int64 {
	switch x := v.vals[i].(type) {
	case int64:
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	case nil:
		return 0
	}
	v.fail(i)
	return 0
}

// bool returns column i as a flag: an integer other than 0.
func (v *rowValues) bool(i int) bool { return v.int(i) != 0 }
