package audit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
)

// candidate is a GET the site offers that looks state-changing: the crawl
// does not follow it; the active checks try it.
type candidate struct {
	URL  *url.URL
	Word string
	// From says where it was seen: "link", "GET form" or "POST form" (a
	// POST form's action, tried with GET too).
	From string
	Page *url.URL
	// finding is the index of its passive finding, -1 if none.
	finding int
	// More counts the other URLs of the same route.
	More int
}

// idSegment is a path segment or query value that names one record: a
// number, a UUID or long hex, a long random-looking string with digits.
var idSegment = regexp.MustCompile(`^([0-9]+|[0-9a-fA-F-]{16,}|[A-Za-z_-]*[0-9][A-Za-z0-9_-]{19,})$`)

// route is a URL with its record IDs taken out, of path segments and of
// query values: /rows/1/delete and /rows/2/delete are one route,
// /admin?action=archive and /admin?action=purge two.
func route(u *url.URL) string {
	segs := strings.Split(u.EscapedPath(), "/")
	for i, s := range segs {
		if idSegment.MatchString(s) {
			segs[i] = ":id"
		}
	}
	q := u.Query()
	var params []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			if idSegment.MatchString(v) {
				v = ":id"
			}
			params = append(params, k+"="+v)
		}
	}
	return u.Scheme + "://" + u.Host + strings.Join(segs, "/") + "?" + strings.Join(params, "&")
}

// errRead: the page was read already, under another URL.
var errRead = errors.New("read already")

// skipExt are file types the crawl does not fetch: they are not pages.
var skipExt = map[string]bool{
	".css": true, ".js": true, ".mjs": true, ".png": true, ".jpg": true, ".jpeg": true,
	".gif": true, ".svg": true, ".ico": true, ".webp": true, ".woff": true, ".woff2": true,
	".ttf": true, ".pdf": true, ".zip": true, ".gz": true, ".tar": true, ".mp4": true,
	".mp3": true, ".webm": true, ".wasm": true, ".map": true, ".json": true, ".xml": true,
}

// crawl reads the origin's pages breadth first from the start page,
// within the page, depth and time limits. Links that look state-changing
// are recorded, never followed.
func (a *auditor) crawl(ctx context.Context) error {
	type queued struct {
		u     *url.URL
		depth int
	}
	queue := []queued{{a.start, 0}}
	seen := map[string]bool{a.start.String(): true}
	if lv := a.loginView; lv != nil {
		// The login page, as signing in saw it: a signed-in crawl may
		// never be shown its form.
		a.pages = append(a.pages, lv)
		a.report.Pages = append(a.report.Pages, show(lv.page.URL))
		seen[lv.page.URL.String()] = true
	}
	unread := 0
	for len(queue) > 0 {
		if ctx.Err() != nil {
			a.incomplete("crawl stopped: %v, after %d pages", context.Cause(ctx), len(a.pages))
			return nil
		}
		q := queue[0]
		queue = queue[1:]
		v, err := a.visit(ctx, q.u, q.depth)
		if err != nil {
			if q.u == a.start {
				if strings.Contains(err.Error(), show(a.start)) {
					return err // it names the URL already
				}
				return fmt.Errorf("%s: %w", show(a.start), err)
			}
			if errors.Is(err, ErrRateLimited) {
				return err
			}
			if errors.Is(err, errRead) {
				continue
			}
			if ctx.Err() != nil {
				a.incomplete("crawl stopped: %v, after %d pages (%s not read)", context.Cause(ctx), len(a.pages), show(q.u))
				return nil
			}
			a.report.Skipped = append(a.report.Skipped, Skip{URL: show(q.u), Reason: err.Error()})
			continue
		}
		seen[v.page.URL.String()] = true
		for _, l := range v.page.Links {
			switch {
			case !a.c.sameOrigin(l.URL), skipExt[strings.ToLower(path.Ext(l.URL.Path))]:
			case a.offerCandidate(l.URL, l.Text, "link", v.page.URL):
			case q.depth+1 > a.cfg.MaxDepth || seen[l.URL.String()]:
			case len(a.pages)+len(queue) >= a.cfg.MaxPages:
				unread++ // never read: the page limit comes first
			default:
				seen[l.URL.String()] = true
				queue = append(queue, queued{l.URL, q.depth + 1})
			}
		}
	}
	if unread > 0 {
		a.note("crawl stopped at -max-pages %d; at least %d more links not read", a.cfg.MaxPages, unread)
	}
	return nil
}

// visit fetches and reads one page.
func (a *auditor) visit(ctx context.Context, u *url.URL, depth int) (*visit, error) {
	resp, err := a.getHTML(ctx, u, a.jar)
	if err != nil {
		return nil, err
	}
	if resp.URL.String() != u.String() && slices.ContainsFunc(a.pages, func(v *visit) bool { return v.page.URL.String() == resp.URL.String() }) {
		return nil, errRead // a redirect to a page already read
	}
	v := &visit{page: parsePage(resp.URL, resp.Body), resp: resp, depth: depth}
	resp.Body = nil // read; what the checks need is in v.page and the headers
	a.pages = append(a.pages, v)
	a.report.Pages = append(a.report.Pages, show(resp.URL))
	for _, f := range v.page.Forms {
		if f.Action == nil || !a.c.sameOrigin(f.Action) {
			continue
		}
		switch f.Method {
		case "GET":
			a.offerCandidate(f.Action, f.Label, "GET form", v.page.URL)
		case "POST":
			if w := changingWord(f.Action, ""); w != "" {
				a.addCandidate(candidate{URL: f.Action, Word: w, From: "POST form", Page: v.page.URL})
			}
		}
	}
	return v, nil
}

// offerCandidate records u if it looks state-changing; it reports whether it did.
func (a *auditor) offerCandidate(u *url.URL, label, from string, pg *url.URL) bool {
	w := changingWord(u, label)
	if w == "" || (a.login != nil && u.Path == a.login.Path) {
		return false
	}
	a.addCandidate(candidate{URL: u, Word: w, From: from, Page: pg})
	return true
}

// addCandidate records c, once per route: /rows/1/delete and
// /rows/2/delete are one target, checked once.
func (a *auditor) addCandidate(c candidate) {
	key := route(c.URL)
	if a.routeURLs[key] == nil {
		a.routeURLs[key] = map[string]bool{}
	}
	a.routeURLs[key][c.URL.String()] = true
	c.More = len(a.routeURLs[key]) - 1
	i, ok := a.candidateAt[key]
	switch {
	case !ok:
		a.candidateAt[key] = len(a.candidates)
		a.candidates = append(a.candidates, c)
	case a.candidates[i].From == "POST form" && c.From != "POST form":
		a.candidates[i] = c // a link to it is what a passive finding is about
	default:
		a.candidates[i].More = c.More
	}
}
