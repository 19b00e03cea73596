// Package authresp reads what a login, refresh or token endpoint answered,
// as package httpsession's JSON and form logins and package oauth's token
// requests both do: a bounded body, a JSON object described when it is
// not one, and a token lifetime (expires_in) in whole seconds.
package authresp

import (
	"bytes"
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// MaxBody is the most read from any login, refresh or token endpoint.
const MaxBody = 1 << 20

// Endpoint parses raw and reports whether it is an absolute http(s) URL.
func Endpoint(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}

// DecodeObject decodes a JSON object, numbers as json.Number, and says
// what is wrong otherwise: the reason is "" for an object.
func DecodeObject(body []byte) (map[string]any, string) {
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

// Lifetime reads an expires_in value (a json.Number or a numeric string of
// seconds) as whole seconds; zero if absent or implausible.
func Lifetime(v any) int64 {
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
