// judge.go holds the request path that judges every layer, for
// Config.Observe and ReportOnly: each layer's own check is called
// independently, and the verdicts decide as the first failure would.

package csrf

import (
	"net/http"

	"github.com/bulwark-go/bulwark/internal/scheme"
)

// judgesAll reports whether the Protector evaluates every layer of the
// requests it checks, rather than stopping at the first failure.
func (p *Protector) judgesAll() bool { return p.observe != nil || p.reportOnly }

// serveJudged is the request path when every layer's verdict is wanted. A
// safe request that is not a WebSocket handshake is not judged. Any other
// request is judged whole (its secret loaded and its token read even when
// an origin layer fails), Observe sees the verdicts, and the request is
// refused for the deciding failure or, in ReportOnly mode, logged and
// served.
func (p *Protector) serveJudged(w http.ResponseWriter, r *http.Request, next http.Handler) {
	received := r // what Observe gets: no state, so no Token or Rotate
	secure := scheme.IsHTTPS(r, p.trustProxy)
	handshake := isWebSocketHandshake(r)
	var st *state
	if p.mode == Full {
		st = p.newState(w, r, secure)
		defer removeFormFiles(st.req)
		r = st.req
	}
	if safeMethod(r.Method) && !handshake {
		p.serveState(w, r, st, next)
		return
	}
	exempt := p.isExempt(r, next)
	if st != nil {
		st.checked = !exempt && !handshake
	}
	v := p.judge(r, st, secure, exempt, handshake)
	if p.observe != nil {
		p.observe(received, v)
	}
	if err := v.Err(); err != nil {
		p.warnIfBlind(r, next)
		if !p.reportOnly {
			p.reject(w, r, st, err)
			return
		}
		p.logReportOnly(r, v)
	}
	p.serveState(w, r, st, next)
}

// serveState serves r: with its state in Full mode, as is in Tokenless.
func (p *Protector) serveState(w http.ResponseWriter, r *http.Request, st *state, next http.Handler) {
	if st == nil {
		next.ServeHTTP(w, r)
		return
	}
	st.serve(next)
}

// judge evaluates every layer for r. st is r's state in Full mode, nil in
// Tokenless mode.
func (p *Protector) judge(r *http.Request, st *state, secure, exempt, handshake bool) Verdicts {
	var v Verdicts
	if exempt {
		v.set(LayerExempt, Pass, nil, "the request is exempt")
		for l := LayerFetchMetadata; l < numLayers; l++ {
			v.set(l, NotApplicable, nil, "the request is exempt")
		}
		v.decide(LayerExempt)
		return v
	}
	v.set(LayerExempt, NotApplicable, nil, "not exempt")
	if handshake {
		p.judgeHandshake(&v, r, secure)
		return v
	}
	m := requestMetadata(r, secure)
	p.judgeFetchMetadata(&v, &m)
	p.judgeOrigin(&v, &m)
	p.judgeReferer(&v, &m)
	p.judgeToken(&v, r, st)
	v.decide(numLayers)
	return v
}

// judgeFetchMetadata is layer 2's verdict.
func (p *Protector) judgeFetchMetadata(v *Verdicts, m *metadata) {
	if len(m.fetchSite) == 0 {
		if err := p.checkAnyMetadata(m); err != nil {
			v.set(LayerFetchMetadata, Fail, err, "")
			return
		}
		v.set(LayerFetchMetadata, NotApplicable, nil, "no Sec-Fetch-Site header")
		return
	}
	v.setErr(LayerFetchMetadata, p.checkFetchMetadata(m), "not from another site, or from a trusted origin")
}

// judgeOrigin is layer 3's verdict.
func (p *Protector) judgeOrigin(v *Verdicts, m *metadata) {
	if len(m.origin) == 0 {
		v.set(LayerOrigin, NotApplicable, nil, "no Origin header")
		return
	}
	v.setErr(LayerOrigin, p.checkOrigin(m), "the request's own origin, or a trusted one")
}

// judgeReferer is layer 4's verdict.
func (p *Protector) judgeReferer(v *Verdicts, m *metadata) {
	switch {
	case len(m.origin) > 0:
		v.set(LayerReferer, NotApplicable, nil, "the Origin header decides")
	case !m.secure && p.mode == Full:
		v.set(LayerReferer, NotApplicable, nil, "plain HTTP: the token decides")
	case !m.secure && len(m.referer) == 0:
		v.set(LayerReferer, NotApplicable, nil, "no Referer header")
	case len(m.referer) == 0 && p.allowMissing && len(m.fetchSite) == 0:
		v.set(LayerReferer, NotApplicable, nil, "no browser metadata: AllowMissingMetadata")
	default:
		v.setErr(LayerReferer, p.checkReferer(m), "the request's own origin, or a trusted one")
	}
}

// judgeToken is the verdict of layer 5 and of the per-form binding.
func (p *Protector) judgeToken(v *Verdicts, r *http.Request, st *state) {
	if st == nil {
		v.set(LayerToken, NotApplicable, nil, "Tokenless mode")
		v.set(LayerFormBinding, NotApplicable, nil, "Tokenless mode")
		return
	}
	err := p.checkToken(r, st)
	v.setErr(LayerToken, err, "the client's token")
	switch {
	case !p.perForm:
		v.set(LayerFormBinding, NotApplicable, nil, "PerFormTokens is off")
	case err != nil:
		v.set(LayerFormBinding, NotApplicable, nil, "no valid token to bind")
	case st.formToken:
		v.set(LayerFormBinding, Pass, nil, "this form's token")
	default:
		v.set(LayerFormBinding, NotApplicable, nil, "a global token, valid on every form")
	}
}

// judgeHandshake judges a WebSocket handshake as checkHandshake does:
// Fetch Metadata and Origin, an Origin required. A missing Origin is
// checked first, so it decides.
func (p *Protector) judgeHandshake(v *Verdicts, r *http.Request, secure bool) {
	const note = "a WebSocket handshake carries no token, and browsers always send it an Origin"
	v.set(LayerReferer, NotApplicable, nil, note)
	v.set(LayerToken, NotApplicable, nil, note)
	v.set(LayerFormBinding, NotApplicable, nil, note)
	h := r.Header
	m := metadata{fetchSite: h["Sec-Fetch-Site"], origin: h["Origin"], host: r.Host, secure: secure}
	if len(m.fetchSite) == 0 {
		v.set(LayerFetchMetadata, NotApplicable, nil, "no Sec-Fetch-Site header")
	} else if err := p.checkFetchMetadata(&m); err != nil {
		v.set(LayerFetchMetadata, Fail, handshakeReason(err), "")
	} else {
		v.set(LayerFetchMetadata, Pass, nil, "not from another site, or from a trusted origin")
	}
	if len(m.origin) == 0 {
		if p.allowMissing && len(m.fetchSite) == 0 {
			v.set(LayerOrigin, NotApplicable, nil, "no Origin header: AllowMissingMetadata")
			return
		}
		v.set(LayerOrigin, Fail, ErrWebSocketNoOrigin, "")
		v.decide(LayerOrigin)
		return
	}
	if err := p.checkOrigin(&m); err != nil {
		v.set(LayerOrigin, Fail, handshakeReason(err), "")
	} else {
		v.set(LayerOrigin, Pass, nil, "the request's own origin, or a trusted one")
	}
	v.decide(numLayers)
}
