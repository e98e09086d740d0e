package audit

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// formTarget is one distinct POST form the crawl found.
type formTarget struct {
	form  *form
	page  *url.URL
	token string // the token field's name, "" if none
	// finding is the index of its passive finding in the report, -1 if none.
	finding int
}

// key identifies a form across renders and pages: method, action path
// and the names of the fields a user sees. A query such as ?next=/notes,
// or a hidden field such as next, makes no other form.
func (f *form) key() string {
	var names []string
	for _, fd := range f.Fields {
		if fd.Type != "hidden" {
			names = append(names, fd.Name)
		}
	}
	slices.Sort(names)
	return f.Method + " " + f.Action.Scheme + "://" + f.Action.Host + f.Action.EscapedPath() + " " + strings.Join(slices.Compact(names), ",")
}

// passive runs the checks that only read what the crawl saw.
func (a *auditor) passive(ctx context.Context) {
	a.passiveForms(ctx)
	a.passiveLinks()
	a.passiveCookies()
}

func (a *auditor) add(f Finding) int {
	a.report.Findings = append(a.report.Findings, f)
	return len(a.report.Findings) - 1
}

// passiveForms finds POST forms without a token, GET forms that put a
// token in the URL, and token pages a shared cache could serve to others.
func (a *auditor) passiveForms(ctx context.Context) {
	seen := map[string]bool{}
	for _, v := range a.pages {
		tokenPage := false
		for _, f := range v.page.Forms {
			if f.Action == nil || !a.c.sameOrigin(f.Action) {
				continue
			}
			tok := f.tokenField(nil)
			if tok == nil && f.Method == "POST" {
				tok = f.tokenField(a.rerender(ctx, v.page.URL, f))
			}
			tokenPage = tokenPage || tok != nil
			if seen[f.key()] {
				continue
			}
			seen[f.key()] = true
			switch {
			case f.Method == "GET" && tok != nil:
				a.add(Finding{Severity: Medium, Kind: KindTokenInURL, Method: "GET", URL: show(f.Action), Page: show(v.page.URL),
					Title:  fmt.Sprintf("GET form puts its token %q in the URL", tok.Name),
					Detail: "URLs end up in logs, history and Referer headers. Send tokens in POST bodies or headers only."})
			case f.Method == "POST":
				a.addFormTarget(f, v.page, tok)
			}
		}
		if tokenPage && cacheable(v.resp.Header) {
			a.add(Finding{Severity: Low, Kind: KindTokenCache, Method: "GET", URL: show(v.page.URL),
				Title:  "page with a CSRF token is cacheable without Vary: Cookie",
				Detail: "A shared cache could serve one user's token to another. Send Cache-Control: no-store (or private), or Vary: Cookie."})
		}
	}
}

func (a *auditor) addFormTarget(f *form, p *page, tok *field) {
	t := &formTarget{form: f, page: p.URL, finding: -1}
	if tok != nil {
		t.token = tok.Name
	} else {
		sev, detail := Medium, "Without a secret token another site can submit this form with the user's cookies. Add a per-session token (or rely on a server that refuses cross-site requests by Sec-Fetch-Site and Origin; run with -active to test)."
		if p.TokenMeta {
			sev, detail = Low, "The page carries a CSRF token in a <meta> tag, so a script may add it on submit; -active tests whether the server needs it."
		}
		t.finding = a.add(Finding{Severity: sev, Kind: KindTokenlessForm, Method: "POST", URL: show(f.Action), Page: show(p.URL),
			Title: "POST form without an anti-CSRF token", Detail: detail})
	}
	a.forms = append(a.forms, t)
}

// rerender fetches the page again and returns the same form as now
// rendered, or nil, to see which hidden values change between renders.
func (a *auditor) rerender(ctx context.Context, u *url.URL, f *form) *form {
	hasHidden := slices.ContainsFunc(f.Fields, func(fd field) bool { return fd.Type == "hidden" && highEntropy(fd.Value) })
	if !hasHidden {
		return nil
	}
	p, err := a.fetchPage(ctx, u, a.jar)
	if err != nil {
		return nil
	}
	for _, g := range p.Forms {
		if g.Action != nil && g.key() == f.key() {
			return g
		}
	}
	return nil
}

// cacheable: a shared cache may store the answer and serve it to others.
func cacheable(h http.Header) bool {
	cc := strings.ToLower(strings.Join(h.Values("Cache-Control"), ","))
	if strings.Contains(cc, "no-store") || strings.Contains(cc, "private") {
		return false
	}
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); strings.EqualFold(f, "cookie") || f == "*" {
				return false
			}
		}
	}
	return true
}

// passiveLinks reports the GETs that look state-changing, and links that
// carry tokens in their query.
func (a *auditor) passiveLinks() {
	for i := range a.candidates {
		c := &a.candidates[i]
		c.finding = -1
		if c.From == "POST form" {
			continue // a POST form is how it should be; -active tries GET on it
		}
		more := ""
		if c.More > 0 {
			more = fmt.Sprintf(" (and %d more of the same route)", c.More)
		}
		c.finding = a.add(Finding{Severity: Medium, Kind: KindStateChangingGET, Method: "GET", URL: show(c.URL), Page: show(c.Page),
			Title:  fmt.Sprintf("%s to a state-changing-looking URL (%q)%s, unconfirmed", c.From, c.Word, more),
			Detail: "A GET that changes state can be forged by any page with an <img> or a link. Make it a POST form with a token; -active tests whether it changes state."})
	}
	seen := map[string]bool{}
	for _, v := range a.pages {
		for _, l := range v.page.Links {
			params := tokenParams(l.URL.Query())
			if len(params) == 0 || !a.c.sameOrigin(l.URL) || seen[l.URL.Path] {
				continue
			}
			seen[l.URL.Path] = true
			slices.Sort(params)
			a.add(Finding{Severity: Medium, Kind: KindTokenInURL, Method: "GET", URL: stripQuery(l.URL), Page: show(v.page.URL),
				Title:  fmt.Sprintf("link carries a token in its URL (%s)", strings.Join(params, ", ")),
				Detail: "URLs end up in logs, history and Referer headers sent to other sites. Keep tokens out of URLs."})
		}
	}
}

// stripQuery shows a URL without its query's values.
func stripQuery(u *url.URL) string {
	c := *u
	q := c.Query()
	for k := range q {
		q[k] = []string{"…"}
	}
	c.RawQuery = q.Encode()
	return show(&c)
}
