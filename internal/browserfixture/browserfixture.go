// Package browserfixture restamps the expiry dates of the browser cookie
// databases kept in browsercookies/testdata, so that a test importing them
// into a jar passes on any day: the browsers wrote them with absolute
// expiries, which pass.
package browserfixture

import (
	"database/sql"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver "sqlite"
)

// chromiumEpoch is 1601-01-01 in Unix microseconds: Chromium stores
// expires_utc as microseconds since then.
const chromiumEpoch = 11644473600 * 1_000_000

// RestampFirefox sets the expiry of every persistent cookie in the Firefox
// cookies.sqlite at path to exp (milliseconds, as Firefox 133 and later
// write it).
func RestampFirefox(path string, exp time.Time) error {
	return restamp(path, `UPDATE moz_cookies SET expiry = ? WHERE expiry > 0`, exp.UnixMilli())
}

// RestampChromium sets expires_utc of every persistent cookie in the
// Chromium Cookies database at path to exp.
func RestampChromium(path string, exp time.Time) error {
	return restamp(path, `UPDATE cookies SET expires_utc = ? WHERE has_expires = 1`, exp.UnixMicro()+chromiumEpoch)
}

func restamp(path, q string, v int64) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.Exec(q, v)
	if err != nil {
		return fmt.Errorf("restamp %s: %w", path, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("restamp %s: no persistent cookie in the fixture", path)
	}
	return nil
}
