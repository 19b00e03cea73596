package httpsession

import (
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// Hosts and paths as cookies and origins see them: the canonical host of a
// URL (RFC 6265 §5.1.2) and the domain-match and path-match rules (§5.1.3,
// §5.1.4). The jar and the transport both use them.

// domainMatch implements "domain-match" of RFC 6265 §5.1.3 for canonical
// hosts: s is domain or a subdomain of it. Callers keep IP addresses out.
func domainMatch(s, domain string) bool {
	return s == domain || hasDotSuffix(s, domain)
}

// hasDotSuffix reports whether s ends in "."+suffix.
func hasDotSuffix(s, suffix string) bool {
	return len(s) > len(suffix) && s[len(s)-len(suffix)-1] == '.' && s[len(s)-len(suffix):] == suffix
}

// pathMatch implements "path-match" of RFC 6265 §5.1.4.
func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == cookiePath {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return cookiePath[len(cookiePath)-1] == '/' || reqPath[len(cookiePath)] == '/'
}

// defaultPath is the "default-path" of RFC 6265 §5.1.4 for an escaped
// request path.
func defaultPath(path string) string {
	if path == "" || path[0] != '/' {
		return "/"
	}
	i := strings.LastIndexByte(path, '/')
	if i == 0 {
		return "/"
	}
	return path[:i]
}

// hostInfo is a canonicalised host.
type hostInfo struct {
	name     string
	ip       bool
	loopback bool // localhost, *.localhost, 127.0.0.0/8 or ::1
}

// canonicalHost canonicalises a URL's host[:port] (RFC 6265 §5.1.2):
// port and one trailing dot removed, lower case, punycode. Hosts with
// characters outside letters, digits, "-", "_" and ".", with empty labels,
// or ending in a number that is no IPv4 address, are refused. It is one
// piece so that the common case (an ASCII name already in lower case) is a
// single pass without allocation; the branches are the forms a host takes.
func canonicalHost(hostport string) (hostInfo, bool) {
	h := hostport
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return hostInfo{}, false
		}
		return ipHost(h[1:end], true)
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		if strings.IndexByte(h[:i], ':') >= 0 {
			return ipHost(h, true) // an IPv6 address without brackets
		}
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" {
		return hostInfo{}, false
	}
	if !isASCII(h) {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil || a == "" || !isASCII(a) {
			return hostInfo{}, false
		}
		h = a
	}
	h = strings.ToLower(h)
	if h[0] == '.' || h[len(h)-1] == '.' || strings.Contains(h, "..") {
		return hostInfo{}, false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return hostInfo{}, false
		}
	}
	// A host whose last label is a number is an IPv4 address (as in the
	// WHATWG URL standard) or nothing.
	last := h[strings.LastIndexByte(h, '.')+1:]
	if last[0] >= '0' && last[0] <= '9' {
		return ipHost(h, false)
	}
	loop := h == "localhost" || strings.HasSuffix(h, ".localhost")
	return hostInfo{name: h, loopback: loop}, true
}

// ipHost canonicalises an IP address host.
func ipHost(s string, v6 bool) (hostInfo, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Is6() != v6 {
		return hostInfo{}, false
	}
	name := s
	if v6 {
		name = a.String()
	}
	return hostInfo{name: name, ip: true, loopback: a.IsLoopback()}, true
}

// requestPath is the path of u for cookie matching: escaped, "/" when
// empty or relative (RFC 6265 §5.1.4).
func requestPath(u *url.URL) string {
	if p := u.EscapedPath(); p != "" && p[0] == '/' {
		return p
	}
	return "/"
}

// target is a request URL reduced to what cookie matching needs.
type target struct {
	host   string // canonical host (RFC 6265 §5.1.2)
	path   string // escaped path, "/" if empty
	secure bool   // a secure origin
	ip     bool
}

// targetOf reduces u; false means no cookies for u.
func targetOf(u *url.URL) (target, bool) {
	var t target
	if u == nil {
		return t, false
	}
	switch {
	case equalFoldASCII(u.Scheme, "https"), equalFoldASCII(u.Scheme, "wss"):
		t.secure = true
	case equalFoldASCII(u.Scheme, "http"), equalFoldASCII(u.Scheme, "ws"):
	default:
		return t, false
	}
	h, ok := canonicalHost(u.Host)
	if !ok {
		return t, false
	}
	t.host, t.ip = h.name, h.ip
	t.secure = t.secure || h.loopback
	t.path = requestPath(u)
	return t, true
}
