package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// checkForm replays a POST form the way a cross-site auto-submitted form
// would: without its token, with another session's token, with an altered
// token, and as an older browser that sends no Fetch Metadata. It stops
// at the first replay the server takes. If none changed state and the browser
// withheld a cookie, it sends one more with every cookie attached, to
// tell SameSite's protection from the server's.
func (a *auditor) checkForm(ctx context.Context, t *formTarget) error {
	f := t.form
	if a.isLoginForm(f) {
		return a.checkLogin(ctx, t)
	}
	if why := unreplayable(f); why != "" {
		a.note("POST %s not replayed: %s", show(f.Action), why)
		return nil
	}
	var attempts []Attempt
	for _, r := range a.replays(ctx, t) {
		att, err := a.replayForm(ctx, t, r)
		if err != nil {
			return a.inconclusive(ctx, "POST "+show(f.Action), err)
		}
		attempts = append(attempts, att)
		if att.Changed != "" || att.Accepted {
			break // taken: more replays would only act again
		}
	}
	if !anyChanged(attempts) && anyWithheld(attempts) {
		att, err := a.replayForm(ctx, t, replay{name: "cross-site form, no token, every cookie attached (as if SameSite=None)", sc: forced, fm: true, token: t.drop})
		if err != nil {
			return a.inconclusive(ctx, "POST "+show(f.Action), err)
		}
		attempts = append(attempts, att)
	}
	a.place(formVerdict(f, t, attempts), t.finding)
	return nil
}

// replay is one way checkForm forges a form: its name, how the browser
// sends it, whether with Fetch Metadata, and what it does to the token.
type replay struct {
	name     string
	sc       sendContext
	fm       bool
	token    func(url.Values)
	sameUser bool // the token is from another session of the same user
}

// replays lists the forgeries of t, in order.
func (a *auditor) replays(ctx context.Context, t *formTarget) []replay {
	rs := []replay{{name: "cross-site form, no token", sc: crossSitePOST, fm: true, token: t.drop}}
	if t.token != "" {
		switch other, sameUser := a.otherToken(ctx, t); {
		case other == "":
			a.note("POST %s: no other session's token to replay (the form is not shown to a new session)", show(t.form.Action))
		case sameUser:
			rs = append(rs, replay{name: "cross-site form, the token of the same user's other session", sc: crossSitePOST, fm: true, sameUser: true,
				token: func(v url.Values) { v.Set(t.token, other) }})
		default:
			rs = append(rs, replay{name: "cross-site form, another session's token", sc: crossSitePOST, fm: true,
				token: func(v url.Values) { v.Set(t.token, other) }})
		}
		rs = append(rs, replay{name: "cross-site form, altered token", sc: crossSitePOST, fm: true,
			token: func(v url.Values) { v.Set(t.token, alter(v.Get(t.token))) }})
	}
	return append(rs, replay{name: "older browser (no Fetch Metadata), no token", sc: crossSitePOST, token: t.drop})
}

// drop removes the form's token.
func (t *formTarget) drop(v url.Values) { v.Del(t.token) }

// replayForm sends one forgery of t and says what it did.
func (a *auditor) replayForm(ctx context.Context, t *formTarget, r replay) (Attempt, error) {
	if err := a.ready(ctx); err != nil {
		return Attempt{}, err
	}
	marker := newMarker()
	w, err := a.watch(ctx, t.page, marker)
	if err != nil {
		return Attempt{}, err
	}
	values := fill(t.form, marker)
	r.token(values)
	hdr := crossSite(r.sc, r.fm)
	hdr.Set("Origin", attackerOrigin)
	att, err := a.forge(ctx, forgery{name: r.name, method: http.MethodPost, url: t.form.Action, ctx: r.sc, header: hdr, form: values, secret: t.token}, w)
	att.SameUser = r.sameUser
	if err == nil && att.Err != "" && att.Changed == "" {
		err = errors.New(att.Err)
	}
	return att, err
}

// unreplayable says why a form is not forged, or "".
func unreplayable(f *form) string {
	switch {
	case f.has("password"):
		return "it has a password field and is not the login form (a sign-up or a password change is not forged)"
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
			v.Add(fd.Name, cmp.Or(fd.Value, "1"))
		default:
			v.Add(fd.Name, fd.Value)
		}
	}
	return v
}

// alter changes one character in the middle of a token to another of
// its kind (digit, lower or upper letter), so that the token decodes to
// other bytes: not only in case (hex) nor only in padding bits (base64's
// last character).
func alter(tok string) string {
	if tok == "" {
		return "x"
	}
	b := []byte(tok)
	i := len(b) / 2
	switch c := b[i]; {
	case c >= '0' && c <= '9':
		b[i] = '0' + (c-'0'+1)%10
	case c >= 'a' && c <= 'f':
		b[i] = 'a' + (c-'a'+1)%6 // stays hex
	case c >= 'a' && c <= 'z':
		b[i] = 'a' + (c-'a'+1)%26
	case c >= 'A' && c <= 'F':
		b[i] = 'A' + (c-'A'+1)%6
	case c >= 'A' && c <= 'Z':
		b[i] = 'A' + (c-'A'+1)%26
	default:
		b[i] = '0'
	}
	return string(b)
}

// otherToken returns the form's token as another session is given it,
// and whether that session is the same user's: first an anonymous
// visitor's (what an attacker can get), else a second sign-in's.
func (a *auditor) otherToken(ctx context.Context, t *formTarget) (token string, sameUser bool) {
	if tok := a.tokenFor(ctx, t, newJar()); tok != "" {
		return tok, false
	}
	if a.login == nil {
		return "", false
	}
	if a.other == nil {
		a.other = newJar()
		if err := a.loginInto(ctx, a.other); err != nil {
			a.note("a second session for the token replays: %v", err)
			return "", false
		}
	}
	return a.tokenFor(ctx, t, a.other), true
}

// tokenFor renders t's page with j's session and returns its token, or "".
func (a *auditor) tokenFor(ctx context.Context, t *formTarget, j *jar) string {
	p, err := a.fetchPage(ctx, t.page, j)
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
	return slices.ContainsFunc(as, func(at Attempt) bool { return at.Changed != "" })
}

func anyWithheld(as []Attempt) bool {
	return slices.ContainsFunc(as, func(at Attempt) bool { return len(at.Withheld) > 0 })
}

// formVerdict turns a form's attempts into its finding.
func formVerdict(f *form, t *formTarget, as []Attempt) Finding {
	out := Finding{Kind: KindForgeableForm, Method: "POST", URL: show(f.Action), Page: show(t.page), Evidence: as}
	var browser, sameUser, older, forcedOnly, accepted bool
	for _, at := range as {
		accepted = accepted || at.Accepted
		switch {
		case at.Changed == "":
		case at.Forced:
			forcedOnly = true
		case at.SameUser:
			sameUser = true
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
	case sameUser:
		out.Severity, out.Verdict = Medium, Vulnerable
		out.Title = "a form takes the token of another session of the same user"
		out.Detail = changedBy(as) + ". A token that is not bound to its session outlives a logout or a stolen session; an attacker's own token may work too. Bind tokens to the session."
	case older:
		out.Severity, out.Verdict = Medium, Vulnerable
		out.Title = "a form another site submits changes state in browsers without Fetch Metadata"
		out.Detail = "The server refused the forgery with Sec-Fetch-Site: cross-site but not without it, from another Origin: " + changedBy(as) + ". Check the Origin header (or a token) as well."
	case forcedOnly:
		out.Severity, out.Verdict = Medium, SameSiteOnly
		out.Title = "a forged form works but for the cookie's " + withheldBy(as)
		out.Detail = "The server has no CSRF check of its own: with the session cookie attached, " + changedBy(as) + ". Only the browser's SameSite kept it out, which a same-site attacker (a subdomain) or an older browser gets past. Add a token or a Fetch Metadata check."
	case accepted:
		out.Severity, out.Verdict = Low, Unconfirmed
		out.Title = "forged submissions were accepted, but no change showed"
		out.Detail = acceptedBy(as) + ". The audit saw no change on the form's page, the page it redirects to, or the session; the effect may show elsewhere. Check it by hand."
	default:
		out.Severity, out.Verdict = Info, Protected
		out.Title = "forged submissions were refused"
		out.Detail = protectedNote(t, as)
	}
	out.Title = "POST " + f.Action.EscapedPath() + ": " + out.Title
	return out
}

// acceptedBy names the first accepted attempt and its answer.
func acceptedBy(as []Attempt) string {
	for _, at := range as {
		if at.Accepted {
			return fmt.Sprintf("%q was answered %d", at.Name, at.Status)
		}
	}
	return ""
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

func anyAccepted(as []Attempt) bool {
	return slices.ContainsFunc(as, func(at Attempt) bool { return at.Accepted })
}

func anyAcceptedAll(as []Attempt) bool {
	return slices.ContainsFunc(as, func(at Attempt) bool { return at.Forced && at.Accepted })
}
