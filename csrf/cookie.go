// cookie.go holds the csrf cookie in the request and the response: finding
// it (and the session cookie it is bound to) in the Cookie header, and the
// Set-Cookie that carries a new one.

package csrf

import (
	"net/http"
	"strings"

	"github.com/bulwark-go/bulwark/internal/header"
)

const (
	cookieMaxAge = 365 * 24 * 60 * 60 // a year, as Django's: a form left open overnight still works
	hostPrefix   = "__Host-"          // the name prefix of a Secure cookie
)

// cookieNameFor is the csrf cookie's name for a request: with the __Host-
// prefix when it is HTTPS.
func (p *Protector) cookieNameFor(secure bool) string {
	if secure {
		return p.hostCookieName
	}
	return p.cookieName
}

// loadCookieSecret reads the secret from the first csrf cookie that
// verifies (a sibling subdomain may have planted others before it).
func (p *Protector) loadCookieSecret(st *state) {
	if p.sessionName != "" {
		st.session = p.sessionValue(st.req.Header, st.secure)
	}
	st.secretErr = ErrNoCookie
	forEachCookie(st.req.Header["Cookie"], p.cookieNameFor(st.secure), func(v string) bool {
		st.secretErr = ErrBadCookie
		ok, stale := p.signer.verify(&st.secret, v, st.session)
		if ok {
			// A cookie signed with a previous key is re-signed with Key
			// (same secret) if this response renders a token.
			st.haveSecret, st.secretErr, st.issueCookie = true, nil, stale
		}
		return !ok
	})
}

// sessionValue returns the value of the app's session cookie, the one
// net/http's Request.Cookie returns: the __Host- form first on HTTPS.
func (p *Protector) sessionValue(h http.Header, secure bool) string {
	var v string
	found := false
	get := func(s string) bool { v, found = s, true; return false }
	if secure {
		forEachCookie(h["Cookie"], p.hostSessionName, get)
	}
	if !found {
		forEachCookie(h["Cookie"], p.sessionName, get)
	}
	return v
}

// forEachCookie calls f with the value of each cookie called name in the
// Cookie header lines, until f returns false.
//
// It is net/http's cookie parsing without its allocations: Request.Cookie
// and CookiesNamed build a slice and a *Cookie per lookup, which costs
// about 225 ns on every request that carries a cookie (measured in bench/).
// It parses exactly as they do (names and parts trimmed of
// ASCII white space, quotes stripped, values with bytes net/http refuses
// skipped), which FuzzForEachCookie pins. So the session cookie the csrf
// cookie is bound to is the one the app's session library reads: a value
// net/http would skip cannot stand in for the real session cookie that
// follows it.
func forEachCookie(lines []string, name string, f func(string) bool) {
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(trimOWS(part), "=")
			if trimOWS(k) != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if !validCookieValue(v) {
				continue
			}
			if !f(v) {
				return
			}
		}
	}
}

// trimOWS trims ASCII space, tab, CR and LF, as net/textproto.TrimString
// does.
func trimOWS(s string) string {
	for len(s) > 0 && isOWS(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isOWS(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// validCookieValue reports whether net/http accepts v as a cookie value.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if !cookieValueByte[v[i]] {
			return false
		}
	}
	return true
}

// cookieValueByte marks the bytes net/http allows in a cookie value.
var cookieValueByte = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '"' && b != ';' && b != '\\'
	}
	return t
}()

// setCookie adds the signed cookie carrying st's secret to h, and keeps the
// response out of shared caches: a CDN would hand this client's secret, and
// the token rendered with it, to every later visitor.
func (st *state) setCookie(h http.Header) {
	p := st.p
	session := st.session
	if p.sessionName != "" {
		// A session library that already set its new cookie in this
		// response (after a login) gets the new value bound.
		if v, ok := p.responseSession(h, st.secure); ok {
			session = v
		}
	}
	header.SetCookie(h, header.Cookie{
		Name: p.cookieNameFor(st.secure), Value: p.signer.encode(&st.secret, session),
		MaxAge: cookieMaxAge, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: st.secure,
	})
	header.Private(h)
}

// responseSession finds the session cookie in the response's Set-Cookie
// headers.
func (p *Protector) responseSession(h http.Header, secure bool) (string, bool) {
	for _, sc := range h["Set-Cookie"] {
		nv, _, _ := strings.Cut(sc, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(nv), "=")
		if ok && (k == p.sessionName || (secure && k == p.hostSessionName)) {
			return v, true
		}
	}
	return "", false
}
