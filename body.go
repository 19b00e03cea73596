package httpsession

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// drainLimit and drainTime bound how much of a discarded response body is
// read, and for how long, so that its connection can be reused; a longer or
// slower body closes the connection instead. A 429 or 401 whose body
// trickles in must not hold up the retry or the replay.
const (
	drainLimit = 64 << 10
	drainTime  = 100 * time.Millisecond
)

// canRewind reports whether req's body can be sent again: it has none, or
// GetBody can rebuild it.
func canRewind(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// rewindBody returns a copy of req, with the same context, carrying a fresh
// body from req.GetBody, ready to be sent again. A request without a body
// (nil or http.NoBody) needs no GetBody. It fails when the body cannot be
// rebuilt.
func rewindBody(req *http.Request) (*http.Request, error) {
	if !canRewind(req) {
		return nil, errBodyNotRewindable
	}
	// A shallow copy is enough: the transport copies the headers before it
	// changes any, and only the body differs.
	r := new(http.Request)
	*r = *req
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("httpsession: rebuild request body: %w", err)
		}
		r.Body = body
	}
	return r, nil
}

// drainAndClose reads what is left of a response body, up to drainLimit
// bytes within drainTime, and closes it, so that the connection can carry
// the next request. When the time is up the body is closed under the read,
// which ends it at once (net/http's bodies allow that) and gives up the
// connection.
func drainAndClose(body io.ReadCloser) {
	if body == nil {
		return
	}
	t := time.AfterFunc(drainTime, func() { _ = body.Close() })
	_, _ = io.CopyN(io.Discard, body, drainLimit)
	t.Stop()
	_ = body.Close()
}

// closeRequestBody closes req's body, as a RoundTripper must on every path,
// when req is never handed to a try.
func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

var errBodyNotRewindable = errors.New("httpsession: request body cannot be rebuilt: GetBody is nil")
