// Package oauth logs a program in to an OAuth 2.0 or OpenID Connect
// provider, as an [httpsession.Authenticator] for [httpsession.Options.Auth]:
// [Credentials] for the password and client credentials grants (RFC 6749
// §4.3, §4.4), [Browser] for the authorization code flow with PKCE and a
// loopback redirect (RFC 6749 §4.1, RFC 7636, RFC 8252), and [Device] for
// the device authorization grant (RFC 8628). Each refreshes with the
// refresh_token grant, and every token request goes through
// golang.org/x/oauth2 and the hc the TokenManager passes: the session's
// cookies, never its bearer token, and no redirect followed.
//
// The core package stays free of it, as golang.org/x/oauth2 keeps its
// clientcredentials flow in a package of its own.
//
//	c, err := httpsession.New(httpsession.Options{
//		SessionFile: "session.json",
//		Auth: &oauth.Browser{Config: &oauth2.Config{
//			ClientID: "my-cli",
//			Endpoint: oauth2.Endpoint{
//				AuthURL:  "https://id.example.com/authorize",
//				TokenURL: "https://id.example.com/oauth/token",
//			},
//			Scopes: []string{"openid", "offline_access"},
//		}},
//		AuthOrigins:  []string{"https://api.example.com"},
//		TokenOptions: &httpsession.TokenOptions{RefreshTimeout: 5 * time.Minute},
//	})
//
// # Errors
//
// A token request whose answer is unusable fails with an
// [*httpsession.AuthError], and an OAuth error response (RFC 6749 §5.2)
// with an [*httpsession.OAuth2Error]; both match
// [httpsession.ErrAuthResponse]. A browser or device login that ends
// without a token otherwise returns an [*httpsession.FlowError] whose Err
// is [httpsession.ErrLoginRequired] (no person to ask), [ErrAccessDenied],
// [ErrStateMismatch], [ErrIssuerMismatch] or [ErrDeviceCodeExpired]. An
// endpoint that is neither https nor http on a loopback host is refused
// before anything is opened or sent, with an error matching
// [httpsession.ErrBadOrigin]. [DecodeIDToken] reads who logged in from the
// token's OpenID Connect ID token.
//
// The errors, logs and printed forms of these types never contain a
// token, code, verifier, password or client secret.
package oauth
