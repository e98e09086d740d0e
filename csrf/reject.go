// reject.go holds the failure funnel every rejection goes through, the
// ReportOnly log line, and the default 403 page with its Debug checklist.

package csrf

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/bulwark-go/bulwark/internal/scheme"
)

// refuse rejects r for err. next is the handler r was headed for, for the
// warning about an Exempt the Protector cannot see. (ReportOnly requests
// take serveJudged, which logs instead.)
func (p *Protector) refuse(w http.ResponseWriter, r *http.Request, st *state, next http.Handler, err error) {
	p.warnIfBlind(r, next)
	p.reject(w, r, st, err)
}

// reject is the failure funnel: it logs one WARN line (reason, method,
// path — never a token or cookie value) and calls the failure handler with
// the reason in reach of Reason(r) (in Full mode through the Protector's
// writer, which keeps a page that renders a token out of shared caches). st is nil for a request the origin
// layers refused. A rejected request never receives a Set-Cookie: st is
// marked rejected, which disables cookie issuing for the rest of the
// request.
func (p *Protector) reject(w http.ResponseWriter, r *http.Request, st *state, err error) {
	level := slog.LevelWarn
	if err == ErrClientGone {
		level = slog.LevelDebug // nobody is waiting for the answer
	}
	p.logger.LogAttrs(r.Context(), level, "csrf: request rejected",
		slog.String("reason", err.Error()), slog.String("method", r.Method), slog.String("path", r.URL.Path))
	if p.defaultPage {
		// The default page is the same for every reason, so it needs no
		// request state: an origin rejection costs none.
		writeDefaultPage(w)
		return
	}
	if st == nil {
		st = p.rejectionState(w, r)
	}
	st.mu.Lock()
	st.rejected, st.reason, st.issueCookie = true, err, false
	st.mu.Unlock()
	if st.rw.st == nil { // Tokenless: no token can be rendered
		p.failure.ServeHTTP(w, st.req)
		return
	}
	// In Full mode the handler may render a retry form: it writes through
	// the Protector's writer, so that its headers follow the token rules.
	p.failure.ServeHTTP(&st.rw, st.req)
	st.finish()
}

// rejectionState is the state a FailureHandler sees for a request the
// origin layers refused: in Full mode the request's own, with its secret
// loaded; in Tokenless mode one that only carries the reason.
func (p *Protector) rejectionState(w http.ResponseWriter, r *http.Request) *state {
	if p.mode == Full {
		return p.newState(w, r, scheme.IsHTTPS(r, p.trustProxy))
	}
	st := &state{Context: r.Context(), p: p}
	st.req = r.WithContext(st)
	return st
}

// logReportOnly logs, in one line, every layer that would have refused r:
// the deciding reason, a sentence over all layers ("Fetch Metadata and
// token would refuse; Origin passes; ...") and each layer's verdict.
func (p *Protector) logReportOnly(r *http.Request, v Verdicts) {
	err := v.Err()
	level := slog.LevelWarn
	if err == ErrClientGone {
		level = slog.LevelDebug
	}
	p.logger.LogAttrs(r.Context(), level, "csrf: request would be rejected (report-only)",
		slog.String("reason", err.Error()),
		slog.String("layers", v.Summary()),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Any("verdicts", v))
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
	case errors.Is(reason, ErrWebSocketNoOrigin):
		c = append(c, "A WebSocket handshake without Origin comes from a program, not a browser page. Exempt that endpoint (csrf.Exempt or Config.ExemptPaths), or set Config.AllowMissingMetadata if non-browser clients may connect anywhere.")
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
	case errors.Is(reason, ErrClientGone):
		c = append(c, "The client closed the connection (or the tab) before the request was checked.")
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
		c = append(c, "The form body exceeds Config.MaxBodyBytes; raise it, or send the token in the header. In a multipart form (an upload), put the token field before every file part: the Protector then reads only up to it.")
	case errors.Is(reason, ErrTooManyParts):
		c = append(c, "The multipart form has more than 1000 parts before its token field: put the token field first, or send the token in the header.")
	case errors.Is(reason, ErrBadBody):
		c = append(c, "The body was truncated or the multipart encoding is malformed.")
	}
	return append(c, "If this endpoint is a webhook or another non-browser endpoint, exempt it with csrf.Exempt or Config.ExemptPaths.")
}
