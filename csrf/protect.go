// protect.go holds the middleware: Handler, and the request check, which
// calls the layers top-down in the order they are enforced.

package csrf

import (
	"net/http"

	"github.com/bulwark-go/bulwark/internal/forward"
	"github.com/bulwark-go/bulwark/internal/scheme"
)

// Handler returns next protected by p. Safe methods (GET, HEAD, OPTIONS,
// TRACE) pass, except a WebSocket handshake; every other method is checked
// in this order, the first failure rejecting the request:
//
//  1. Exemptions: Exempt-wrapped handlers and Config.ExemptPaths.
//  2. Fetch Metadata: Sec-Fetch-Site cross-site or same-site is rejected
//     unless the Origin is trusted; same-origin and none pass this layer.
//  3. Origin, when present (including "null"): it must be the request's own
//     origin (scheme, host and port) or a trusted origin.
//  4. Referer, when Origin is absent and the request is HTTPS (in Tokenless
//     mode: whenever Origin is absent and Referer present): present,
//     well-formed, https, and same-origin or trusted.
//  5. Token (Full mode): the masked token from the header or form field
//     must unmask to the client's secret.
//
// A WebSocket handshake (a GET with Upgrade: websocket, or an HTTP/2
// extended CONNECT with :protocol websocket) is checked in both modes:
// unless exempt (layer 1), it must pass layers 2 and 3 and carry an Origin
// (ErrWebSocketOrigin, ErrWebSocketNoOrigin); layers 4 and 5 do not apply,
// since browsers always send Origin on a handshake and cannot add a token
// to new WebSocket().
//
// With Config.Observe or ReportOnly every layer is judged on its own (see
// Verdicts); the request is still refused, or logged, for the first
// failure.
func (p *Protector) Handler(next http.Handler) http.Handler {
	if p.judgesAll() {
		return forward.To(next, func(w http.ResponseWriter, r *http.Request) {
			p.serveJudged(w, r, next)
		})
	}
	if p.mode == Tokenless {
		return forward.To(next, func(w http.ResponseWriter, r *http.Request) {
			p.serveTokenless(w, r, next)
		})
	}
	return forward.To(next, func(w http.ResponseWriter, r *http.Request) {
		p.serveFull(w, r, next)
	})
}

// serveTokenless runs layers 1 to 4. It adds nothing to the request.
func (p *Protector) serveTokenless(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if p.mustCheck(r, next) {
		if err := p.checkOrigins(r, scheme.IsHTTPS(r, p.trustProxy)); err != nil {
			p.refuse(w, r, nil, next, err)
			return
		}
	} else if p.refuseHandshake(w, r, next) {
		return
	}
	next.ServeHTTP(w, r)
}

// serveFull runs layers 1 to 5, then serves the request with the state
// that lets the handler render tokens.
func (p *Protector) serveFull(w http.ResponseWriter, r *http.Request, next http.Handler) {
	secure := scheme.IsHTTPS(r, p.trustProxy)
	check := p.mustCheck(r, next)
	if check {
		// The origin layers need no request state, so a request they
		// reject never costs one.
		if err := p.checkOrigins(r, secure); err != nil {
			p.refuse(w, r, nil, next, err)
			return
		}
	} else if p.refuseHandshake(w, r, next) {
		return
	}
	st := p.newState(w, r, secure)
	st.checked = check
	defer removeFormFiles(st.req)
	if check {
		if err := p.checkToken(st.req, st); err != nil {
			p.refuse(w, st.req, st, next, err)
			return
		}
	}
	st.serve(next)
}

// mustCheck reports whether r goes through the layers: its method is not
// safe, it is not a WebSocket handshake (an extended CONNECT, which
// refuseHandshake checks), and it is not exempt (layer 1). Exemption is
// decided here, before any other layer, because the token layer consumes a
// multipart body: an exempt handler (a webhook, a streaming upload) must
// get it untouched.
func (p *Protector) mustCheck(r *http.Request, next http.Handler) bool {
	return !safeMethod(r.Method) && !isWebSocketHandshake(r) && !p.isExempt(r, next)
}

// checkOrigins runs layers 2 to 4, which judge where the request came from,
// and returns the first reason to refuse it.
func (p *Protector) checkOrigins(r *http.Request, secure bool) error {
	m := requestMetadata(r, secure)
	if err := p.checkFetchMetadata(&m); err != nil {
		return err
	}
	if err := p.checkOrigin(&m); err != nil {
		return err
	}
	return p.checkReferer(&m)
}

// metadata is what the origin layers judge a request by: its
// Sec-Fetch-Site, Origin and Referer headers (every line of each, so that a
// repeated one is seen), its Host, and whether it came over HTTPS. The
// Referer is read only when there is no Origin: no layer looks at it then.
type metadata struct {
	fetchSite, origin, referer []string
	host                       string
	secure                     bool
}

func requestMetadata(r *http.Request, secure bool) metadata {
	h := r.Header
	m := metadata{fetchSite: h["Sec-Fetch-Site"], origin: h["Origin"], host: r.Host, secure: secure}
	if len(m.origin) == 0 {
		m.referer = h["Referer"]
	}
	return m
}

// safeMethod reports whether m is GET, HEAD, OPTIONS or TRACE, which must
// not change state and are never checked.
func safeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}
