package audit

import (
	"context"
	"crypto/rand"
	"fmt"
)

// isLoginForm reports whether f is the site's login form: the -login
// page's, or a form with a password field whose action or label says it
// signs in. Other password forms (sign-up, password change) are not sent.
func (a *auditor) isLoginForm(f *form) bool {
	if !f.has("password") || f.has("file") {
		return false
	}
	if a.loginView != nil {
		if lf := loginForm(a.loginView.page); lf != nil && lf.key() == f.key() {
			return true
		}
	}
	ws := words(f.Action.Path + " " + f.Label)
	for i, w := range ws {
		if w == "login" || w == "signin" || w == "logon" || (i+1 < len(ws) && (w == "log" || w == "sign") && ws[i+1] == "in") {
			return true
		}
	}
	return false
}

// checkLogin tests a login form for login CSRF without signing anybody
// in: it submits a made-up user name and password twice, once from the
// site's own page and once as another site's auto-submitted form. If both
// get the same answer, the server did not tell them apart: another site
// could sign the user into the attacker's account.
func (a *auditor) checkLogin(ctx context.Context, t *formTarget) error {
	f := t.form
	user, password := newMarker(), rand.Text()
	anon := newJar()
	own, err := a.fetchPage(ctx, t.page, anon)
	if err != nil {
		a.note("POST %s (login) not checked: %v", show(f.Action), err)
		return fatal(ctx, err)
	}
	same := loginForm(own)
	if same == nil || same.key() != f.key() {
		a.note("POST %s (login) not checked: a new session is not shown the form", show(f.Action))
		return nil
	}
	values, ok := loginValues(same, user, password)
	if !ok {
		return nil
	}
	cookies, _ := anon.forRequest(f.Action, sameOriginNav)
	hdr := navigate(t.page)
	hdr.Set("Origin", a.c.origin.String())
	control, err := a.c.do(ctx, formRequest(f, hdr, cookies, values))
	if err != nil {
		return fatal(ctx, err)
	}
	if t.token != "" {
		values.Del(t.token)
	}
	hdr = crossSite(crossSitePOST, true)
	hdr.Set("Origin", attackerOrigin)
	sent, withheld := anon.forRequest(f.Action, crossSitePOST)
	resp, err := a.c.do(ctx, formRequest(f, hdr, sent, values))
	if err != nil {
		return fatal(ctx, err)
	}
	att := Attempt{Name: "cross-site login form, no token, a made-up user", Method: f.Method, URL: show(f.Action),
		Headers: map[string]string{"Origin": attackerOrigin, "Sec-Fetch-Site": "cross-site"}, Cookies: names(sent), Withheld: withheld,
		Body: shortBody(values, t.token), Status: resp.Status, Accepted: resp.Status == control.Status}
	out := Finding{Kind: KindForgeableForm, Method: f.Method, URL: show(f.Action), Page: show(t.page), Evidence: []Attempt{att}}
	if att.Accepted {
		out.Severity, out.Verdict = Medium, Vulnerable
		out.Title = f.Method + " " + f.Action.EscapedPath() + ": the login form takes another site's submissions (login CSRF)"
		out.Detail = fmt.Sprintf("A made-up login got the same answer (%d) from another site as from the site's own page. With the attacker's real credentials, another site could sign the user into the attacker's account. Put a token in the login form too, or refuse cross-site POSTs.", resp.Status)
	} else {
		out.Severity, out.Verdict = Info, Protected
		out.Title = f.Method + " " + f.Action.EscapedPath() + ": the login form refuses other sites' submissions"
		out.Detail = fmt.Sprintf("A made-up login was answered %d from the site's own page but %d from another site.", control.Status, resp.Status)
	}
	a.place(out, t.finding)
	return nil
}
