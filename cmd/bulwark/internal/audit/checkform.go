package audit

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// checkForm replays a POST form the way a cross-site auto-submitted form
// would: without its token, with another session's token, with an altered
// token, and as an older browser that sends no Fetch Metadata. If none
// changed state and the browser withheld a cookie, once more with every
// cookie attached, to tell SameSite's protection from the server's.
func (a *auditor) checkForm(ctx context.Context, t *formTarget) error {
	f := t.form
	if f.has("password") && !f.has("file") {
		return a.checkLogin(ctx, t)
	}
	if why := unreplayable(f); why != "" {
		a.note("POST %s not replayed: %s", f.Action.Redacted(), why)
		return nil
	}
	var attempts []Attempt
	try := func(name string, ctx_ sendContext, fetchMetadata bool, token func(url.Values)) error {
		if ok, err := a.ready(ctx); !ok || err != nil {
			return err
		}
		marker := newMarker()
		w, err := a.watch(ctx, t.page, marker)
		if err != nil {
			a.note("POST %s: %s: %v", f.Action.Redacted(), name, err)
			return fatal(ctx, err)
		}
		values := fill(f, marker)
		token(values)
		hdr := crossSite(ctx_, fetchMetadata)
		hdr.Set("Origin", attackerOrigin)
		att, err := a.forge(ctx, forgery{name: name, method: http.MethodPost, url: f.Action, ctx: ctx_, header: hdr, form: values}, w)
		attempts = append(attempts, att)
		return err
	}
	drop := func(v url.Values) { v.Del(t.token) }
	steps := []replay{{"cross-site form, no token", true, drop}}
	if t.token != "" {
		if other := a.otherToken(ctx, t); other != "" {
			steps = append(steps, replay{"cross-site form, another session's token", true, func(v url.Values) { v.Set(t.token, other) }})
		} else {
			a.note("POST %s: no other session's token to replay (the form is not on the page for a new session)", f.Action.Redacted())
		}
		steps = append(steps, replay{"cross-site form, altered token", true, func(v url.Values) { v.Set(t.token, alter(v.Get(t.token))) }})
	}
	steps = append(steps, replay{"older browser (no Fetch Metadata), no token", false, drop})
	for _, s := range steps {
		if err := try(s.name, crossSitePOST, s.fm, s.token); err != nil {
			return err
		}
	}
	if !anyChanged(attempts) && anyWithheld(attempts) {
		if err := try("cross-site form, no token, every cookie attached (as if SameSite=None)", forced, true, drop); err != nil {
			return err
		}
	}
	a.place(formVerdict(f, t, attempts), t.finding)
	return nil
}

// replay is one way checkForm forges a form: its name, whether it
// sends Fetch Metadata, and what it does to the token.
type replay struct {
	name  string
	fm    bool
	token func(url.Values)
}

// unreplayable says why a form is not forged, or "".
func unreplayable(f *form) string {
	switch {
	case f.has("password"):
		return "it has a password field (a login or a password change is not forged)"
	case f.has("file") || strings.HasPrefix(f.Enctype, "multipart/"):
		return "it uploads files (multipart forms are not forged yet)"
	}
	return ""
}

// fill gives a form the values a user would submit: its own values, the
// marker in its text fields, the first submit button.
func fill(f *form, marker string) url.Values {
	v := url.Values{}
	clicked := false
	for _, fd := range f.Fields {
		switch fd.Type {
		case "submit":
			if !clicked {
				v.Add(fd.Name, fd.Value)
				clicked = true
			}
		case "checkbox", "radio":
			if fd.Checked {
				v.Add(fd.Name, fd.Value)
			}
		case "text", "textarea", "search":
			v.Add(fd.Name, marker)
		case "email":
			v.Add(fd.Name, marker+"@example.invalid")
		case "url":
			v.Add(fd.Name, "https://example.invalid/"+marker)
		case "number", "range":
			v.Add(fd.Name, orDefault(fd.Value, "1"))
		default:
			v.Add(fd.Name, fd.Value)
		}
	}
	return v
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// alter changes a token's last character.
func alter(tok string) string {
	if tok == "" {
		return "x"
	}
	last := tok[len(tok)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return tok[:len(tok)-1] + string(repl)
}

// otherToken renders the form for another session and returns its token,
// or "": a second login if -login was given, else an anonymous visit.
func (a *auditor) otherToken(ctx context.Context, t *formTarget) string {
	if a.other == nil {
		a.other = newJar()
		if a.login != nil {
			if err := a.loginInto(ctx, a.other); err != nil {
				a.note("a second session for the token replays: %v", err)
				a.other = newJar()
			}
		}
	}
	p, err := a.fetchPage(ctx, t.page, a.other)
	if err != nil {
		return ""
	}
	for _, g := range p.Forms {
		if g.Action != nil && g.key() == t.form.key() {
			if fd := g.field(t.token); fd != nil {
				return fd.Value
			}
		}
	}
	return ""
}

func anyChanged(as []Attempt) bool {
	for _, at := range as {
		if at.Changed != "" {
			return true
		}
	}
	return false
}

func anyWithheld(as []Attempt) bool {
	for _, at := range as {
		if len(at.Withheld) > 0 {
			return true
		}
	}
	return false
}

// formVerdict turns a form's attempts into its finding.
func formVerdict(f *form, t *formTarget, as []Attempt) Finding {
	out := Finding{Kind: KindForgeableForm, Method: "POST", URL: f.Action.Redacted(), Page: t.page.Redacted(), Evidence: as}
	var browser, older, forcedOnly bool
	for _, at := range as {
		switch {
		case at.Changed == "":
		case at.Forced:
			forcedOnly = true
		case at.Headers["Sec-Fetch-Site"] == "":
			older = true
		default:
			browser = true
		}
	}
	switch {
	case browser:
		out.Severity, out.Verdict = High, Vulnerable
		out.Title = "a form another site submits changes state"
		out.Detail = "Sent the way a browser sends another site's auto-submitted form, " + changedBy(as) + ". Check a per-session token on every POST, and refuse cross-site requests by Sec-Fetch-Site and Origin."
	case older:
		out.Severity, out.Verdict = Medium, Vulnerable
		out.Title = "a form another site submits changes state in browsers without Fetch Metadata"
		out.Detail = "The server refused the forgery with Sec-Fetch-Site: cross-site but not without it, from another Origin: " + changedBy(as) + ". Check the Origin header (or a token) as well."
	case forcedOnly:
		out.Severity, out.Verdict = Medium, SameSiteOnly
		out.Title = "a forged form works but for the cookie's " + withheldBy(as)
		out.Detail = "The server has no CSRF check of its own: with the session cookie attached, " + changedBy(as) + ". Only the browser's SameSite kept it out, which a same-site attacker (a subdomain) or an older browser gets past. Add a token or a Fetch Metadata check."
	default:
		out.Severity, out.Verdict = Info, Protected
		out.Title = "forged submissions were refused"
		out.Detail = protectedNote(t, as)
	}
	out.Title = "POST " + f.Action.Path + ": " + out.Title
	return out
}

// changedBy says what the first state-changing attempt did.
func changedBy(as []Attempt) string {
	for _, at := range as {
		if at.Changed != "" {
			return fmt.Sprintf("%q was answered %d, and %s", at.Name, at.Status, at.Changed)
		}
	}
	return ""
}

// withheldBy names the SameSite attribute that withheld a cookie.
func withheldBy(as []Attempt) string {
	for _, at := range as {
		for _, w := range at.Withheld {
			if strings.Contains(w, "Strict") {
				return "SameSite=Strict"
			}
		}
	}
	return "SameSite=Lax"
}

func protectedNote(t *formTarget, as []Attempt) string {
	var parts []string
	if t.token == "" {
		parts = append(parts, "The form has no token, but the server refused cross-site submissions (by Sec-Fetch-Site and Origin): that protects browsers from 2020 on; a token also covers older ones.")
	} else {
		parts = append(parts, "The server refused every forged or missing token.")
	}
	if anyWithheld(as) && !anyAcceptedAll(as) {
		parts = append(parts, "The browser's SameSite would also have withheld the session cookie.")
	} else if !anyWithheld(as) {
		parts = append(parts, "The session cookie was sent along (no SameSite protection): the server's checks alone refused.")
	}
	for _, at := range as {
		if at.Accepted && at.Changed == "" {
			parts = append(parts, fmt.Sprintf("(%s was answered %d, but nothing the audit could see changed.)", at.Name, at.Status))
			break
		}
	}
	return strings.Join(parts, " ")
}

func anyAcceptedAll(as []Attempt) bool {
	for _, at := range as {
		if at.Forced && at.Accepted {
			return true
		}
	}
	return false
}
