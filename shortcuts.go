package httpsession

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The shortcuts of http.Client, with a context and the session's rules:
// cookies, the token for allowed origins, and retries. A request is
// replayed (after a 401, or a 429 or 503 of a request that may be
// repeated) only when its body can be rebuilt, that is when body is a
// *bytes.Buffer, *bytes.Reader or *strings.Reader (http.NewRequest then
// sets GetBody); any other io.Reader is sent once, and the response that
// would have been retried is returned as it is.

// Get sends a GET through the session.
func (c *Client) Get(ctx context.Context, rawURL string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	return c.Do(req)
}

// Head sends a HEAD through the session.
func (c *Client) Head(ctx context.Context, rawURL string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, rawURL, nil)
	if err != nil {
		return nil, err
	}
	return c.Do(req)
}

// Post sends a POST of body, with contentType as its Content-Type,
// through the session. If body is an io.Closer, it is closed after the
// request, as http.Client.Post does. The caller closes the response body.
func (c *Client) Post(ctx context.Context, rawURL, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, body)
	if err != nil {
		if cl, ok := body.(io.Closer); ok {
			cl.Close()
		}
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	return c.Do(req)
}

// PostForm sends a POST of the URL-encoded values through the session,
// Content-Type application/x-www-form-urlencoded. Its body can always be
// rebuilt, so the session's rules may replay it.
func (c *Client) PostForm(ctx context.Context, rawURL string, data url.Values) (*http.Response, error) {
	return c.Post(ctx, rawURL, "application/x-www-form-urlencoded", strings.NewReader(data.Encode()))
}
