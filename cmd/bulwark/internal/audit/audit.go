package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for Config's zero values.
const (
	DefaultMaxPages       = 100
	DefaultMaxDepth       = 5
	DefaultTimeout        = 5 * time.Minute
	DefaultRate           = 10 // requests per second
	DefaultMaxBody        = 5 << 20
	DefaultRequestTimeout = 15 * time.Second
	// StartPageOnly is the MaxDepth that follows no link.
	StartPageOnly = -1
)

// Config is one audit's target and bounds.
type Config struct {
	// Target is the start page; the audit stays on its origin.
	Target string
	// MaxPages, MaxDepth, Timeout and Rate bound the crawl (and the whole
	// audit, for Timeout and Rate). Zero: the defaults. MaxDepth
	// StartPageOnly reads the start page alone.
	MaxPages, MaxDepth int
	Timeout            time.Duration
	Rate               float64
	// MaxBody is the largest page read, in bytes. Zero: DefaultMaxBody.
	MaxBody int64
	// RequestTimeout bounds one request. Zero: DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Login is the login page's URL; User and Password sign in through its form.
	Login, User, Password string
	// Cookie is a Cookie header value ("name=value; ...") of a signed-in session.
	Cookie string
	// Active sends forged requests, which change state on the target.
	Active bool
	// Progress is called after each request with the pages read so far
	// and the requests sent; nil: nothing.
	Progress func(pages, requests int)
}

func (c *Config) defaults() {
	c.MaxPages = cmp.Or(c.MaxPages, DefaultMaxPages)
	c.MaxDepth = max(cmp.Or(c.MaxDepth, DefaultMaxDepth), 0)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.Rate = cmp.Or(c.Rate, DefaultRate)
	c.MaxBody = cmp.Or(c.MaxBody, DefaultMaxBody)
	c.RequestTimeout = cmp.Or(c.RequestTimeout, DefaultRequestTimeout)
}

// ErrLogin is returned when signing in through the login form fails.
var ErrLogin = errors.New("login failed")

// auditor is one audit's state.
type auditor struct {
	cfg    Config
	start  *url.URL
	c      *client
	jar    *jar // the audit's signed-in (or anonymous) session
	other  *jar // another session, for its tokens; nil until needed
	login  *url.URL
	probe  *sessionProbe
	report *Report
	pages  []*visit
	// loginView is the login page as an anonymous visitor saw it.
	loginView *visit
	// candidates are the GETs that look state-changing.
	candidates  []candidate
	candidateAt map[string]int             // index in candidates by route
	routeURLs   map[string]map[string]bool // the candidates' URLs by route
	// forms are the distinct POST forms.
	forms []*formTarget
	// cookies are the distinct Set-Cookie lines seen, by cookie name.
	cookies     map[string]*seenCookie
	cookieOrder []string
	// given are the names of the cookies from -cookie.
	given []string
}

// visit is one crawled page.
type visit struct {
	page  *page
	resp  *response
	depth int
}

// seenCookie is a cookie as the site set it, and where.
type seenCookie struct {
	cookie *http.Cookie
	page   string
	login  bool // set by the login's answer
}

// ParseTarget checks an audit target: an absolute http or https URL.
func ParseTarget(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
		return nil, fmt.Errorf("%q is not an http:// or https:// URL", s)
	}
	if u.User != nil {
		return nil, errors.New("the URL must not carry a user or password: use -login or -cookie")
	}
	u.Fragment = ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// Run audits cfg.Target and returns the report. An error means the audit
// could not run at all (bad target, unreachable, failed login, ...).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	start, err := ParseTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, errTimeLimit)
	defer cancel()
	a := newAuditor(cfg, start)
	if err := a.signIn(ctx); err != nil {
		return nil, err
	}
	if err := a.crawl(ctx); err != nil {
		return nil, err
	}
	a.passive(ctx)
	if cfg.Active {
		switch err := a.active(ctx); {
		case err == nil, errors.Is(err, errStopped):
		case ctx.Err() != nil:
			a.incomplete("active checks stopped: %v", context.Cause(ctx))
		default:
			return nil, err
		}
	}
	a.report.sort()
	a.report.Requests = a.c.sent
	return a.report, nil
}

func newAuditor(cfg Config, start *url.URL) *auditor {
	a := &auditor{
		cfg: cfg, start: start, jar: newJar(),
		c:       newClient(&url.URL{Scheme: start.Scheme, Host: start.Host}, cfg.Rate, cfg.MaxBody, cfg.RequestTimeout),
		report:  &Report{Target: show(start), Active: cfg.Active, Complete: true, Findings: []Finding{}},
		cookies: map[string]*seenCookie{}, candidateAt: map[string]int{}, routeURLs: map[string]map[string]bool{},
	}
	a.c.onCookie = a.recordCookie
	a.c.progress = func(sent int) {
		if cfg.Progress != nil {
			cfg.Progress(len(a.pages), sent)
		}
	}
	return a
}

var errTimeLimit = errors.New("the audit's time limit (-timeout) ran out")

// incomplete notes why the audit did not check everything.
func (a *auditor) incomplete(format string, args ...any) {
	a.report.Complete = false
	a.note(format, args...)
}

// note adds a remark on the audit itself.
func (a *auditor) note(format string, args ...any) {
	a.report.Notes = append(a.report.Notes, fmt.Sprintf(format, args...))
}

// navigate is a browser's same-origin navigation.
func navigate(referer *url.URL) http.Header {
	h := http.Header{}
	h.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	h.Set("Sec-Fetch-Site", "same-origin")
	h.Set("Sec-Fetch-Mode", "navigate")
	h.Set("Sec-Fetch-Dest", "document")
	if referer != nil {
		h.Set("Referer", referer.String())
	} else {
		h.Set("Sec-Fetch-Site", "none")
	}
	return h
}

// fetchPage GETs an HTML page of the origin with the jar's cookies.
func (a *auditor) fetchPage(ctx context.Context, u *url.URL, j *jar) (*page, error) {
	resp, err := a.getHTML(ctx, u, j)
	if err != nil {
		return nil, err
	}
	return parsePage(resp.URL, resp.Body), nil
}

// getHTML GETs u as a same-origin navigation with j's cookies and
// returns the answer if it is an HTML page the audit reads.
func (a *auditor) getHTML(ctx context.Context, u *url.URL, j *jar) (*response, error) {
	resp, err := a.c.get(ctx, u, j, navigate(a.start))
	if err != nil {
		return nil, err
	}
	if err := readable(resp, a.cfg.MaxBody); err != nil {
		return nil, fmt.Errorf("%s: %w", show(u), err)
	}
	return resp, nil
}

// readable says why an answer is not an HTML page the audit reads, or nil.
func readable(resp *response, limit int64) error {
	switch {
	case resp.Status >= 400:
		return fmt.Errorf("answered %d %s", resp.Status, http.StatusText(resp.Status))
	case resp.Truncated:
		return fmt.Errorf("larger than %d bytes (-max-body): not read", limit)
	case !resp.isHTML():
		ct := resp.Header.Get("Content-Type")
		if ct == "" {
			ct = "no Content-Type"
		}
		return fmt.Errorf("not HTML (%s): the audit reads HTML pages with forms and links", ct)
	}
	return nil
}
