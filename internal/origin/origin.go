// Package origin holds the hosts and origins of URLs as httpsession
// compares them: the canonical host of RFC 6265 §5.1.2 (lower case,
// punycode, IP addresses in one form) and the origin of RFC 6454 (scheme,
// canonical host, port). The core package decides with them where the
// bearer token may go; the command-line tool explains that decision with
// the same rules.
package origin

import (
	"net"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// A Host is a canonical host.
type Host struct {
	Name     string
	IP       bool
	Loopback bool // localhost, *.localhost, 127.0.0.0/8 or ::1
}

// CanonicalHost canonicalises a URL's host[:port] (RFC 6265 §5.1.2): port
// and one trailing dot removed, lower case, punycode. Hosts with
// characters outside letters, digits, "-", "_" and ".", with empty labels,
// or ending in a number that is no IPv4 address, are refused. It is one
// piece so that the common case (an ASCII name already in lower case) is a
// single pass without allocation; the branches are the forms a host takes.
func CanonicalHost(hostport string) (Host, bool) {
	h := hostport
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return Host{}, false
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
		return Host{}, false
	}
	if !isASCII(h) {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil || a == "" || !isASCII(a) {
			return Host{}, false
		}
		h = a
	}
	h = strings.ToLower(h)
	if h[0] == '.' || h[len(h)-1] == '.' || strings.Contains(h, "..") {
		return Host{}, false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return Host{}, false
		}
	}
	// A host whose last label is a number is an IPv4 address (as in the
	// WHATWG URL standard) or nothing.
	last := h[strings.LastIndexByte(h, '.')+1:]
	if last[0] >= '0' && last[0] <= '9' {
		return ipHost(h, false)
	}
	loop := h == "localhost" || strings.HasSuffix(h, ".localhost")
	return Host{Name: h, Loopback: loop}, true
}

// ipHost canonicalises an IP address host.
func ipHost(s string, v6 bool) (Host, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Is6() != v6 {
		return Host{}, false
	}
	name := s
	if v6 {
		name = a.String()
	}
	return Host{Name: name, IP: true, Loopback: a.IsLoopback()}, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// An Origin is a scheme, a canonical host and a port, always explicit.
type Origin struct {
	Scheme, Host, Port string
}

// Of returns u's origin: scheme in lower case, host canonical, the
// scheme's default port when u has none. ok is false for a host
// CanonicalHost refuses.
func Of(u *url.URL) (o Origin, ok bool) {
	h, ok := CanonicalHost(u.Host)
	if !ok {
		return Origin{}, false
	}
	o = Origin{Scheme: strings.ToLower(u.Scheme), Host: h.Name, Port: u.Port()}
	if o.Port == "" {
		o.Port = DefaultPort(o.Scheme)
	}
	return o, true
}

// Same reports whether a and b have the same origin.
func Same(a, b *url.URL) bool {
	oa, okA := Of(a)
	ob, okB := Of(b)
	return okA && okB && oa == ob
}

// DefaultPort is the port of scheme when a URL names none: 443 for https,
// 80 otherwise.
func DefaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// String returns "scheme://host[:port]", the port left out when it is the
// scheme's default.
func (o Origin) String() string {
	host := o.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if o.Port != DefaultPort(o.Scheme) {
		host = net.JoinHostPort(o.Host, o.Port)
	}
	return o.Scheme + "://" + host
}
