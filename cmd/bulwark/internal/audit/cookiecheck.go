package audit

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// recordCookie keeps the first Set-Cookie seen for each cookie name
// (a deletion does not count).
func (a *auditor) recordCookie(u *url.URL, line string) {
	ck, err := http.ParseSetCookie(line)
	if err != nil || ck.MaxAge < 0 || ck.Value == "" || a.cookies[ck.Name] != nil {
		return
	}
	a.cookies[ck.Name] = &seenCookie{cookie: ck, page: show(u)}
	a.cookieOrder = append(a.cookieOrder, ck.Name)
}

// sessionish reports whether a cookie the site set looks like it
// carries a session: by its name, or because the login's answer set it.
func (a *auditor) sessionish(sc *seenCookie) bool {
	return !csrfCookie(sc.cookie.Name) && (sc.login || sessionName(sc.cookie.Name))
}

// isSession reports whether the cookie of that name carries the session:
// sessionish, or given with -cookie (all of those, when none is named
// like a session).
func (a *auditor) isSession(name string) bool {
	if sc := a.cookies[name]; sc != nil && a.sessionish(sc) {
		return true
	}
	if !slices.Contains(a.given, name) || csrfCookie(name) {
		return false
	}
	return sessionName(name) || !slices.ContainsFunc(a.given, sessionName)
}

// csrfCookie: a CSRF cookie, which scripts may need to read.
func csrfCookie(name string) bool {
	n := strings.ToLower(name)
	return isTokenName(n) && !strings.Contains(n, "sess")
}

// sessionName reports whether a cookie's name says it holds a session.
func sessionName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"sess", "sid", "auth", "login", "remember", "jwt", "identity", "user", "token"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return strings.HasPrefix(name, "__Host-") || strings.HasPrefix(name, "__Secure-")
}

// passiveCookies checks each session cookie's attributes.
func (a *auditor) passiveCookies() {
	https := a.start.Scheme == "https"
	for _, name := range a.cookieOrder {
		sc := a.cookies[name]
		if !a.sessionish(sc) {
			continue
		}
		ck := sc.cookie
		sev, problems := Info, []string{}
		flag := func(s Severity, p string) {
			sev = max(sev, s)
			problems = append(problems, p)
		}
		switch ck.SameSite {
		case http.SameSiteDefaultMode:
			flag(Low, "no SameSite: Chrome treats it as Lax, but Firefox and Safari attach it to cross-site requests")
		case http.SameSiteNoneMode:
			flag(Low, "SameSite=None: every cross-site request carries it, so only the server's CSRF checks stand")
		}
		if !ck.HttpOnly {
			flag(Low, "no HttpOnly: any script on the page can read it")
		}
		switch {
		case !ck.Secure && https:
			flag(Medium, "no Secure: it is also sent over plain HTTP")
		case !ck.Secure:
			flag(Info, "no Secure: the site is served over plain HTTP (fine for local development only)")
		}
		if https && !strings.HasPrefix(ck.Name, "__Host-") {
			flag(Low, "no __Host- prefix: a subdomain or a plain-HTTP page could plant a cookie of this name")
		}
		if len(problems) == 0 {
			continue
		}
		attrs := []string{}
		if s := sameSiteName(ck.SameSite); s != "" {
			attrs = append(attrs, "SameSite="+s)
		}
		if ck.HttpOnly {
			attrs = append(attrs, "HttpOnly")
		}
		if ck.Secure {
			attrs = append(attrs, "Secure")
		}
		slices.Sort(attrs)
		a.add(Finding{Severity: sev, Kind: KindCookie, URL: sc.page, Page: sc.page,
			Title:  fmt.Sprintf("session cookie %q (%s)", ck.Name, orNone(strings.Join(attrs, "; "))),
			Detail: strings.Join(problems, "; ") + "."})
	}
}

func orNone(s string) string {
	if s == "" {
		return "no attributes"
	}
	return s
}
