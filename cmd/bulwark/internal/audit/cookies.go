package audit

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// sendContext is how a browser would send a request, which decides the
// cookies it attaches.
type sendContext int

const (
	sameOriginNav  sendContext = iota // the site's own pages and forms
	crossSiteImage                    // <img src> on another site: a cross-site subresource GET
	crossSiteLink                     // a link on another site: a top-level cross-site GET
	crossSitePOST                     // a form another site submits: a top-level cross-site POST
	forced                            // every cookie, whatever its SameSite
)

// jar keeps one origin's cookies with their attributes, as a browser would.
type jar struct {
	cookies []*http.Cookie
}

func newJar() *jar { return &jar{} }

// update applies the Set-Cookie lines of an answer from u.
func (j *jar) update(u *url.URL, h http.Header) {
	for _, line := range h.Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		if !acceptable(ck, u) {
			continue
		}
		if ck.Path == "" || !strings.HasPrefix(ck.Path, "/") {
			ck.Path = defaultPath(u.Path)
		}
		j.remove(ck.Name, ck.Path)
		if ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			continue
		}
		j.cookies = append(j.cookies, ck)
	}
}

func (j *jar) remove(name, path string) {
	j.cookies = slices.DeleteFunc(slices.Clone(j.cookies), func(c *http.Cookie) bool {
		return c.Name == name && c.Path == path
	})
}

// forRequest returns the cookies a browser would attach to a request for
// u sent in context ctx, and the names of those it would withhold with why.
func (j *jar) forRequest(u *url.URL, ctx sendContext) (send []*http.Cookie, withheld []string) {
	for _, c := range j.cookies {
		if !pathMatch(u.Path, c.Path) || (c.Secure && !trustworthy(u)) {
			continue
		}
		if why := sameSiteWithholds(c, ctx); why != "" {
			withheld = append(withheld, c.Name+" ("+why+")")
			continue
		}
		send = append(send, c)
	}
	return send, withheld
}

// sameSiteWithholds says why a browser would not attach c in ctx, or "".
// A cookie without SameSite is attached: Firefox and Safari still do,
// although Chrome treats it as Lax.
func sameSiteWithholds(c *http.Cookie, ctx sendContext) string {
	switch {
	case ctx == sameOriginNav || ctx == forced:
		return ""
	case c.SameSite == http.SameSiteStrictMode:
		return "SameSite=Strict"
	case c.SameSite == http.SameSiteLaxMode && ctx != crossSiteLink:
		return "SameSite=Lax"
	}
	return ""
}

// sameSiteName is the attribute as a Set-Cookie line writes it.
func sameSiteName(s http.SameSite) string {
	switch s {
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}

// trustworthy: HTTPS, or a loopback host, where browsers send Secure cookies.
func trustworthy(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	return isLoopbackHost(u.Hostname())
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pathMatch is RFC 6265's path-match.
func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == "" {
		reqPath = "/"
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return len(reqPath) == len(cookiePath) || strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

// defaultPath is RFC 6265's default-path of a request path.
func defaultPath(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// names lists cookie names.
func names(cs []*http.Cookie) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// named returns the jar's cookie of that name, or nil.
func (j *jar) named(name string) *http.Cookie {
	for _, c := range j.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// acceptable: a browser would store the cookie from u. Not a Domain
// that u's host is not in, not Secure from plain HTTP (but on a loopback
// host, as browsers do), and not SameSite=None without Secure.
func acceptable(c *http.Cookie, u *url.URL) bool {
	if (c.Secure && !trustworthy(u)) || (c.SameSite == http.SameSiteNoneMode && !c.Secure) {
		return false
	}
	d := strings.ToLower(strings.TrimPrefix(c.Domain, "."))
	host := strings.ToLower(u.Hostname())
	return d == "" || host == d || strings.HasSuffix(host, "."+d)
}

// updateFrom applies the Set-Cookie lines of a forged request's answer
// as the browser would: from a cross-site image only SameSite=None
// cookies, from a navigation all.
func (j *jar) updateFrom(u *url.URL, h http.Header, ctx sendContext) {
	if ctx != crossSiteImage {
		j.update(u, h)
		return
	}
	var none []string
	for _, line := range h.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(line); err == nil && ck.SameSite == http.SameSiteNoneMode {
			none = append(none, line)
		}
	}
	j.update(u, http.Header{"Set-Cookie": none})
}
