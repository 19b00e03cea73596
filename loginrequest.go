package httpsession

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/httpsession/httpsession/internal/authresp"
	"github.com/httpsession/httpsession/internal/redact"
)

// The request of a JSON or form login and the reading of its answer:
// a bounded body, no credentials sent across a redirect, and values picked
// from a JSON object by path.

// parseEndpoint checks that raw is an absolute http(s) URL.
func parseEndpoint(raw string) (*url.URL, error) {
	u, ok := authresp.Endpoint(raw)
	if !ok {
		return nil, &AuthError{Reason: "invalid endpoint URL"}
	}
	return u, nil
}

// exchange sends req with hc and reads at most authresp.MaxBody of the answer.
// Unless follow is set, redirects are not followed: a request carrying
// credentials goes only to the URL the user configured.
func exchange(hc *http.Client, req *http.Request, follow bool) (*http.Response, []byte, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	if !follow {
		c := *hc
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		hc = &c
	}
	endpoint := redact.URL(req.URL)
	resp, err := hc.Do(req)
	if err != nil {
		// *url.Error would print the full URL; keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, &AuthError{Endpoint: endpoint, Reason: "request failed", Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, authresp.MaxBody+1))
	if err != nil {
		return nil, nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: "truncated response", Err: err}
	}
	if len(body) > authresp.MaxBody {
		return nil, nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: "response larger than 1 MiB"}
	}
	return resp, body, nil
}

// lookup finds a dotted path ("data.token") in a decoded JSON object.
func lookup(m map[string]any, path string) (any, bool) {
	var v any = m
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

func lookupString(m map[string]any, path string) string {
	v, _ := lookup(m, path)
	s, _ := v.(string)
	return s
}

// lastField is the last element of a dotted path.
func lastField(path string) string {
	return path[strings.LastIndexByte(path, '.')+1:]
}
