// This file holds the session cookie: its name and attributes.

package session

import (
	"net/http"
	"strings"
	"time"

	"github.com/bulwark-go/bulwark/internal/scheme"
)

func (m *Manager) secure(r *http.Request) bool {
	switch m.cfg.Secure {
	case SecureAlways:
		return true
	case SecureNever:
		return false
	default:
		return scheme.IsHTTPS(r, m.cfg.TrustProxyHeaders)
	}
}

// cookieName is the cookie's name for r: "__Host-" + CookieName when the
// cookie is Secure.
func (m *Manager) cookieName(r *http.Request) string {
	if m.secure(r) {
		return m.hostCookieName
	}
	return m.cfg.CookieName
}

// CookieName returns the session cookie's name for r (with the __Host-
// prefix when the cookie is Secure for r). The csrf package's
// Config.SessionCookie takes Config.CookieName; this is for tools and tests.
func (m *Manager) CookieName(r *http.Request) string { return m.cookieName(r) }

// setCookie replaces any session cookie already set on hdr. An empty id
// expires the cookie. A persistent cookie expires at deadline.
func (m *Manager) setCookie(hdr http.Header, r *http.Request, id string, deadline time.Time, persist bool) {
	c := &http.Cookie{
		Name:     m.cookieName(r),
		Value:    id,
		Path:     "/",
		Secure:   m.secure(r),
		HttpOnly: true,
		SameSite: m.cfg.SameSite,
	}
	switch {
	case id == "":
		c.MaxAge = -1
		c.Expires = time.Unix(1, 0)
	case persist:
		c.Expires = deadline.UTC()
		c.MaxAge = max(1, int(deadline.Sub(m.now())/time.Second))
	}
	prefix := c.Name + "="
	kept := hdr.Values("Set-Cookie")[:0:0]
	for _, v := range hdr.Values("Set-Cookie") {
		if len(v) < len(prefix) || v[:len(prefix)] != prefix {
			kept = append(kept, v)
		}
	}
	hdr.Del("Set-Cookie")
	for _, v := range kept {
		hdr.Add("Set-Cookie", v)
	}
	hdr.Add("Set-Cookie", c.String())
	varyCookie(hdr)
	// Shared caches must not hand this cookie to anyone else.
	if cc := hdr.Values("Cache-Control"); len(cc) == 0 {
		hdr.Set("Cache-Control", `no-cache="Set-Cookie"`)
	} else {
		hdr["Cache-Control"] = []string{privateCacheControl(strings.Join(cc, ", "))}
	}
}

// varyCookie adds Cookie to the Vary header unless it is listed already:
// the response depends on the session cookie.
func varyCookie(hdr http.Header) {
	for _, v := range hdr.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, "Cookie") {
				return
			}
		}
	}
	hdr.Add("Vary", "Cookie")
}

// privateCacheControl rewrites a handler's Cache-Control for a response
// that sets the session cookie, so that no shared cache (CDN, proxy) may
// store it and hand the cookie to other visitors: "public" and "s-maxage"
// are dropped and "private" added, unless it already says private or
// no-store. Other directives (max-age for the browser's own cache) stay.
func privateCacheControl(cc string) string {
	var kept []string
	for d := range strings.SplitSeq(cc, ",") {
		name, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(d)), "=")
		switch name {
		case "private", "no-store":
			return cc
		case "public", "s-maxage", "":
			continue
		}
		kept = append(kept, strings.TrimSpace(d))
	}
	return strings.Join(append([]string{"private"}, kept...), ", ")
}
