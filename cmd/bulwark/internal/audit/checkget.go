package audit

import (
	"context"
	"fmt"
	"net/http"
)

// checkGET sends a state-changing-looking GET the way a cross-site <img>
// and then a cross-site link would, each with the cookies the browser
// would attach, and stops at the first that changes state. If neither did
// but the link's cookies were held back, once more with every cookie
// attached.
func (a *auditor) checkGET(ctx context.Context, c candidate) error {
	var attempts []Attempt
	for _, sc := range []sendContext{crossSiteImage, crossSiteLink, forced} {
		if sc == forced && (anyChanged(attempts) || len(attempts[len(attempts)-1].Withheld) == 0) {
			break
		}
		att, err := a.forgeGET(ctx, c, sc)
		if err != nil {
			return a.inconclusive(ctx, "GET "+show(c.URL), err)
		}
		attempts = append(attempts, att)
		if att.Changed != "" {
			break
		}
	}
	a.place(getVerdict(c, attempts), c.finding)
	return nil
}

var getNames = map[sendContext]string{
	crossSiteImage: "cross-site <img>",
	crossSiteLink:  "cross-site link",
	forced:         "cross-site link, every cookie attached (as if SameSite=None)",
}

// forgeGET sends c's URL as a browser would in context sc.
func (a *auditor) forgeGET(ctx context.Context, c candidate, sc sendContext) (Attempt, error) {
	if err := a.ready(ctx); err != nil {
		return Attempt{}, err
	}
	w, err := a.watch(ctx, c.Page, "")
	if err != nil {
		return Attempt{}, err
	}
	hdr := crossSite(sc, true)
	if sc == forced {
		hdr = crossSite(crossSiteLink, true)
	}
	att, err := a.forge(ctx, forgery{name: getNames[sc], method: http.MethodGet, url: c.URL, ctx: sc, header: hdr}, w)
	if err == nil && att.Err != "" && att.Changed == "" {
		err = fmt.Errorf("%s", att.Err)
	}
	return att, err
}

// getVerdict turns a GET's attempts into its finding.
func getVerdict(c candidate, as []Attempt) Finding {
	out := Finding{Kind: KindStateChangingGET, Method: "GET", URL: show(c.URL), Page: show(c.Page), Evidence: as}
	last := as[len(as)-1]
	p := c.URL.EscapedPath()
	switch {
	case last.Changed != "" && !last.Forced:
		out.Severity, out.Verdict = High, Vulnerable
		out.Title = fmt.Sprintf("GET %s changes state from another site (%s)", p, last.Name)
		out.Detail = fmt.Sprintf("Any page can do this with %s: it was answered %d, and %s. Change state only on POST, with a token.", example(last.Name), last.Status, last.Changed)
	case last.Changed != "":
		out.Severity, out.Verdict = Medium, SameSiteOnly
		out.Title = fmt.Sprintf("GET %s changes state; only the cookie's %s keeps other sites out", p, withheldBy(as))
		out.Detail = fmt.Sprintf("With the session cookie attached it was answered %d, and %s. A same-site attacker (a subdomain) or an older browser gets past SameSite. Change state only on POST, with a token.", last.Status, last.Changed)
	case last.confirms:
		out.Severity, out.Verdict = Info, Protected
		out.Title = fmt.Sprintf("GET %s answers with a confirmation form", p)
		out.Detail = fmt.Sprintf("From another site it was answered %d with a page whose POST form carries a token, and nothing changed.", last.Status)
	case anyAccepted(as):
		out.Severity, out.Verdict = Low, Unconfirmed
		out.Title = fmt.Sprintf("GET %s was answered %d from another site, and no change showed", p, last.Status)
		out.Detail = "The audit saw no change on the page it was found on or in the session; its effect may show elsewhere. Check it by hand, and answer state-changing requests only on POST, with a token."
	default:
		out.Severity, out.Verdict = Info, Protected
		out.Title = fmt.Sprintf("forged GETs of %s were refused", p)
		out.Detail = fmt.Sprintf("Tried as %d cross-site request(s); the last was answered %d.", len(as), last.Status)
	}
	return out
}

func example(name string) string {
	if name == getNames[crossSiteImage] {
		return `<img src="…">`
	}
	return `<a href="…">`
}
