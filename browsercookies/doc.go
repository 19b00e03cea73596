// Package browsercookies reads the cookies of an installed browser, so
// that a program can carry on a session the user started by hand (a login
// with 2FA, a captcha, SSO) in Firefox or a Chromium-family browser.
//
// [Read] returns a profile's cookies, decrypted, and a [Report]; [Import]
// puts them into an [httpsession.Jar] through its own rules (public
// suffixes, cookie prefixes, size limits) and reports what it kept, what it
// refused and why, and what it skipped: a cookie is never left out without
// the report saying so. The report's counts add up: each file read is a
// [Source] with the cookies it holds (a cookie database's rows as SQLite
// counts them), a cookie held twice is counted once in [Report.Found],
// and Found is what Read returned plus what the domain filter left out
// plus what was skipped; with Import, what Read returned was kept,
// rejected or evicted by the jar's limits. [Profiles] lists the profiles
// found.
//
// Firefox cookies come from cookies.sqlite and, for session cookies, from
// the session store (sessionstore-backups/recovery.jsonlz4 while Firefox
// runs, sessionstore.jsonlz4 after it exits with session restore on).
// Chromium, Chrome, Edge and Brave keep theirs in the profile's Cookies
// database, encrypted: on Linux with the fixed v10 key or the v11 key from
// the Secret Service, on macOS with the key from the Keychain, on Windows
// with the key DPAPI protects. Windows' app-bound (v20) cookies can only
// be decrypted by the browser's elevated service; they are skipped and
// reported.
//
// The databases are read from copies (with their -wal and -journal files),
// so a running browser is no obstacle and the browser's files are never
// written; but a running browser writes its newest cookies to disk only
// every few seconds, so [Report.Running] names its lock and a note says
// that a login just made may be missing. SQLite is modernc.org/sqlite, in
// pure Go.
//
// The cookies are secrets, as good as the user's password for the sites
// they belong to: keep them in a session file (which is written 0600 and
// can be encrypted), never in logs. [httpsession.Cookie] never prints its
// value, and neither do this package's errors and reports.
package browsercookies
