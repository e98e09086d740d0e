package audit

import (
	"context"
	"fmt"
	"net/http"
)

// checkGET sends a state-changing-looking GET the way a cross-site <img>
// and then a cross-site link would, each with the cookies the browser
// would attach, and if neither changed state but a cookie was withheld,
// once more with every cookie attached.
func (a *auditor) checkGET(ctx context.Context, c candidate) error {
	var attempts []Attempt
	try := func(name string, sc sendContext) (bool, error) {
		if ok, err := a.ready(ctx); !ok || err != nil {
			return false, err
		}
		w, err := a.watch(ctx, c.Page, "")
		if err != nil {
			a.note("GET %s: %s: %v", c.URL.Redacted(), name, err)
			return false, fatal(ctx, err)
		}
		hdr := crossSite(sc, true)
		if sc == forced {
			hdr = crossSite(crossSiteLink, true)
		}
		att, err := a.forge(ctx, forgery{name: name, method: http.MethodGet, url: c.URL, ctx: sc, header: hdr}, w)
		attempts = append(attempts, att)
		return att.Changed != "", err
	}
	for _, s := range []struct {
		name string
		sc   sendContext
	}{{"cross-site <img>", crossSiteImage}, {"cross-site link", crossSiteLink}} {
		changed, err := try(s.name, s.sc)
		if err != nil {
			return err
		}
		if changed {
			break
		}
	}
	if len(attempts) == 2 && !anyChanged(attempts) && len(attempts[1].Withheld) > 0 {
		if _, err := try("cross-site link, every cookie attached (as if SameSite=None)", forced); err != nil {
			return err
		}
	}
	if len(attempts) > 0 {
		a.place(getVerdict(c, attempts), c.finding)
	}
	return nil
}

// getVerdict turns a GET's attempts into its finding.
func getVerdict(c candidate, as []Attempt) Finding {
	out := Finding{Kind: KindStateChangingGET, Method: "GET", URL: c.URL.Redacted(), Page: c.Page.Redacted(), Evidence: as}
	last := as[len(as)-1]
	switch {
	case last.Changed != "" && !last.Forced:
		out.Severity, out.Verdict = High, Vulnerable
		out.Title = fmt.Sprintf("GET %s changes state from another site (%s)", c.URL.Path, last.Name)
		out.Detail = fmt.Sprintf("Any page can do this with %s: it was answered %d and %s. Change state only on POST, with a token.", example(last.Name), last.Status, last.Changed)
	case last.Changed != "":
		out.Severity, out.Verdict = Medium, SameSiteOnly
		out.Title = fmt.Sprintf("GET %s changes state; only the cookie's %s keeps other sites out", c.URL.Path, withheldBy(as))
		out.Detail = fmt.Sprintf("With the session cookie attached it was answered %d and %s. A same-site attacker (a subdomain) or an older browser gets past SameSite. Change state only on POST, with a token.", last.Status, last.Changed)
	default:
		out.Severity, out.Verdict = Info, Protected
		out.Title = fmt.Sprintf("forged GETs of %s changed nothing the audit could see", c.URL.Path)
		out.Detail = fmt.Sprintf("Tried as %d cross-site request(s); the last was answered %d.", len(as), last.Status)
	}
	return out
}

func example(name string) string {
	if name == "cross-site <img>" {
		return `<img src="…">`
	}
	return `<a href="…">`
}
