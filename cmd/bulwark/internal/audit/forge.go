package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// attackerOrigin is the made-up site the forged requests claim to come
// from (.invalid never resolves).
const attackerOrigin = "https://attacker.bulwark-audit.invalid"

// forgery is one forged request: how a browser would send it from the
// attacker's page.
type forgery struct {
	name   string
	method string
	url    *url.URL
	ctx    sendContext
	header http.Header
	form   url.Values // POST only
	secret string     // the form's token field, masked in the evidence
}

// crossSite returns the headers a browser sends with a cross-site request
// of that kind; fetchMetadata false is an older browser without them.
func crossSite(ctx sendContext, fetchMetadata bool) http.Header {
	h := http.Header{}
	h.Set("Referer", attackerOrigin+"/")
	switch ctx {
	case crossSiteImage:
		h.Set("Accept", "image/avif,image/webp,image/png,image/*;q=0.8,*/*;q=0.5")
		h.Set("Sec-Fetch-Mode", "no-cors")
		h.Set("Sec-Fetch-Dest", "image")
	default:
		h.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
		h.Set("Sec-Fetch-Mode", "navigate")
		h.Set("Sec-Fetch-Dest", "document")
		if ctx == crossSiteLink {
			h.Set("Sec-Fetch-User", "?1") // a click; an auto-submitted form sends none
		}
	}
	h.Set("Sec-Fetch-Site", "cross-site")
	if !fetchMetadata {
		for k := range h {
			if strings.HasPrefix(k, "Sec-Fetch-") {
				h.Del(k)
			}
		}
	}
	return h
}

// watch is what a target looked like before a forgery: its page, whether
// the session was signed in, and the marker text a forged form carries.
// Call it after ready.
type watch struct {
	snap     *snapshot
	signedIn bool
	marker   string
}

func (a *auditor) watch(ctx context.Context, pg *url.URL, marker string) (*watch, error) {
	snap, err := a.takeSnapshot(ctx, pg)
	if err != nil {
		return nil, err
	}
	// Signed in if the audit is: ready, called just before, made sure.
	return &watch{snap: snap, marker: marker, signedIn: a.report.SignedIn}, nil
}

// forge sends one forgery and says what it did. The error is for the
// audit as a whole (time limit, rate limit); a failed request is noted in
// the Attempt.
func (a *auditor) forge(ctx context.Context, fg forgery, w *watch) (Attempt, error) {
	cookies, withheld := a.jar.forRequest(fg.url, fg.ctx)
	att := Attempt{Name: fg.name, Method: fg.method, URL: show(fg.url), Headers: map[string]string{},
		Cookies: names(cookies), Withheld: withheld, Forced: fg.ctx == forced}
	for _, k := range []string{"Origin", "Referer", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest"} {
		if v := fg.header.Get(k); v != "" {
			att.Headers[k] = v
		}
	}
	req := request{Method: fg.method, URL: fg.url, Header: fg.header, Cookies: cookies}
	if fg.form != nil {
		req.Form = fg.form.Encode()
		att.Body = shortBody(fg.form, fg.secret)
	}
	resp, err := a.c.do(ctx, req)
	if err != nil {
		att.Err = err.Error()
		return att, fatal(ctx, err)
	}
	att.Status = resp.Status
	att.Accepted = !a.refused(resp) && resp.Status < 500
	att.confirms = fg.method == http.MethodGet && confirmPage(resp)
	deleted := deletedCookie(resp.Header, a.sessionCookies(cookies))
	a.jar.updateFrom(fg.url, resp.Header, fg.ctx)
	att.Changed, err = a.whatChanged(ctx, resp, deleted, w)
	if err != nil {
		att.Err = "after it: " + err.Error()
		return att, fatal(ctx, err)
	}
	return att, nil
}

// fatal returns err if the audit cannot go on after it.
func fatal(ctx context.Context, err error) error {
	if errors.Is(err, ErrRateLimited) || ctx.Err() != nil {
		return err
	}
	return nil
}

// confirmPage reports whether an answer is a page with a POST form that
// carries a token: the confirmation a safe GET to a "delete" link shows.
func confirmPage(resp *response) bool {
	if !resp.isHTML() || resp.Status != http.StatusOK {
		return false
	}
	for _, f := range parsePage(resp.URL, resp.Body).Forms {
		if f.Method == http.MethodPost && f.tokenField(nil) != nil {
			return true
		}
	}
	return false
}

// refused: the server turned the request away, with a 4xx or a redirect
// to a login page (the request did not carry a session).
func (a *auditor) refused(resp *response) bool {
	if resp.Status >= 400 && resp.Status < 500 {
		return true
	}
	if loc := resp.location(); loc != nil {
		p := strings.ToLower(loc.Path)
		return (a.login != nil && loc.Path == a.login.Path) || strings.Contains(p, "login") || strings.Contains(p, "signin") || strings.Contains(p, "sign_in")
	}
	return false
}

// whatChanged looks for the forgery's effect: a session cookie it was
// sent deleted by the answer (deleted), the session ended, the form's
// marker text shown, or (for an answer that was not a refusal) the page
// changed. A refused request may still show on a page, in a log of
// attempts, so a refusal's page change does not count.
func (a *auditor) whatChanged(ctx context.Context, resp *response, deleted string, w *watch) (string, error) {
	if deleted != "" {
		return fmt.Sprintf("the answer deleted the cookie %q it was sent (the browser's session ends)", deleted), nil
	}
	if w.signedIn {
		in, err := a.signedIn(ctx)
		if err != nil {
			return "", err
		}
		if !in {
			return "the session ended (the user is logged out)", nil
		}
	}
	if w.marker != "" {
		for _, u := range a.markerPages(resp, w) {
			p, err := a.fetchPage(ctx, u, a.jar)
			if err == nil && strings.Contains(strings.Join(p.Text, "\n"), w.marker) {
				return fmt.Sprintf("the text it sent (%s) now shows on %s", w.marker, u.RequestURI()), nil
			}
		}
	}
	if a.refused(resp) {
		return "", nil
	}
	return w.snap.changed(ctx, a)
}

// markerPages are where a form's effect would show: its own page, and
// the page the answer redirects to.
func (a *auditor) markerPages(resp *response, w *watch) []*url.URL {
	out := []*url.URL{w.snap.url}
	if loc := resp.location(); loc != nil && a.c.sameOrigin(loc) && loc.String() != w.snap.url.String() {
		out = append(out, loc)
	}
	return out
}

// sessionCookies keeps the cookies that carry the session (isSession).
func (a *auditor) sessionCookies(cs []*http.Cookie) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range cs {
		if a.isSession(c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// deletedCookie returns the name of a sent cookie the answer deletes.
func deletedCookie(h http.Header, sent []*http.Cookie) string {
	for _, line := range h.Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		gone := ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) || ck.Value == ""
		for _, s := range sent {
			if gone && s.Name == ck.Name {
				return ck.Name
			}
		}
	}
	return ""
}

// shortBody shows a forged form with its token (the secret field, any
// token-named field) and other random-looking values masked.
func shortBody(v url.Values, secret string) string {
	c := url.Values{}
	for k, vs := range v {
		for _, s := range vs {
			if k == secret || isTokenName(k) || (len(s) > 12 && highEntropy(s) && !strings.Contains(s, markerPrefix)) {
				s = "…"
			}
			c.Add(k, s)
		}
	}
	return c.Encode()
}
