package audit

import (
	"context"
	"net/url"
)

// sessionProbe tells whether the audit's session is still signed in: the
// links and forms a page shows only to a signed-in user (signed), and
// those it shows only to an anonymous one (anon).
type sessionProbe struct {
	url          *url.URL
	signed, anon []string
}

// targets lists a page's link and form targets.
func targets(p *page) map[string]bool {
	m := map[string]bool{}
	for _, l := range p.Links {
		m["link "+l.URL.Path] = true
	}
	for _, f := range p.Forms {
		if f.Action != nil {
			m["form "+f.Method+" "+f.Action.Path] = true
		}
		if f.has("password") {
			m["password form"] = true
		}
	}
	return m
}

// learnSession compares u signed in and anonymous. It returns nil when
// the two look alike: then a session's end cannot be seen on u.
func (a *auditor) learnSession(ctx context.Context, u *url.URL) (*sessionProbe, error) {
	in, err := a.fetchPage(ctx, u, a.jar)
	if err != nil {
		return nil, err
	}
	out, err := a.fetchPage(ctx, u, newJar())
	if err != nil {
		return nil, err
	}
	ti, to := targets(in), targets(out)
	sp := &sessionProbe{url: u}
	for t := range ti {
		if !to[t] {
			sp.signed = append(sp.signed, t)
		}
	}
	for t := range to {
		if !ti[t] {
			sp.anon = append(sp.anon, t)
		}
	}
	if len(sp.signed) == 0 && len(sp.anon) == 0 {
		return nil, nil
	}
	return sp, nil
}

// signedIn reports whether the audit's session still looks signed in.
func (a *auditor) signedIn(ctx context.Context) (bool, error) {
	sp := a.probe
	if sp == nil {
		return true, nil
	}
	p, err := a.fetchPage(ctx, sp.url, a.jar)
	if err != nil {
		return false, err
	}
	t := targets(p)
	return share(t, sp.signed) >= 0.5 && (len(sp.anon) == 0 || share(t, sp.anon) < 0.5), nil
}

func share(have map[string]bool, want []string) float64 {
	if len(want) == 0 {
		return 1
	}
	n := 0
	for _, w := range want {
		if have[w] {
			n++
		}
	}
	return float64(n) / float64(len(want))
}
