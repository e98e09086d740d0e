// reason.go holds the rejection vocabulary: one sentinel error per reason a
// request is refused, Reason, and the errors of Rotate.

package csrf

import (
	"errors"
	"net/http"
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
	// ErrClientGone: Config.Secrets could not load the secret because the
	// client went away (the request's context was canceled). It is no
	// store fault: the request is refused, and logged at Debug only.
	ErrClientGone = errors.New("csrf: the client went away before its secret was loaded")
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
	// ErrWebSocketOrigin: a WebSocket handshake failed the origin layers
	// (Sec-Fetch-Site, Origin): it was opened by a page on another origin,
	// or its Origin is null, malformed or repeated. The reason also wraps
	// that layer's own (ErrCrossSite, ErrBadOrigin, ...), so errors.Is
	// matches both.
	ErrWebSocketOrigin = errors.New("csrf: websocket handshake from another origin")
	// ErrWebSocketNoOrigin: a WebSocket handshake has no Origin header.
	// Browsers always send one, so the client is a program; see
	// Config.AllowMissingMetadata and Exempt.
	ErrWebSocketNoOrigin = errors.New("csrf: websocket handshake without an Origin header")
	// ErrTooManyParts: a multipart form has no token field among its
	// first 1000 parts. Put the token field first.
	ErrTooManyParts = errors.New("csrf: multipart form has no token field among its first 1000 parts")
)

// ErrNoProtector is returned by Rotate when the request did not pass through
// a Protector in Full mode, so there is no secret to rotate.
var ErrNoProtector = errors.New("csrf: request did not pass through a csrf protector (or the protector is in Tokenless mode)")

// ErrHeadersWritten is returned by Rotate when the response headers have
// already been written, so the new cookie could not be sent.
var ErrHeadersWritten = errors.New("csrf: response headers already written; call Rotate before writing the response")

// ErrRejected is returned by Rotate inside a FailureHandler: a rejected
// request never changes the client's secret.
var ErrRejected = errors.New("csrf: request was rejected; a FailureHandler cannot rotate the secret")

// Reason returns the rejection reason for r inside a FailureHandler, and nil
// for a request that was not rejected (or did not pass a Protector).
func Reason(r *http.Request) error {
	if st := fromContext(r); st != nil {
		return st.reason
	}
	return nil
}
