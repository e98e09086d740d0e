// websocket.go holds the WebSocket handshake layer: how a handshake is
// recognised, and its check. A handshake is a GET, which the Protector
// otherwise never checks, but it opens a channel that the same-origin
// policy does not guard: any page can call new WebSocket() on your app,
// the browser attaches your cookies, and the page can then read what the
// socket sends (Cross-Site WebSocket Hijacking). Browsers cannot add a
// header to new WebSocket(), so a handshake carries no token; it is judged
// by where it came from only.

package csrf

import (
	"net/http"
	"strings"

	"github.com/bulwark-go/bulwark/internal/scheme"
)

// refuseHandshake is the WebSocket layer, for a request the other layers do
// not check. It refuses a WebSocket handshake that is not exempt and fails
// checkHandshake, and reports whether it did. Any other request costs one
// header lookup.
func (p *Protector) refuseHandshake(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	if !isWebSocketHandshake(r) || p.isExempt(r, next) {
		return false
	}
	if err := p.checkHandshake(r, scheme.IsHTTPS(r, p.trustProxy)); err != nil {
		p.refuse(w, r, nil, next, err)
		return true
	}
	return false
}

// isWebSocketHandshake reports whether r asks to open a WebSocket: a GET
// whose Upgrade header (any line) lists "websocket" (RFC 6455, section
// 4.1), or an HTTP/2 extended CONNECT whose :protocol is "websocket" (RFC
// 8441; Go's HTTP/2 server puts it in r.Header[":protocol"]). Connection is
// not looked at: a request a WebSocket library might upgrade is checked,
// whatever else it says.
func isWebSocketHandshake(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet:
		return anyHasToken(r.Header["Upgrade"], "websocket")
	case http.MethodConnect:
		return anyHasToken(r.Header[":protocol"], "websocket")
	}
	return false
}

func anyHasToken(lines []string, want string) bool {
	for _, v := range lines {
		if hasToken(v, want) {
			return true
		}
	}
	return false
}

// hasToken reports whether the comma-separated list v names the protocol
// want, in any case, with or without a "/version". It errs on the side of
// yes: it compares as WebSocket libraries do (strings.TrimSpace and
// strings.EqualFold, which folds some non-ASCII letters to ASCII ones), so
// that whatever a library would upgrade is seen as a handshake here.
// FuzzHasToken pins it to the plain strings.Split version.
func hasToken(v, want string) bool {
	for v != "" {
		var item string
		item, v, _ = strings.Cut(v, ",")
		name, _, _ := strings.Cut(strings.TrimSpace(item), "/")
		if strings.EqualFold(strings.TrimSpace(name), want) {
			return true
		}
	}
	return false
}

// checkHandshake judges a WebSocket handshake by the origin layers alone.
// Every browser sends Origin on a handshake, so its Origin must be the
// request's own or a trusted one, and a Sec-Fetch-Site of cross-site or
// same-site needs a trusted Origin, exactly as for an unsafe request; the
// reason wraps ErrWebSocketOrigin around that layer's reason. A handshake
// without Origin comes from a program, not a browser page: it is refused
// with ErrWebSocketNoOrigin unless Config.AllowMissingMetadata (and it
// carries no Sec-Fetch-Site either, which only browsers send). The Referer
// is never looked at. It is judgeHandshake's decision, so that enforcing
// and judging a handshake can never disagree.
func (p *Protector) checkHandshake(r *http.Request, secure bool) error {
	var v Verdicts
	p.judgeHandshake(&v, r, secure)
	return v.Err()
}

// handshakeError is ErrWebSocketOrigin together with the origin layer's
// reason: errors.Is matches both, so a FailureHandler that branches on
// ErrBadOrigin (or the Debug checklist) treats a handshake alike.
type handshakeError struct {
	msg   string
	layer error
}

func (e *handshakeError) Error() string   { return e.msg }
func (e *handshakeError) Unwrap() []error { return []error{ErrWebSocketOrigin, e.layer} }

func newHandshakeError(layer error) error {
	return &handshakeError{
		msg:   ErrWebSocketOrigin.Error() + ": " + strings.TrimPrefix(layer.Error(), "csrf: "),
		layer: layer,
	}
}

// handshakeReasons holds one handshakeError per reason the origin layers
// return, made once, so that a refusal allocates nothing for its reason.
var handshakeReasons = func() map[error]error {
	m := map[error]error{}
	for _, e := range []error{ErrCrossSite, ErrSameSite, ErrNullOrigin, ErrMalformedOrigin, ErrBadOrigin, ErrRepeatedHeader} {
		m[e] = newHandshakeError(e)
	}
	return m
}()

// handshakeReason is the reason a handshake refused by an origin layer
// carries.
func handshakeReason(layer error) error {
	if err, ok := handshakeReasons[layer]; ok {
		return err
	}
	return newHandshakeError(layer)
}
