package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// connectRule sends connections for host:port elsewhere, as --resolve
// (to an address) and --connect-to (to another host and port) do. An
// empty host or port matches any; an empty toHost or toPort keeps it.
type connectRule struct {
	host, port     string
	toHost, toPort string
}

// parseResolve reads --resolve host:port:addr (addr an IP, in brackets
// for IPv6; a list keeps its first address; * for any host).
func parseResolve(v string) (connectRule, error) {
	host, rest, ok1 := strings.Cut(v, ":")
	port, addr, ok2 := strings.Cut(rest, ":")
	addr, _, _ = strings.Cut(addr, ",")
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	if !ok1 || !ok2 || port == "" || net.ParseIP(addr) == nil {
		return connectRule{}, usagef("bad --resolve %q: want host:port:address", v)
	}
	if host == "*" {
		host = ""
	}
	return connectRule{host: host, port: port, toHost: addr}, nil
}

// parseConnectTo reads --connect-to HOST1:PORT1:HOST2:PORT2 (IPv6 hosts
// in brackets).
func parseConnectTo(v string) (connectRule, error) {
	parts, err := splitHostPorts(v)
	if err != nil || len(parts) != 4 {
		return connectRule{}, usagef("bad --connect-to %q: want HOST1:PORT1:HOST2:PORT2", v)
	}
	return connectRule{host: parts[0], port: parts[1], toHost: parts[2], toPort: parts[3]}, nil
}

// splitHostPorts splits on the colons outside brackets, and drops the
// brackets.
func splitHostPorts(v string) ([]string, error) {
	var parts []string
	for v != "" || len(parts) < 4 {
		if strings.HasPrefix(v, "[") {
			end := strings.Index(v, "]")
			if end < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			parts = append(parts, v[1:end])
			v = strings.TrimPrefix(v[end+1:], ":")
			continue
		}
		part, rest, found := strings.Cut(v, ":")
		parts = append(parts, part)
		v = rest
		if !found {
			break
		}
	}
	return parts, nil
}

func (r connectRule) apply(host, port string) (string, string, bool) {
	if (r.host != "" && !strings.EqualFold(r.host, host)) || (r.port != "" && r.port != port) {
		return host, port, false
	}
	if r.toHost != "" {
		host = r.toHost
	}
	if r.toPort != "" {
		port = r.toPort
	}
	return host, port, true
}

// connectRules are the --connect-to rules, then the --resolve ones: as
// in curl, --connect-to picks the host and port to connect to and
// --resolve the address of that host.
type connectRules struct{ connectTo, resolve []connectRule }

func newConnectRules(c *curlFlags) (*connectRules, error) {
	rs := &connectRules{}
	for _, v := range c.connectTo {
		r, err := parseConnectTo(v)
		if err != nil {
			return nil, err
		}
		rs.connectTo = append(rs.connectTo, r)
	}
	for _, v := range c.resolve {
		r, err := parseResolve(v)
		if err != nil {
			return nil, err
		}
		rs.resolve = append(rs.resolve, r)
	}
	return rs, nil
}

// addr is where a connection for addr (host:port) goes.
func (rs *connectRules) addr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	for _, r := range rs.connectTo {
		var ok bool
		if host, port, ok = r.apply(host, port); ok {
			break
		}
	}
	for _, r := range rs.resolve {
		var ok bool
		if host, port, ok = r.apply(host, port); ok {
			break
		}
	}
	return net.JoinHostPort(host, port)
}

// dial wraps a DialContext with the rules.
func (rs *connectRules) dial(d func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d(ctx, network, rs.addr(addr))
	}
}

// proxyFunc is the transport's Proxy for -x and --noproxy: the -x proxy
// (or, without -x, the environment's) for every host --noproxy does not
// name. With -x, loopback hosts go through the proxy too, as in curl.
func proxyFunc(c *curlFlags) (func(*http.Request) (*url.URL, error), error) {
	var fixed *url.URL
	if c.proxy != "" {
		raw := c.proxy
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, usagef("bad -x/--proxy %q: want [scheme://][user:password@]host[:port]", c.proxy)
		}
		fixed = u
	}
	return func(req *http.Request) (*url.URL, error) {
		if noProxy(c.noproxy, req.URL.Hostname()) {
			return nil, nil
		}
		if fixed != nil {
			return fixed, nil
		}
		return http.ProxyFromEnvironment(req)
	}, nil
}

// noProxy reports whether list (--noproxy) names host: "*", the host
// itself, a domain it is in (a leading dot optional), or, for an IP
// address, a CIDR range holding it.
func noProxy(list, host string) bool {
	ip := net.ParseIP(host)
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.TrimPrefix(strings.TrimSpace(entry), ".")
		_, cidr, cidrErr := net.ParseCIDR(entry)
		switch {
		case entry == "":
		case entry == "*":
			return true
		case cidrErr == nil:
			if ip != nil && cidr.Contains(ip) {
				return true
			}
		case strings.EqualFold(host, entry), strings.HasSuffix(strings.ToLower(host), "."+strings.ToLower(entry)):
			return true
		}
	}
	return false
}

// clientCertificate loads --cert and --key (PEM; the key in the
// certificate's file when --key is not given).
func clientCertificate(c *curlFlags) ([]tls.Certificate, error) {
	if c.cert == "" {
		if c.key != "" {
			return nil, usagef("--key needs --cert")
		}
		return nil, nil
	}
	key := c.key
	if key == "" {
		key = c.cert
	}
	cert, err := tls.LoadX509KeyPair(c.cert, key)
	if err != nil {
		return nil, fmt.Errorf("--cert %s: %w", c.cert, err)
	}
	return []tls.Certificate{cert}, nil
}
