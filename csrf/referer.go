// referer.go holds layer 4, the Referer check for requests without an
// Origin header, and the Referer parser.

package csrf

import (
	"strings"
)

// maxRefererLen bounds the Referer: a longer one is malformed.
const maxRefererLen = 4096

// checkReferer is layer 4, which applies only when the request has no
// Origin header. Over HTTPS the Referer must be present, well-formed, https
// and same-origin or trusted (Django's rules). Plain-HTTP requests pass on
// to the token in Full mode, so http://localhost works without
// configuration; in Tokenless mode a present Referer is always checked,
// since it is the only evidence left. With Config.AllowMissingMetadata a
// request with no Sec-Fetch-Site, Origin or Referer at all passes.
func (p *Protector) checkReferer(m *metadata) error {
	ref := m.referer
	switch {
	case len(m.origin) > 0:
		return nil // the Origin layer has decided
	case !m.secure && (p.mode == Full || len(ref) == 0):
		return nil
	case len(ref) == 0 && p.allowMissing && len(m.fetchSite) == 0:
		return nil // no browser metadata at all (Config.AllowMissingMetadata)
	case len(ref) == 0:
		return ErrNoReferer
	case len(ref) > 1:
		return ErrRepeatedHeader
	}
	o, ok := parseReferer(ref[0])
	switch {
	case !ok:
		return ErrBadReferer
	case m.secure && !strings.EqualFold(o.scheme, "https"):
		return ErrInsecureReferer
	case !p.sameOrTrusted(m, o):
		return ErrRefererMismatch
	}
	return nil
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

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
