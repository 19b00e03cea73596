// Package httpsession is an HTTP client session for programs that act on the
// web as a logged-in user: a public-suffix-aware cookie jar following RFC 6265
// and RFC 6265bis that implements [http.CookieJar], a bearer token manager and
// a retry policy, all living in one [http.RoundTripper], persisted to a JSON
// session file and reachable through a plain *http.Client.
//
// # Request path
//
// The session sits below http.Client's redirect loop and above the base
// transport, so it sees every hop of a redirect chain and every attempt of
// each hop. Each attempt sends the jar's cookies as they are at that moment
// and stores the Set-Cookie lines of every response, including redirects and
// the 429, 502, 503, 504 or 401 about to be retried. The bearer token is added
// only when the hop's origin is one of [Options.AuthOrigins], so a redirect
// elsewhere never carries it; a 401 from such an origin makes the
// [TokenManager] refresh the token (or log in again) and the request is
// replayed once. A retry loop above http.Client could not be handed to an
// SDK, and one below its own jar handling would send stale cookies: hence
// [Client.HTTPClient] is a plain *http.Client whose Transport is the session
// and which has no Jar of its own. Give it to any SDK and its requests carry
// the session.
//
//	Client.Do = http.Client.Do         client.go: follows redirects, one RoundTrip per hop
//	└ transport.RoundTrip              transport.go: one hop
//	  └ RetryPolicy.do                 retry.go: 429/502/503/504 and connection errors, retry budget (budget.go)
//	   └ listener.try                  listen.go: breaker (breaker.go), pacing (pacer.go), rate-limit fields (ratelimit.go)
//	    └ transport.attempt            transport.go: one attempt; a 401 (or a logout, formlogin.go) replays it once
//	      └ transport.send             transport.go: one request on the wire
//	        ├ TokenManager.authorization   tokens.go: Authorization, allowed origins only;
//	        │                              a new token under a shared store's lock: tokenlock.go,
//	        │                              from Options.Auth: jsonlogin.go, formlogin.go,
//	        │                              basicauth.go, or package oauth's flows
//	        ├ Jar.headerFor                jarheader.go: Cookie header (RFC 6265bis §5.8)
//	        ├ csrfState.add                csrf.go: the CSRF token, to the origin that set it only
//	        ├ base.RoundTrip
//	        ├ Jar.storeLines               jaraccept.go: Set-Cookie (§5.7), parsed by setcookie.go
//	        └ csrfState.observe            csrf.go: a CSRF cookie or <meta> received
//
// # Save path
//
//	Client.Save, Close, AutoSave        client.go
//	└ session.save                      persist.go: nothing changed here?
//	  ├ Store.Load                      only read the store: done if the document is
//	  │                                 the one last seen (or none) and no write is
//	  │                                 due (MigratingStore)
//	  └ session.persist                 persist.go: else merge under the store's lock
//	    └ Store.Update                  store.go: FileStore locks, reads, writes atomically
//	      ├ decodeSession               sessionjson.go: the stored document
//	      ├ Jar.merge                   jarmerge.go: newer change wins, tombstones keep deletions
//	      ├ Jar.mergeOrigins            siteorigins.go: storageState origins, the newer wins
//	      ├ Jar.snapshot                jarmerge.go: cookies and tombstones to write,
//	      │                             chosen by session.fillFromJar (persist.go)
//	      └ sessionDoc.encode           sessionjson.go: the same state gives the same bytes
//
// A new or refreshed token goes to session.persist at once, changed
// session or not (session.saveToken, the OnTokenChange hook New sets), so
// a rotated refresh token is on disk before it is used.
//
//	c, err := httpsession.New(httpsession.Options{
//		SessionFile: "session.json", // loaded now, written by Save and Close
//		Auth: &httpsession.JSONLogin{
//			LoginURL: "https://api.example.com/login",
//			Username: "alice",
//			Password: os.Getenv("API_PASSWORD"),
//		},
//		AuthOrigins: []string{"https://api.example.com"},
//	})
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	resp, err := c.Get(ctx, "https://api.example.com/v1/me") // logs in on first use
//
// # Concurrency
//
// A Client is safe for concurrent use by multiple goroutines, as are [Jar],
// [TokenManager] and [RetryPolicy]. However many requests need a new token,
// one login or refresh runs, and each request waits for it under its own
// context. Processes that share a session file or another [Store] take
// turns too: a login or refresh runs under the store's refresh lock
// ([RefreshLocker]) after re-reading the stored token, so a token another
// process obtained meanwhile is adopted rather than refreshed again (a
// refresh token is often good for one use only).
//
// # Persistence
//
// With [Options.SessionFile], [New] loads the session file (a missing or
// empty file is an empty session) and [Client.Save] and [Client.Close]
// write it; a new or refreshed token is written at once, [Options.AutoSave]
// writes after responses that changed cookies, and [Options.SyncInterval]
// saves in the background to pick up what other processes saved. The file
// is versioned JSON holding the cookies and the token, and the origins
// (localStorage) of a storageState document that package storagestate
// imported into the jar, so that its export gives them back. Session
// cookies (no Expires or Max-Age) are written too, so that a restarted
// program resumes its login, unless [SessionOptions.DropSessionCookies] is
// set; expired cookies never are. Writes are atomic, the file is created
// with mode 0600, and a save merges under a lock with what other Clients
// and processes saved, deletions included. [Store], [LoadSession] and
// [SaveSession] persist a session elsewhere: package redisstore keeps it
// in Redis for a fleet of workers, package agestore encrypts it with age,
// package browsercookies brings in the session of an installed browser,
// and package storagestate moves Playwright's storageState into and out
// of a [Jar].
//
// # Errors
//
// [New] and [Client.Save] report a corrupt, truncated, oversized or
// unknown-version session file, or one that is not a regular file, with a
// [*SessionFileError] matching [ErrCorruptSession]; the file is never
// written over. A session or lock file that belongs to another user gives
// an [*OwnerError] matching [ErrForeignFile]. An I/O error reading or
// writing it is returned wrapped, as [errors.Is] and [errors.As] see it. New
// reports a bad [Options.AuthOrigins] entry, or Auth (other than a
// [*FormLogin]) without AuthOrigins, with an error matching [ErrBadOrigin],
// and credentials in [Options.Header] with [ErrCredentialHeader].
//
// [Client.Do] is HTTPClient().Do: errors are [*url.Error], a non-2xx status
// is not an error, and a 429, 502, 503 or 504 the policy stops retrying is
// returned as the response ([RetryAfter] reads its wait). A request the
// origin's advertised rate limit would hold longer than
// [RetryPolicy.MaxRetryAfter] fails unsent with a [*RateLimitError], and
// one to an origin whose circuit breaker is open with a
// [*CircuitOpenError] (see [RetryPolicy.NoPacing] and
// [RetryPolicy.BreakAfter]). When the
// ready-made authenticators (here and in package oauth) get no token, the
// error is an [*AuthError], [*OAuth2Error] or [*FlowError], matching
// [ErrAuthResponse] if the endpoint answered; a browser or device login
// (package oauth) that needs a person who is not there matches
// [ErrLoginRequired], and one whose authorization, device or token
// endpoint is neither https nor http on a loopback host matches
// [ErrBadOrigin] before anything is opened or sent; a
// CookieError prints the server's domain with control characters escaped.
// Cancellation and deadlines, also
// during a retry wait, match [context.Canceled] and
// [context.DeadlineExceeded]. An [Authenticator] that cannot refresh
// returns [ErrNoRefresh] from Refresh; the TokenManager then logs in again.
// A request that needs a new token while the refresh lock of a shared
// [Store] is out of reach (the store is down) fails, after
// [TokenOptions.RefreshTimeout], with an error matching
// [ErrStoreUnavailable]: a refresh token is never presented without it.
// [Jar.Add] refuses a cookie with a [*CookieError] matching
// [ErrCookieRejected].
//
// The library's own errors and logs never contain tokens, passwords, cookie
// values or URL query values, and every type that holds a secret prints it
// redacted under every fmt verb and slog handler. A [*url.Error] from Do,
// like any http.Client's, quotes the request URL in full: keep secrets out
// of query strings, or redact the URL before logging such an error.
package httpsession
