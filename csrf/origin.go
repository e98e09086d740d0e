// origin.go holds layer 3, the Origin check, and what it is built on: the
// allocation-free parser of serialised origins and the request's own
// origin.

package csrf

import (
	"net/netip"
	"strings"
)

// maxOriginLen bounds the Origin: a longer one is malformed.
const maxOriginLen = 1024

// checkOrigin is layer 3. When the request has an Origin header (even
// "null", which never matches) it must be the request's own origin, with
// the scheme as decided from TLS or trusted proxy headers, or a trusted
// origin. Without one, the Referer layer decides.
func (p *Protector) checkOrigin(m *metadata) error {
	orig := m.origin
	switch {
	case len(orig) == 0:
		return nil
	case len(orig) > 1:
		return ErrRepeatedHeader
	case isSelfOrigin(orig[0], m.host, m.secure):
		return nil // what a same-origin request sends, found without parsing
	case orig[0] == "null":
		return ErrNullOrigin
	}
	o, ok := parseOrigin(orig[0])
	if !ok {
		return ErrMalformedOrigin
	}
	if !p.sameOrTrusted(m, o) {
		return ErrBadOrigin
	}
	return nil
}

// sameOrTrusted reports whether o is the request's own origin or a trusted
// one.
func (p *Protector) sameOrTrusted(m *metadata, o origin) bool {
	self, ok := requestOrigin(m.host, m.secure)
	return (ok && self.equal(o)) || p.trusted(o)
}

// isSelfOrigin reports, without parsing, whether the Origin header value s
// is exactly the request's own origin as requestOrigin builds it:
// "https://" or "http://" followed by the Host header as sent. It is true
// only when parsing s and comparing it with requestOrigin would also find
// the two equal (FuzzSelfOrigin pins it): the Host must itself be a valid
// authority, which also means it holds no '/', '?' or '#' that would end
// the authority early. Parsing both instead costs about 100 ns on every
// unsafe request: without this check, Tokenless mode's overhead is more than
// twice CrossOriginProtection's (measured in bench/, middleware only).
func isSelfOrigin(s, host string, secure bool) bool {
	prefix := "http://"
	if secure {
		prefix = "https://"
	}
	if len(s) != len(prefix)+len(host) || len(s) > maxOriginLen || s[:len(prefix)] != prefix || s[len(prefix):] != host {
		return false
	}
	// A host name without a port is checked in one pass; anything else (a
	// port, an IPv6 literal) goes through splitHostPort.
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

// origin is a parsed scheme://host[:port]. Fields are slices of the input;
// port is "" for the scheme's default port.
type origin struct {
	scheme, host, port string
}

// equal compares two origins: scheme and host case-insensitively, ports
// after default-port normalisation.
func (o origin) equal(x origin) bool {
	return strings.EqualFold(o.scheme, x.scheme) && strings.EqualFold(o.host, x.host) && o.port == x.port
}

// requestOrigin is the origin a request was addressed to: the scheme as
// internal/scheme decides (TLS, or trusted proxy headers) and the Host
// header.
func requestOrigin(host string, secure bool) (origin, bool) {
	o := origin{scheme: "http"}
	if secure {
		o.scheme = "https"
	}
	var ok bool
	o.host, o.port, ok = splitHostPort(host)
	if !ok {
		return origin{}, false
	}
	o.port = normalPort(o.scheme, o.port)
	return o, true
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
	if strings.HasPrefix(a, "[") {
		return splitIPv6HostPort(a)
	}
	host, port, hasPort := strings.Cut(a, ":")
	if hasPort && !validPort(port) || host == "" || len(host) > 253 {
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
		t[c] = isAlnum(byte(c)) || c == '-' || c == '.' || c == '_'
	}
	return t
}()

// splitIPv6HostPort is splitHostPort for "[v6]" and "[v6]:port".
func splitIPv6HostPort(a string) (host, port string, ok bool) {
	end := strings.IndexByte(a, ']')
	if end < 0 {
		return "", "", false
	}
	host, rest := a[:end+1], a[end+1:]
	for i := 1; i < end; i++ {
		if c := a[i]; !isHex(c) && c != ':' && c != '.' {
			return "", "", false
		}
	}
	if ip, err := netip.ParseAddr(a[1:end]); err != nil || !ip.Is6() {
		return "", "", false
	}
	if rest == "" {
		return host, "", true
	}
	port, hasPort := strings.CutPrefix(rest, ":")
	return host, port, hasPort && validPort(port)
}

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
