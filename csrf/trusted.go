// trusted.go holds Config.TrustedOrigins: their validation at New and the
// matching, exact or wildcard, of a request's origin against them.

package csrf

import (
	"fmt"
	"strings"
)

// trustedOrigin is one entry of Config.TrustedOrigins. With wildcard set,
// host holds the suffix after "*." and any strict subdomain matches; the
// apex itself does not.
type trustedOrigin struct {
	origin
	wildcard bool
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
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return trustedOrigin{}, fmt.Errorf("csrf: trusted origin %q: scheme is required (write \"https://%s\")", s, strings.TrimRight(s, "/"))
	}
	if !validScheme(scheme) {
		return trustedOrigin{}, fmt.Errorf("csrf: trusted origin %q: invalid scheme", s)
	}
	var t trustedOrigin
	if after, ok := strings.CutPrefix(rest, "*."); ok {
		t.wildcard, rest = true, after
		if host, _, _ := strings.Cut(rest, ":"); !strings.Contains(host, ".") {
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
	t.scheme, t.host, t.port = strings.ToLower(scheme), strings.ToLower(host), normalPort(scheme, port)
	return t, nil
}
