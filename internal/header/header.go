// Package header holds the response-header and cookie rules that csrf and
// session share, so that the two packages cannot disagree: keeping a
// response that carries a secret out of shared caches, Vary, the names a
// cookie may be configured with, and the Set-Cookie line.
//
// It imports only the standard library.
package header

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AddVary adds field to h's Vary header unless it, or "*", is listed
// already (field names compare case-insensitively).
func AddVary(h http.Header, field string) {
	if !Varies(h, field) {
		h.Add("Vary", field)
	}
}

// Varies reports whether h's Vary header lists field, or "*" (field names
// compare case-insensitively).
func Varies(h http.Header, field string) bool {
	for _, line := range h["Vary"] {
		for v := range strings.SplitSeq(line, ",") {
			if v = strings.TrimSpace(v); v == "*" || strings.EqualFold(v, field) {
				return true
			}
		}
	}
	return false
}

// Private makes h's response unstorable by shared caches (CDNs, proxies),
// which would otherwise hand the secret it carries to every later visitor.
// Without a Cache-Control header it sets "private"; a header that already
// says "private" or "no-store" stays; otherwise "public" and "s-maxage" are
// dropped and "private" is put first, keeping the browser's own max-age.
//
// It also deletes the fields by which a response tells a CDN or a reverse
// proxy how long to keep it, overriding Cache-Control there (see
// targetedCacheField).
func Private(h http.Header) {
	for k := range h {
		if targetedCacheField(k) {
			delete(h, k)
		}
	}
	cc := h["Cache-Control"]
	if len(cc) == 0 {
		h["Cache-Control"] = []string{"private"}
		return
	}
	h["Cache-Control"] = []string{privateDirectives(strings.Join(cc, ", "))}
}

// targetedCacheField reports whether the canonical header name k is one
// that shared caches obey before Cache-Control: RFC 9213's
// CDN-Cache-Control and its vendor forms (Cloudflare-CDN-Cache-Control,
// ...; every "*-Cache-Control"), Surrogate-Control (Fastly, Varnish),
// Edge-Control (Akamai) and X-Accel-Expires (nginx).
func targetedCacheField(k string) bool {
	switch k {
	case "Cache-Control":
		return false
	case "Surrogate-Control", "Edge-Control", "X-Accel-Expires":
		return true
	}
	return strings.HasSuffix(k, "-Cache-Control")
}

// privateDirectives rewrites a Cache-Control value so that shared caches
// may not store the response: a value that already says "private" or
// "no-store" is kept as it is; otherwise "public" and "s-maxage" are
// dropped and "private" is put first. Other directives (such as the
// browser's own max-age) stay.
func privateDirectives(cc string) string {
	kept := []string{"private"}
	for d := range strings.SplitSeq(cc, ",") {
		d = strings.TrimSpace(d)
		switch directiveName(d) {
		case "private", "no-store":
			return cc
		case "public", "s-maxage", "":
			continue
		}
		kept = append(kept, d)
	}
	return strings.Join(kept, ", ")
}

// SharedStorable reports whether h explicitly lets shared caches store
// its response: a field aimed at CDNs (see targetedCacheField), a
// Cache-Control that says neither "private" nor "no-store", or, without
// Cache-Control, an Expires. (A response with
// neither header may still be stored heuristically; Private covers both.)
func SharedStorable(h http.Header) bool {
	for k := range h {
		if targetedCacheField(k) {
			return true
		}
	}
	if len(h["Cache-Control"]) == 0 {
		return len(h["Expires"]) > 0
	}
	return !Unshared(h)
}

// Unshared reports whether h's Cache-Control forbids shared caches to
// store the response: it says "private" or "no-store".
func Unshared(h http.Header) bool {
	for _, v := range h["Cache-Control"] {
		for d := range strings.SplitSeq(v, ",") {
			switch directiveName(d) {
			case "private", "no-store":
				return true
			}
		}
	}
	return false
}

// directiveName is the lower-case name of one Cache-Control directive.
func directiveName(d string) string {
	name, _, _ := strings.Cut(d, "=")
	return strings.ToLower(strings.TrimSpace(name))
}

// Errors from CheckCookieName. The caller adds its package, the setting
// and the name.
var (
	ErrCookieNameChars  = errors.New("not a valid cookie name: use only letters, digits and !#$%&'*+-.^_`|~")
	ErrCookieNamePrefix = errors.New(`leave out the prefix; "__Host-" is added when the cookie is Secure`)
)

// CheckCookieName checks a configured cookie name. The rule, one for every
// Bulwark cookie: a non-empty RFC 6265 token that does not start with
// "__Host-" or "__Secure-" in any letter case. Browsers match those
// prefixes case-insensitively, and Bulwark adds "__Host-" itself when the
// cookie is Secure, so a configured prefix would either double up or be
// dropped by the browser on plain HTTP.
func CheckCookieName(name string) error {
	if name == "" {
		return ErrCookieNameChars
	}
	for i := 0; i < len(name); i++ {
		if !tokenByte(name[i]) {
			return ErrCookieNameChars
		}
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "__host-") || strings.HasPrefix(lower, "__secure-") {
		return ErrCookieNamePrefix
	}
	return nil
}

func tokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// Cookie is a cookie as SetCookie writes it: for the whole site (Path=/,
// no Domain, as the __Host- prefix requires).
type Cookie struct {
	Name  string
	Value string // bytes net/http allows in an unquoted value (base64url and hex do)
	// MaxAge is the lifetime in seconds: 0 sets none (with a zero Expires,
	// a browser-session cookie); below 0 deletes the cookie (Max-Age=0).
	MaxAge   int
	Expires  time.Time // zero: none
	Secure   bool
	HttpOnly bool
	SameSite http.SameSite
}

// String returns the Set-Cookie value, byte for byte what net/http's
// Cookie.String writes for the same cookie (TestCookieString pins it), in
// a quarter of the time: it skips the validation and sanitising that
// Bulwark's own names and values never need, which costs about 300 ns on
// every response that sets a cookie.
func (c Cookie) String() string {
	b := make([]byte, 0, len(c.Name)+len(c.Value)+112)
	b = append(b, c.Name...)
	b = append(b, '=')
	b = append(b, c.Value...)
	b = append(b, "; Path=/"...)
	if !c.Expires.IsZero() {
		b = append(b, "; Expires="...)
		b = c.Expires.UTC().AppendFormat(b, http.TimeFormat)
	}
	switch {
	case c.MaxAge > 0:
		b = append(b, "; Max-Age="...)
		b = strconv.AppendInt(b, int64(c.MaxAge), 10)
	case c.MaxAge < 0:
		b = append(b, "; Max-Age=0"...)
	}
	if c.HttpOnly {
		b = append(b, "; HttpOnly"...)
	}
	if c.Secure {
		b = append(b, "; Secure"...)
	}
	switch c.SameSite {
	case http.SameSiteLaxMode:
		b = append(b, "; SameSite=Lax"...)
	case http.SameSiteStrictMode:
		b = append(b, "; SameSite=Strict"...)
	case http.SameSiteNoneMode:
		b = append(b, "; SameSite=None"...)
	}
	return string(b)
}

// SetCookie adds c to h's Set-Cookie lines, replacing any line that
// already sets a cookie of the same name: the response carries one value
// per cookie, the last one set.
func SetCookie(h http.Header, c Cookie) {
	prefix := c.Name + "="
	lines := h["Set-Cookie"]
	kept := lines[:0:0]
	for _, v := range lines {
		if !strings.HasPrefix(v, prefix) {
			kept = append(kept, v)
		}
	}
	h["Set-Cookie"] = append(kept, c.String())
}
