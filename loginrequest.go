package httpsession

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The request of a JSON or form login and the reading of its answer:
// a bounded body, no credentials sent across a redirect, and values picked
// from a JSON object by path.

// maxAuthBody is the most read from any login, refresh or token endpoint.
const maxAuthBody = 1 << 20

// parseEndpoint checks that raw is an absolute http(s) URL.
func parseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &AuthError{Reason: "invalid endpoint URL"}
	}
	return u, nil
}

// exchange sends req with hc and reads at most maxAuthBody of the answer.
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
	endpoint := redactURL(req.URL)
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
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAuthBody+1))
	if err != nil {
		return nil, nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: "truncated response", Err: err}
	}
	if len(body) > maxAuthBody {
		return nil, nil, &AuthError{Endpoint: endpoint, Status: resp.StatusCode, Reason: "response larger than 1 MiB"}
	}
	return resp, body, nil
}

// decodeObject decodes a JSON object, describing what is wrong otherwise.
func decodeObject(body []byte) (map[string]any, string) {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0:
		return nil, "empty response"
	case b[0] == '<':
		return nil, "HTML instead of JSON"
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, "malformed or truncated JSON"
	}
	if d.More() {
		return nil, "malformed JSON: data after the object"
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "JSON is not an object"
	}
	return m, ""
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

// lifetime reads an expires_in value (a number or a numeric string of
// seconds) as whole seconds; zero if absent or implausible.
func lifetime(v any) int64 {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		return 0
	}
	sec, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(sec) || sec < 1 || sec > 100*365*24*3600 {
		return 0
	}
	return int64(sec)
}

// lastField is the last element of a dotted path.
func lastField(path string) string {
	return path[strings.LastIndexByte(path, '.')+1:]
}
