package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// signIn gives the audit its session: through the login form (-login),
// or from -cookie. Then it learns how a signed-in page differs from an
// anonymous one, to see a session end.
func (a *auditor) signIn(ctx context.Context) error {
	switch {
	case a.cfg.Cookie != "":
		if err := a.useCookie(ctx); err != nil {
			return err
		}
	case a.cfg.Login != "":
		lu, err := a.start.Parse(a.cfg.Login)
		switch {
		case err != nil:
			return fmt.Errorf("-login: not a URL: %w", err)
		case lu.User != nil:
			return errors.New("-login: the URL must not carry a user or password: give -user and -password-env")
		case !a.c.sameOrigin(lu):
			return fmt.Errorf("-login %s: not a page of %s", show(lu), a.c.origin)
		}
		a.login = lu
		if err := a.loginInto(ctx, a.jar); err != nil {
			return err
		}
	default:
		return nil
	}
	a.report.SignedIn = true
	probe, err := a.learnSession(ctx, a.start)
	if err != nil {
		return fmt.Errorf("%s: %w", show(a.start), err)
	}
	if probe == nil {
		a.note("the start page looks the same signed in and anonymous: the audit cannot see a session end there, only a cookie deleted")
	}
	a.probe = probe
	return nil
}

// useCookie puts -cookie's cookies in the jar. Their attributes come from
// the site's own Set-Cookie for the same names, if an anonymous visit
// shows one; otherwise they are unknown (treated as no SameSite).
func (a *auditor) useCookie(ctx context.Context) error {
	given, err := http.ParseCookie(a.cfg.Cookie)
	if err != nil || len(given) == 0 {
		return fmt.Errorf("-cookie: want name=value[; name2=value2]: %v", err)
	}
	anon := newJar()
	if _, err := a.c.get(ctx, a.start, anon, navigate(nil)); err != nil {
		return fmt.Errorf("%s: %w", show(a.start), err)
	}
	for _, g := range given {
		ck := &http.Cookie{Name: g.Name, Value: g.Value, Path: "/"}
		if like := anon.named(g.Name); like != nil {
			c := *like
			c.Value = g.Value
			ck = &c
		} else {
			a.note("the cookie %q from -cookie: the site did not set it to an anonymous visitor, so its SameSite is unknown; the audit attaches it as a browser attaches a cookie without SameSite (Firefox and Safari: to every request), which may rate a target worse than the browser would", g.Name)
		}
		a.given = append(a.given, g.Name)
		a.jar.cookies = append(a.jar.cookies, ck)
	}
	return nil
}

// loginInto signs in through the login form, keeping the session in j.
func (a *auditor) loginInto(ctx context.Context, j *jar) error {
	fail := func(format string, args ...any) error {
		msg := queryRE.ReplaceAllString(fmt.Sprintf(format, args...), "?…") // a GET login's URLs carry the password
		return fmt.Errorf("%w: %s", ErrLogin, redact(msg, a.cfg.Password))
	}
	resp, err := a.c.get(ctx, a.login, j, navigate(nil))
	if err != nil {
		return fail("%v", err)
	}
	if err := readable(resp, a.cfg.MaxBody); err != nil {
		return fail("%s %v", show(a.login), err)
	}
	lp := parsePage(resp.URL, resp.Body)
	if a.loginView == nil {
		a.loginView = &visit{page: lp, resp: resp}
	}
	f := loginForm(lp)
	if f == nil {
		return fail("%s has no form with a password field", show(resp.URL))
	}
	values, ok := loginValues(f, a.cfg.User, a.cfg.Password)
	if !ok {
		return fail("the login form has no user name field next to its password field")
	}
	cookies, _ := j.forRequest(f.Action, sameOriginNav)
	hdr := navigate(resp.URL)
	hdr.Set("Origin", a.c.origin.String())
	answer, err := a.c.do(ctx, formRequest(f, hdr, cookies, values))
	if err != nil {
		return fail("%v", err)
	}
	j.update(f.Action, answer.Header)
	a.markLoginCookies(answer.Header)
	if answer.Status >= 400 {
		return fail("the login form's answer was %d %s", answer.Status, http.StatusText(answer.Status))
	}
	next := answer
	if loc := answer.location(); loc != nil {
		if !a.c.sameOrigin(loc) {
			return fail("the login redirects off the origin, to %s", show(loc))
		}
		if next, err = a.c.get(ctx, loc, j, navigate(f.Action)); err != nil {
			return fail("%v", err)
		}
	}
	if again := loginFormOf(next); again != nil && again.Action.Path == f.Action.Path {
		return fail("the site showed its login form again: wrong user name or password (-user, -password-env)?")
	}
	return nil
}

// loginFormOf is the login form of an HTML answer, or nil.
func loginFormOf(r *response) *form {
	if !r.isHTML() {
		return nil
	}
	return loginForm(parsePage(r.URL, r.Body))
}

// loginForm is the page's first form with a password field.
func loginForm(p *page) *form {
	for _, f := range p.Forms {
		if f.has("password") && f.Action != nil {
			return f
		}
	}
	return nil
}

// loginValues fills a login form: the user name in the first text-like
// field, the password in the first password field, the rest as rendered.
func loginValues(f *form, user, password string) (url.Values, bool) {
	v := url.Values{}
	userSet, passSet, clicked := false, false, false
	for _, fd := range f.Fields {
		switch {
		case fd.Type == "password" && !passSet:
			v.Set(fd.Name, password)
			passSet = true
		case (fd.Type == "text" || fd.Type == "email") && !userSet && !isTokenName(fd.Name):
			v.Set(fd.Name, user)
			userSet = true
		case fd.Submit:
			if !clicked {
				v.Add(fd.Name, fd.Value)
				clicked = true
			}
		case fd.Type == "checkbox" || fd.Type == "radio":
			if fd.Checked {
				v.Add(fd.Name, fd.Value)
			}
		case fd.Type != "password":
			v.Add(fd.Name, fd.Value)
		}
	}
	return v, userSet && passSet
}

// markLoginCookies notes the cookies the login's answer set: sessions.
func (a *auditor) markLoginCookies(h http.Header) {
	for _, line := range h.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(line); err == nil && a.cookies[ck.Name] != nil {
			a.cookies[ck.Name].login = true
		}
	}
}

// formRequest submits f's values as a browser would: in the body of a
// POST, in the query of a GET.
func formRequest(f *form, hdr http.Header, cookies []*http.Cookie, values url.Values) request {
	if f.Method == http.MethodGet {
		u := *f.Action
		u.RawQuery = values.Encode()
		hdr.Del("Origin")
		return request{Method: http.MethodGet, URL: &u, Header: hdr, Cookies: cookies}
	}
	return request{Method: http.MethodPost, URL: f.Action, Header: hdr, Cookies: cookies, Form: values.Encode()}
}

// queryRE matches the query of a URL in a message.
var queryRE = regexp.MustCompile(`\?[^\s"']*`)

// redact removes a secret from a message, as written and URL-escaped.
func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	for _, s := range []string{url.QueryEscape(secret), url.PathEscape(secret), secret} {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	return msg
}
