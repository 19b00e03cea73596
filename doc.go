// Package httpsession is an HTTP client session for programs that act on
// the web as a logged-in user: a public-suffix-aware RFC 6265bis cookie jar
// that persists to a JSON session file, a bearer token manager, and a retry
// policy, all reachable through a plain *http.Client.
package httpsession
