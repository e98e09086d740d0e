// origin.go holds the allocation-free Origin/Referer parser, the request's
// own origin, and trusted-origin matching (exact and wildcard).

package csrf

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

const (
	maxOriginLen  = 1024 // an Origin longer than this is malformed
	maxRefererLen = 4096 // a Referer longer than this is malformed
)

// origin is a parsed scheme://host[:port]. Fields are slices of the input;
// port is "" for the scheme's default port.
type origin struct {
	scheme, host, port string
}

// parseOrigin parses a serialised origin as browsers send it in the Origin
// header: scheme "://" host [":" port], with nothing after it.
func parseOrigin(s string) (origin, bool) {
	if len(s) > maxOriginLen {
		return origin{}, false
	}
	o, rest, ok := parseSchemeAuthority(s)
	if !ok || rest != "" {
		return origin{}, false
	}
	return o, true
}

// parseReferer parses an absolute URL and returns its origin.
func parseReferer(s string) (origin, bool) {
	if len(s) > maxRefererLen {
		return origin{}, false
	}
	o, rest, ok := parseSchemeAuthority(s)
	if !ok {
		return origin{}, false
	}
	if rest != "" && rest[0] != '/' && rest[0] != '?' && rest[0] != '#' {
		return origin{}, false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c <= ' ' || c == 0x7f {
			return origin{}, false
		}
		if c == '%' && (i+2 >= len(rest) || !isHex(rest[i+1]) || !isHex(rest[i+2])) {
			return origin{}, false
		}
	}
	return o, true
}

// parseSchemeAuthority splits "scheme://host[:port]rest" where rest starts
// at the first '/', '?' or '#'. Userinfo is rejected.
func parseSchemeAuthority(s string) (o origin, rest string, ok bool) {
	i := strings.Index(s, "://")
	if i <= 0 || !validScheme(s[:i]) {
		return origin{}, "", false
	}
	o.scheme = s[:i]
	auth := s[i+3:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth, rest = auth[:j], auth[j:]
	}
	o.host, o.port, ok = splitHostPort(auth)
	if !ok {
		return origin{}, "", false
	}
	o.port = normalPort(o.scheme, o.port)
	return o, rest, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func validScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// splitHostPort splits an authority into host and port, checking both.
// Hosts are DNS names (ASCII letters, digits, '-', '.', '_'), IPv4, or
// bracketed IPv6; browsers send internationalised names as punycode.
func splitHostPort(a string) (host, port string, ok bool) {
	if a == "" {
		return "", "", false
	}
	if a[0] == '[' {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", false
		}
		host = a[:end+1]
		for i := 1; i < end; i++ {
			c := a[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' || c == '.') {
				return "", "", false
			}
		}
		if ip, err := netip.ParseAddr(a[1:end]); err != nil || !ip.Is6() {
			return "", "", false
		}
		a = a[end+1:]
		if a == "" {
			return host, "", true
		}
		if a[0] != ':' {
			return "", "", false
		}
		port = a[1:]
		return host, port, validPort(port)
	}
	if i := strings.IndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
		if !validPort(port) {
			return "", "", false
		}
	} else {
		host = a
	}
	if host == "" || len(host) > 253 {
		return "", "", false
	}
	for i := 0; i < len(host); i++ {
		if !hostByte[host[i]] {
			return "", "", false
		}
	}
	return host, port, true
}

// hostByte marks the bytes allowed in a DNS host: ASCII letters, digits,
// '-', '.' and '_'.
var hostByte = func() (t [256]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_'
	}
	return t
}()

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

// normalPort maps the scheme's default port to "" so https://a:443 equals
// https://a.
func normalPort(scheme, port string) string {
	if port == "" {
		return ""
	}
	port = strings.TrimLeft(port, "0")
	if port == "" {
		port = "0"
	}
	if (port == "443" && strings.EqualFold(scheme, "https")) || (port == "80" && strings.EqualFold(scheme, "http")) {
		return ""
	}
	return port
}

// equal compares two origins: scheme and host case-insensitively, ports
// after default-port normalisation.
func (o origin) equal(x origin) bool {
	return strings.EqualFold(o.scheme, x.scheme) && strings.EqualFold(o.host, x.host) && o.port == x.port
}

// isSelfOrigin reports, without parsing, whether the Origin header value s
// is exactly the request's own origin as requestOrigin builds it:
// "https://" or "http://" followed by the Host header as sent. It is true
// only when the full path (parseOrigin, then requestOrigin and equal) would
// also find the two equal: the Host must itself be a valid authority, which
// also means it holds no '/', '?' or '#' that would end the authority early.
func isSelfOrigin(s, host string, secure bool) bool {
	prefix := "http://"
	if secure {
		prefix = "https://"
	}
	if len(s) != len(prefix)+len(host) || len(s) > maxOriginLen ||
		s[:len(prefix)] != prefix || s[len(prefix):] != host {
		return false
	}
	// A host name without a port, checked in one pass; anything else
	// (a port, an IPv6 literal) goes through splitHostPort.
	if host == "" || len(host) > 253 {
		return false
	}
	for i := 0; i < len(host); i++ {
		if !hostByte[host[i]] {
			_, _, ok := splitHostPort(host)
			return ok
		}
	}
	return true
}

// requestOrigin is the origin the request was addressed to: the scheme as
// internal/scheme decides (TLS, or trusted proxy headers) and the Host header.
func requestOrigin(r *http.Request, secure bool) (origin, bool) {
	o := origin{scheme: "http"}
	if secure {
		o.scheme = "https"
	}
	var ok bool
	o.host, o.port, ok = splitHostPort(r.Host)
	if !ok {
		return origin{}, false
	}
	o.port = normalPort(o.scheme, o.port)
	return o, true
}

// trustedOrigin is one entry of Config.TrustedOrigins. With wildcard set,
// host holds the suffix after "*." and any strict subdomain matches; the
// apex itself does not.
type trustedOrigin struct {
	origin
	wildcard bool
}

func (t trustedOrigin) matches(o origin) bool {
	if !strings.EqualFold(t.scheme, o.scheme) || t.port != o.port {
		return false
	}
	if !t.wildcard {
		return strings.EqualFold(t.host, o.host)
	}
	// o.host must be "<label(s)>." + t.host.
	n := len(o.host) - len(t.host)
	return n >= 2 && o.host[n-1] == '.' && strings.EqualFold(o.host[n:], t.host) && o.host[0] != '.'
}

// parseTrustedOrigin validates one configured origin. Errors quote the
// value and say what to write instead.
func parseTrustedOrigin(s string) (trustedOrigin, error) {
	if !strings.Contains(s, "://") {
		return trustedOrigin{}, fmt.Errorf("csrf: trusted origin %q: scheme is required (write \"https://%s\")", s, strings.TrimRight(s, "/"))
	}
	i := strings.Index(s, "://")
	if !validScheme(s[:i]) {
		return trustedOrigin{}, fmt.Errorf("csrf: trusted origin %q: invalid scheme", s)
	}
	rest := s[i+3:]
	var t trustedOrigin
	if strings.HasPrefix(rest, "*.") {
		t.wildcard = true
		rest = rest[2:]
		if strings.Count(strings.SplitN(rest, ":", 2)[0], ".") < 1 {
			return trustedOrigin{}, fmt.Errorf("csrf: trusted origin %q: a wildcard needs at least two labels after \"*.\" (e.g. \"https://*.example.com\")", s)
		}
	}
	if strings.Contains(rest, "*") {
		return trustedOrigin{}, fmt.Errorf("csrf: trusted origin %q: \"*\" is only allowed as the whole leftmost label, as in \"https://*.example.com\"", s)
	}
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		if rest[j:] == "/" {
			return trustedOrigin{}, fmt.Errorf("csrf: trusted origin %q: remove the trailing slash; an origin has no path", s)
		}
		return trustedOrigin{}, fmt.Errorf("csrf: trusted origin %q: path, query and fragment are not allowed; an origin is scheme://host[:port]", s)
	}
	host, port, ok := splitHostPort(rest)
	if !ok {
		return trustedOrigin{}, fmt.Errorf("csrf: trusted origin %q: invalid host or port", s)
	}
	t.scheme, t.host, t.port = strings.ToLower(s[:i]), strings.ToLower(host), normalPort(s[:i], port)
	return t, nil
}

// trusted reports whether o matches a configured trusted origin.
func (p *Protector) trusted(o origin) bool {
	for i := range p.trustedOrigins {
		if p.trustedOrigins[i].matches(o) {
			return true
		}
	}
	return false
}
