// reason.go holds the rejection vocabulary (one sentinel error per reason)
// and the single failure funnel every rejection goes through.

package csrf

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
)

// Rejection reasons. Every request the Protector refuses carries exactly one
// of these; Reason returns it inside the FailureHandler and errors.Is matches
// it. The messages are logged, so none of them contains request data.
var (
	// ErrCrossSite: the browser said Sec-Fetch-Site: cross-site and the
	// Origin is not trusted.
	ErrCrossSite = errors.New("csrf: cross-site request (Sec-Fetch-Site: cross-site)")
	// ErrSameSite: Sec-Fetch-Site: same-site (a sibling subdomain) and the
	// Origin is not a trusted origin.
	ErrSameSite = errors.New("csrf: same-site request from an untrusted origin (Sec-Fetch-Site: same-site)")
	// ErrNullOrigin: the browser sent Origin: null (sandboxed iframe,
	// data: URL, file:, some redirects). It can never be matched.
	ErrNullOrigin = errors.New("csrf: origin is null")
	// ErrMalformedOrigin: the Origin header is not scheme://host[:port].
	ErrMalformedOrigin = errors.New("csrf: origin header is malformed")
	// ErrBadOrigin: the Origin is neither the request's own origin nor a
	// trusted origin.
	ErrBadOrigin = errors.New("csrf: origin does not match the request's origin or a trusted origin")
	// ErrNoReferer: an HTTPS request without Origin also has no Referer.
	ErrNoReferer = errors.New("csrf: https request has neither an Origin nor a Referer header")
	// ErrBadReferer: the Referer header is not an absolute URL.
	ErrBadReferer = errors.New("csrf: referer header is malformed")
	// ErrInsecureReferer: an HTTPS request came from a non-https page.
	ErrInsecureReferer = errors.New("csrf: referer is not https on an https request")
	// ErrRefererMismatch: the Referer is neither same-origin nor trusted.
	ErrRefererMismatch = errors.New("csrf: referer does not match the request's origin or a trusted origin")
	// ErrRepeatedHeader: Origin, Referer, Sec-Fetch-Site or the token header
	// appeared more than once.
	ErrRepeatedHeader = errors.New("csrf: a csrf-relevant header is repeated")
	// ErrNoMetadata: Tokenless mode, and the request has none of
	// Sec-Fetch-Site, Origin and Referer (see Config.AllowMissingMetadata).
	ErrNoMetadata = errors.New("csrf: request has none of Sec-Fetch-Site, Origin and Referer")
	// ErrNoCookie: the csrf cookie is missing.
	ErrNoCookie = errors.New("csrf: csrf cookie not set")
	// ErrBadCookie: the csrf cookie is malformed, its signature does not
	// verify, or it was issued for another session (Config.SessionCookie).
	ErrBadCookie = errors.New("csrf: csrf cookie is invalid or belongs to another session")
	// ErrNoSecret: Config.Secrets holds no secret for this client.
	ErrNoSecret = errors.New("csrf: no csrf secret in the secret store")
	// ErrSecretStore: Config.Secrets failed to load the secret.
	ErrSecretStore = errors.New("csrf: secret store failed")
	// ErrNoToken: neither the form field nor the header carries a token.
	ErrNoToken = errors.New("csrf: token missing")
	// ErrBadToken: the token has the wrong length or is not base64url.
	ErrBadToken = errors.New("csrf: token is malformed")
	// ErrTokenMismatch: the token is well formed but does not belong to
	// this client's secret (or, with PerFormTokens, to this form).
	ErrTokenMismatch = errors.New("csrf: token is incorrect")
	// ErrBodyTooLarge: the form body exceeds Config.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("csrf: request body too large to look for a token")
	// ErrBadBody: the form body could not be read or parsed (truncated,
	// malformed multipart).
	ErrBadBody = errors.New("csrf: request body could not be read")
)

// ErrNoProtector is returned by Rotate when the request did not pass through
// a Protector in Full mode, so there is no secret to rotate.
var ErrNoProtector = errors.New("csrf: request did not pass through a csrf protector (or the protector is in Tokenless mode)")

// ErrHeadersWritten is returned by Rotate when the response headers have
// already been written, so the new cookie could not be sent.
var ErrHeadersWritten = errors.New("csrf: response headers already written; call Rotate before writing the response")

// Reason returns the rejection reason for r inside a FailureHandler, and nil
// for a request that was not rejected (or did not pass a Protector).
func Reason(r *http.Request) error {
	if st := fromContext(r); st != nil {
		return st.reason
	}
	return nil
}

// reject is the failure funnel: it records the reason, logs one WARN line
// (reason, method, path — never a token or cookie value) and calls the
// failure handler. A rejected request never receives a Set-Cookie: st is
// marked rejected, which disables cookie issuing for the rest of the request.
func (p *Protector) reject(w http.ResponseWriter, r *http.Request, st *state, err error) {
	if st != nil {
		st.mu.Lock()
		st.rejected = true
		st.reason = err
		st.issueCookie = false
		st.mu.Unlock()
	}
	if p.logger.Enabled(r.Context(), slog.LevelWarn) {
		p.logger.LogAttrs(r.Context(), slog.LevelWarn, "csrf: request rejected",
			slog.String("reason", err.Error()),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path))
	}
	if p.plainFailure {
		// The default page shows no reason: no state needs to reach it.
		writeDefaultPage(w)
		return
	}
	if st == nil {
		st = &state{Context: r.Context(), p: p, rejected: true, reason: err}
	}
	if fromContext(r) != st {
		r = r.WithContext(st)
	}
	p.failure.ServeHTTP(w, r)
}

// reportOnly logs the reason that would have rejected r.
func (p *Protector) logReportOnly(r *http.Request, err error) {
	p.logger.LogAttrs(r.Context(), slog.LevelWarn, "csrf: request would be rejected (report-only)",
		slog.String("reason", err.Error()),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path))
}

// failureHandler is the default FailureHandler: a short 403 page, or with
// debug the reason and a checklist of likely causes.
type failureHandler struct {
	debug bool
	p     *Protector
}

func (f failureHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !f.debug {
		writeDefaultPage(w)
		return
	}
	writeFailureHeaders(w)
	_, _ = w.Write([]byte(debugPage(Reason(r), f.p)))
}

// writeDefaultPage writes the default 403 page.
func writeDefaultPage(w http.ResponseWriter) {
	writeFailureHeaders(w)
	_, _ = w.Write(defaultPage)
}

func writeFailureHeaders(w http.ResponseWriter) {
	h := w.Header()
	// One allocation for the three values, none shared between responses.
	v := &[3]string{"text/html; charset=utf-8", "nosniff", "no-store"}
	h["Content-Type"] = v[0:1:1]
	h["X-Content-Type-Options"] = v[1:2:2]
	h["Cache-Control"] = v[2:3:3]
	w.WriteHeader(http.StatusForbidden)
}

var defaultPage = []byte(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>403 Forbidden</title></head>
<body><h1>403 Forbidden</h1><p>CSRF verification failed. The request was not processed.</p>
<p>Reload the page you came from and try again.</p></body></html>
`)

// debugPage renders the reason and the checklist. Everything dynamic is
// escaped, though nothing dynamic comes from the request.
func debugPage(reason error, p *Protector) string {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>403 Forbidden: CSRF verification failed</title></head>\n<body>\n<h1>403 Forbidden: CSRF verification failed</h1>\n")
	msg := "unknown"
	if reason != nil {
		msg = reason.Error()
	}
	b.WriteString("<p><strong>Reason:</strong> <code>")
	b.WriteString(template.HTMLEscapeString(msg))
	b.WriteString("</code></p>\n<p>You see this page because csrf.Config.Debug is true. Turn it off in production.</p>\n<h2>Likely causes</h2>\n<ul>\n")
	for _, item := range checklist(reason, p) {
		b.WriteString("<li>")
		b.WriteString(template.HTMLEscapeString(item))
		b.WriteString("</li>\n")
	}
	b.WriteString("</ul>\n</body></html>\n")
	return b.String()
}

// checklist returns the likely causes for reason, most specific first.
func checklist(reason error, p *Protector) []string {
	var c []string
	switch {
	case errors.Is(reason, ErrCrossSite), errors.Is(reason, ErrSameSite), errors.Is(reason, ErrBadOrigin),
		errors.Is(reason, ErrRefererMismatch):
		c = append(c,
			"The form or script lives on another origin (scheme, host and port must all match). If that origin is yours, add it to Config.TrustedOrigins, e.g. \"https://app.example.com\".",
			"The app runs behind a TLS-terminating proxy: set Config.TrustProxyHeaders so the request is seen as https, and make the proxy keep the Host header.",
			"You opened the page as http://127.0.0.1 but the form posts to http://localhost (or the reverse): those are different origins.")
	case errors.Is(reason, ErrNullOrigin):
		c = append(c, "The page was opened from a file:, data: or sandboxed iframe, or a cross-origin redirect happened; browsers then send Origin: null, which never matches.")
	case errors.Is(reason, ErrMalformedOrigin), errors.Is(reason, ErrBadReferer), errors.Is(reason, ErrRepeatedHeader):
		c = append(c, "The client (not a browser?) sent a malformed or repeated Origin, Referer, Sec-Fetch-Site or token header.")
	case errors.Is(reason, ErrNoReferer), errors.Is(reason, ErrInsecureReferer):
		c = append(c,
			"A Referrer-Policy of no-referrer (meta tag, header or rel=noreferrer) strips the Referer; use same-origin or strict-origin-when-cross-origin instead.",
			"The page with the form was served over plain http while the form posts to https.")
	case errors.Is(reason, ErrNoMetadata):
		c = append(c, "Tokenless mode rejects requests that carry none of Sec-Fetch-Site, Origin and Referer (old browsers, curl). Set Config.AllowMissingMetadata if non-browser clients must pass.")
	case errors.Is(reason, ErrNoCookie), errors.Is(reason, ErrBadCookie), errors.Is(reason, ErrNoSecret):
		c = append(c,
			"Your browser is not accepting cookies for this site, or the cookie expired.",
			"No page rendered a token before this request (the csrf cookie is only sent with a response that renders a token).",
			"The token was rendered after more than 64 KiB of the page had been written; render templates into a buffer first.",
			"You logged in or out in another tab, or the session ID was renewed: the csrf cookie is bound to the session (Config.SessionCookie). Reload the form.",
			"The server restarted with Config.Key unset (a random key per process), or instances do not share the same Key.")
	case errors.Is(reason, ErrSecretStore):
		c = append(c, "The session store behind Config.Secrets failed; check the server log.")
	case errors.Is(reason, ErrNoToken):
		c = append(c,
			"The form does not contain {{ csrfField . }} (or csrf.TemplateField(r)).",
			"A fetch/XHR request does not send the token header (default X-CSRF-Token).",
			"The form posts with an enctype other than application/x-www-form-urlencoded or multipart/form-data, and no header carries the token.")
	case errors.Is(reason, ErrBadToken), errors.Is(reason, ErrTokenMismatch):
		c = append(c,
			"The page with the form is stale: the secret was rotated (login, logout) after it was rendered. Reload it.",
			"The token was copied from another browser or another session.")
		if p != nil && p.perForm {
			c = append(c, "Per-form tokens are on: the token was made for another method or action path than the one this form posts to.")
		}
	case errors.Is(reason, ErrBodyTooLarge):
		c = append(c, "The form body exceeds Config.MaxBodyBytes; raise it, or send the token in the header.")
	case errors.Is(reason, ErrBadBody):
		c = append(c, "The body was truncated or the multipart encoding is malformed.")
	}
	return append(c, "If this endpoint is a webhook or another non-browser endpoint, exempt it with csrf.Exempt or Config.ExemptPaths.")
}
