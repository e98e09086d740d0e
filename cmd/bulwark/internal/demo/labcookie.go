// This file holds the lab's SameSite switch. The session.Manager's
// SameSite is fixed when it is built, so the lab rewrites the attribute of
// the session cookie as the response leaves the app. For None it also
// makes the cookie Secure, as browsers require; Chromium stores and sends
// Secure cookies over plain http://localhost, which the demo relies on.
// A real app sets SameSite once, in session.Config.

package demo

import (
	"net/http"
	"strings"
)

// sessionCookieNames are the session cookie's names: plain, and with the
// __Host- prefix the Manager uses when the cookie is Secure.
var sessionCookieNames = []string{"session", "__Host-session"}

// cookieRewriter rewrites the session cookie's SameSite attribute to
// lr.cookieSameSite before the header is written, when that differs from
// the Manager's own (fixed).
type cookieRewriter struct {
	http.ResponseWriter
	lr      *labRequest
	fixed   string
	written bool
}

func (c *cookieRewriter) WriteHeader(code int) {
	c.rewrite()
	c.ResponseWriter.WriteHeader(code)
}

func (c *cookieRewriter) Write(b []byte) (int, error) {
	c.rewrite()
	return c.ResponseWriter.Write(b)
}

// FlushError rewrites the cookie before a flush writes the header.
func (c *cookieRewriter) FlushError() error {
	c.rewrite()
	return http.NewResponseController(c.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *cookieRewriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *cookieRewriter) rewrite() {
	if c.written {
		return
	}
	c.written = true
	if c.lr.cookieSameSite == c.fixed {
		return
	}
	h := c.Header()
	for i, line := range h["Set-Cookie"] {
		if isSessionCookie(line) {
			h["Set-Cookie"][i] = withSameSite(line, c.lr.cookieSameSite)
		}
	}
}

// isSessionCookie reports whether a Set-Cookie line sets the session cookie.
func isSessionCookie(line string) bool {
	name, _, _ := strings.Cut(line, "=")
	for _, n := range sessionCookieNames {
		if strings.TrimSpace(name) == n {
			return true
		}
	}
	return false
}

// withSameSite returns the Set-Cookie line with its SameSite attribute
// replaced by sameSite, and Secure added for None.
func withSameSite(line, sameSite string) string {
	parts := strings.Split(line, ";")
	out := []string{parts[0]}
	secure := false
	for _, p := range parts[1:] {
		attr := strings.TrimSpace(p)
		name, _, _ := strings.Cut(attr, "=")
		switch {
		case strings.EqualFold(name, "SameSite"):
			continue
		case strings.EqualFold(name, "Secure"):
			secure = true
		}
		out = append(out, " "+attr)
	}
	out = append(out, " SameSite="+sameSite)
	if sameSite == "None" && !secure {
		out = append(out, " Secure")
	}
	return strings.Join(out, ";")
}
