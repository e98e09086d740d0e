// This file holds the session cookie: its name and attributes.

package session

import (
	"net/http"
	"time"

	"github.com/bulwark-go/bulwark/internal/header"
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
	c := header.Cookie{
		Name:     m.cookieName(r),
		Value:    id,
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
	header.SetCookie(hdr, c)
	header.AddVary(hdr, "Cookie")
	// Shared caches must not store this response, or they would hand the
	// cookie to anyone else: "private" (a handler's "no-store" stays).
	header.Private(hdr)
}
