package audit

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Errors the client returns for targets the audit cannot read.
var (
	ErrOffOrigin   = errors.New("it leaves the audited origin")
	ErrRateLimited = errors.New("the site keeps answering 429 Too Many Requests: lower -rate")
)

// maxRedirects bounds one fetch's redirect chain.
const maxRedirects = 10

// client sends every request of one audit: one origin, one pace, bounded
// bodies. It never follows a redirect to another origin.
type client struct {
	origin   *url.URL
	http     *http.Client
	interval time.Duration // between two requests; 0: no pacing
	next     time.Time
	maxBody  int64
	sent     int
	// progress is called after each request; nil: nothing.
	progress func(sent int)
	// onCookie sees every Set-Cookie line of every answer; nil: nothing.
	onCookie func(u *url.URL, line string)
}

func newClient(origin *url.URL, rate float64, maxBody int64, timeout time.Duration) *client {
	c := &client{origin: origin, maxBody: maxBody}
	if rate > 0 {
		c.interval = time.Duration(float64(time.Second) / rate)
	}
	c.http = &http.Client{
		Timeout: timeout,
		// Redirects are the caller's to follow, so that none leaves the origin.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			Proxy:                 nil, // explicit: the audit talks to the target itself
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   2,
			DialContext:           (&net.Dialer{Timeout: timeout}).DialContext,
		},
	}
	return c
}

// request is one request the audit sends.
type request struct {
	Method  string
	URL     *url.URL
	Header  http.Header
	Cookies []*http.Cookie
	// Form is sent urlencoded for POST.
	Form string
}

// response is an answer, its body read up to the client's limit.
type response struct {
	Status    int
	Header    http.Header
	Body      []byte
	URL       *url.URL // the URL that answered (after redirects)
	Truncated bool     // the body was longer than the limit
}

// isHTML reports whether the answer says it is HTML.
func (r *response) isHTML() bool {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, "text/html") || strings.HasPrefix(ct, "application/xhtml+xml")
}

// location is the redirect target of a 3xx answer, resolved; nil if none.
func (r *response) location() *url.URL {
	if r.Status < 300 || r.Status > 399 {
		return nil
	}
	loc, err := r.URL.Parse(r.Header.Get("Location"))
	if err != nil || r.Header.Get("Location") == "" {
		return nil
	}
	return loc
}

// sameOrigin reports whether u is on the audited origin: the same
// scheme, host name (any case, no trailing dot) and port (a default port
// written out or not).
func (c *client) sameOrigin(u *url.URL) bool {
	return originKey(u) == originKey(c.origin)
}

func originKey(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + strings.TrimSuffix(strings.ToLower(u.Hostname()), ".") + ":" + port
}

// do sends one request, without following redirects. A 429 answer is
// retried twice after its Retry-After (at most 30 s).
func (c *client) do(ctx context.Context, req request) (*response, error) {
	if !c.sameOrigin(req.URL) {
		return nil, fmt.Errorf("%s: %w", show(req.URL), ErrOffOrigin)
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, req)
		if err != nil || resp.Status != http.StatusTooManyRequests {
			return resp, err
		}
		if attempt == 2 {
			return nil, ErrRateLimited
		}
		if err := sleepCtx(ctx, retryAfter(resp.Header.Get("Retry-After"))); err != nil {
			return nil, err
		}
	}
}

func (c *client) once(ctx context.Context, req request) (*response, error) {
	if err := c.pace(ctx); err != nil {
		return nil, err
	}
	var body io.Reader
	if req.Form != "" || req.Method == http.MethodPost {
		body = strings.NewReader(req.Form)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	if hr.Header.Get("User-Agent") == "" {
		hr.Header.Set("User-Agent", "bulwark-audit (+https://github.com/bulwark-go/bulwark)")
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, ck := range req.Cookies {
		hr.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	hresp, err := c.http.Do(hr)
	c.sent++
	if c.progress != nil {
		c.progress(c.sent)
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// Not ue itself: it quotes the URL whole, query and all.
			return nil, fmt.Errorf("%s %s: %w", ue.Op, show(req.URL), explain(ue.Err))
		}
		return nil, explain(err)
	}
	defer hresp.Body.Close()
	if c.onCookie != nil {
		for _, line := range hresp.Header.Values("Set-Cookie") {
			c.onCookie(req.URL, line)
		}
	}
	data, err := io.ReadAll(io.LimitReader(hresp.Body, c.maxBody+1))
	if err != nil {
		return nil, explain(err)
	}
	r := &response{Status: hresp.StatusCode, Header: hresp.Header, URL: req.URL}
	if int64(len(data)) > c.maxBody {
		r.Truncated, data = true, data[:c.maxBody]
	}
	r.Body = bytes.Clone(data)
	return r, nil
}

// get fetches u as a same-origin navigation would, following redirects
// within the origin. A redirect elsewhere or in a loop is an error.
func (c *client) get(ctx context.Context, u *url.URL, j *jar, hdr http.Header) (*response, error) {
	seen := map[string]bool{}
	for range maxRedirects + 1 {
		if seen[u.String()] {
			return nil, fmt.Errorf("%s: redirect loop", show(u))
		}
		seen[u.String()] = true
		cookies, _ := j.forRequest(u, sameOriginNav)
		resp, err := c.do(ctx, request{Method: http.MethodGet, URL: u, Header: hdr, Cookies: cookies})
		if err != nil {
			return nil, err
		}
		j.update(u, resp.Header)
		next := resp.location()
		if next == nil {
			return resp, nil
		}
		if !c.sameOrigin(next) {
			return nil, fmt.Errorf("%s redirects to %s: %w", show(u), show(next), ErrOffOrigin)
		}
		if w := changingWord(next, ""); w != "" {
			return nil, fmt.Errorf("%s redirects to %s, which looks state-changing (%q): not followed", show(u), show(next), w)
		}
		u = next
	}
	return nil, fmt.Errorf("%s: more than %d redirects", show(u), maxRedirects)
}

// pace waits until the next request may go, by the -rate flag.
func (c *client) pace(ctx context.Context) error {
	now := time.Now()
	if c.next.After(now) {
		if err := sleepCtx(ctx, c.next.Sub(now)); err != nil {
			return err
		}
		now = c.next
	}
	c.next = now.Add(c.interval)
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// retryAfter reads a Retry-After of seconds; 1 s if absent, at most 30 s.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return time.Second
	}
	return time.Duration(min(n, 30)) * time.Second
}

// explain turns a transport error into one clear sentence.
func explain(err error) error {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Errorf("timed out: %w", err)
	case errors.As(err, &unknownCA):
		return fmt.Errorf("TLS: the certificate is signed by an unknown authority (the audit trusts only the system's CAs): %w", err)
	case errors.As(err, &hostErr):
		return fmt.Errorf("TLS: the certificate is not valid for this host: %w", err)
	case errors.As(err, &certInvalid):
		return fmt.Errorf("TLS: the certificate is invalid: %w", err)
	case errors.As(err, &recordErr):
		return fmt.Errorf("TLS: the server does not speak TLS on this port (try http://): %w", err)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot resolve the host name: %w", err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("cannot connect: %w", err)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
