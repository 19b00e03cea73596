package httpsession

import (
	"net/url"
	"strings"

	"github.com/httpsession/httpsession/internal/origin"
)

// Hosts, sites and paths as cookies see them: the canonical host of a URL
// (RFC 6265 §5.1.2), the domain-match and path-match rules (§5.1.3,
// §5.1.4), a request's target and origin, and the site (registrable
// domain) the jar keys its cookies by. The jar and the transport both use
// them; origin.go holds the origins allowed the bearer token.

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

// canonicalHost canonicalises a URL's host[:port] (RFC 6265 §5.1.2), as
// package origin does.
func canonicalHost(hostport string) (hostInfo, bool) {
	h, ok := origin.CanonicalHost(hostport)
	return hostInfo{name: h.Name, ip: h.IP, loopback: h.Loopback}, ok
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

// domainInfo is what validating a cookie needs to know about its domain;
// merging computes it once for a run of records with the same domain.
type domainInfo struct {
	h      hostInfo
	ok     bool   // a valid host of acceptable length
	suffix bool   // h.name is a public suffix
	key    string // the groups key
}

// domainInfo canonicalizes the Domain d of a cookie (without a leading
// dot) and finds its groups key.
func (j *Jar) domainInfo(d string) domainInfo {
	h, ok := canonicalHost(d)
	if !ok || len(h.name) > maxAttributeValueSize {
		return domainInfo{}
	}
	if h.ip {
		return domainInfo{h: h, ok: true, key: h.name}
	}
	// One question to the list for both answers.
	ps := j.psl.PublicSuffix(h.name)
	return domainInfo{h: h, ok: true, suffix: isSuffixOf(h.name, ps), key: siteWith(h.name, ps).key}
}

// isPublicSuffix reports whether d is a public suffix. A list that answers
// with something other than a suffix of d is taken to mean yes.
func (j *Jar) isPublicSuffix(d string) bool {
	return isSuffixOf(d, j.psl.PublicSuffix(d))
}

// isSuffixOf is isPublicSuffix for d given ps, the list's answer for d.
func isSuffixOf(d, ps string) bool {
	return ps != "" && (ps == d || !hasDotSuffix(d, ps))
}

// jarKey is the groups key for host: its registrable domain (eTLD+1), or
// host itself for an IP address or a public suffix.
func (j *Jar) jarKey(host string, ip bool) string {
	return j.siteOf(host, ip).key
}

// A site is the groups key of a host, and whether that key is the host's
// registrable domain (eTLD+1) rather than the host itself standing in for
// one (an IP address, a public suffix, or a host the list answers for
// wrongly).
type site struct {
	key         string
	registrable bool
}

// siteOf returns the site of host; key is a substring of host.
func (j *Jar) siteOf(host string, ip bool) site {
	if ip {
		return site{key: host}
	}
	return siteWith(host, j.psl.PublicSuffix(host))
}

// siteWith is siteOf for a host that is no IP address, given ps, the
// public suffix list's answer for host.
func siteWith(host, ps string) site {
	if ps == "" {
		ps = host[strings.LastIndexByte(host, '.')+1:]
	}
	if ps == host {
		return site{key: host}
	}
	i := len(host) - len(ps)
	if i <= 0 || host[i-1] != '.' {
		// A broken list; keeping cookies under the host is safe.
		return site{key: host}
	}
	return site{key: host[strings.LastIndexByte(host[:i-1], '.')+1:], registrable: true}
}

// A cachedHost is a value of Jar.hosts.
type cachedHost struct {
	host string // the key, as a string of the jar's own
	site site   // its key is a substring of host
}

// minHostCache is the least number of hosts Jar.hosts may hold.
const minHostCache = 1024

// source is the request a cookie came from.
type source struct {
	target
	site           // key: the groups key
	defPath string // default-path (RFC 6265 §5.1.4)
	owned   bool   // host and key are the jar's own strings (Jar.hosts)

	// subKeys caches subdomainKeys(subFor) for one response.
	subFor  string
	subKeys []string
	subDone bool
}

// sourceOf is the source of a request to t. j.mu must be held.
func (j *Jar) sourceOf(t *target) source {
	o := source{target: *t, defPath: defaultPath(t.path)}
	o.host, o.site, o.owned = j.hostSite(t.host, t.ip)
	return o
}

// hostSite returns siteOf(host, ip), and host as a string that entries
// may keep (owned): the cached copy, which the cookies of the host share.
// j.mu must be held.
func (j *Jar) hostSite(host string, ip bool) (h string, s site, owned bool) {
	if ip || host == "" {
		return host, j.siteOf(host, ip), false
	}
	if ch, ok := j.hosts[host]; ok {
		return ch.host, ch.site, true
	}
	if len(j.hosts) >= max(j.maxTotal, minHostCache) {
		clear(j.hosts)
	}
	h = strings.Clone(host)
	ch := cachedHost{host: h, site: j.siteOf(h, false)}
	j.hosts[h] = ch
	return ch.host, ch.site, true
}
