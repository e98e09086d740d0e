// token.go holds the token: masking and unmasking, layer 5 (the token
// check), the per-form tokens, and the API around the secret: Token,
// FormToken (and their context.Context forms), Protected and Rotate.

package csrf

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

const (
	tokenRawLen = 2 * secretLen                        // mask || mask XOR secret
	tokenLen    = (tokenRawLen*8 + 5) / 6              // base64url without padding: 86
	formLabel   = "bulwark csrf per-form token v1\x00" // domain separation for per-form secrets
)

// b64 encodes tokens and cookies. Strict decoding gives each value exactly
// one encoding (unused trailing bits must be zero).
var b64 = base64.RawURLEncoding.Strict()

// decodeBase64 decodes s, which must be exactly the encoding of len(dst)
// bytes, into dst. Its input is copied to the stack first, so that neither
// a string nor a []byte costs an allocation.
func decodeBase64[T string | []byte](dst []byte, s T) bool {
	var buf [tokenLen]byte // tokens and cookies have the same length
	if len(s) != b64.EncodedLen(len(dst)) || len(s) > len(buf) {
		return false
	}
	n := copy(buf[:], s)
	// The decoder skips '\r' and '\n'; the length check above makes an
	// input holding them decode to too few bytes.
	got, err := b64.Decode(dst, buf[:n])
	return err == nil && got == len(dst)
}

// maskToken returns base64url(mask || mask XOR secret) with a fresh random
// mask, so every rendering differs (defeating BREACH-style compression
// oracles) while all of them verify.
func maskToken(secret *[secretLen]byte) string {
	var raw [tokenRawLen]byte
	_, _ = rand.Read(raw[:secretLen])
	subtle.XORBytes(raw[secretLen:], raw[:secretLen], secret[:])
	return encodeBase64(raw[:])
}

// encodeBase64 returns the encoding of a token or cookie value's bytes.
func encodeBase64(src []byte) string {
	var out [tokenLen]byte
	n := b64.EncodedLen(len(src))
	b64.Encode(out[:n], src)
	return string(out[:n])
}

// unmaskToken decodes tok and writes the secret it carries to dst.
func unmaskToken[T string | []byte](dst *[secretLen]byte, tok T) bool {
	var raw [tokenRawLen]byte
	if !decodeBase64(raw[:], tok) {
		return false
	}
	subtle.XORBytes(dst[:], raw[:secretLen], raw[secretLen:])
	return true
}

// formSecret derives the per-form secret bound to method and path.
func formSecret(dst, secret *[secretLen]byte, method, path string) {
	m := hmac.New(sha256.New, secret[:])
	m.Write([]byte(formLabel))
	m.Write([]byte(method))
	m.Write([]byte{0})
	m.Write([]byte(path))
	m.Sum(dst[:0])
}

// checkToken is layer 5 (Full mode): the masked token must unmask to the
// client's secret or, with PerFormTokens, to the secret of this method and
// path. When it does, the handler is given the urlencoded form the layer
// read (see handOverForm).
func (p *Protector) checkToken(r *http.Request, st *state) error {
	if !st.haveSecret {
		return st.secretErr
	}
	var got [secretLen]byte
	if err := p.requestToken(&got, r, st); err != nil {
		return err
	}
	if err := p.compare(r, st, &got); err != nil {
		return err
	}
	handOverForm(r, st.form)
	return nil
}

// requestToken unmasks the token the request carries into got: the
// header's, which is looked at first so that a JSON body is never read, or
// else the form field's.
func (p *Protector) requestToken(got *[secretLen]byte, r *http.Request, st *state) error {
	switch hv := r.Header[p.headerName]; {
	case len(hv) > 1:
		return ErrRepeatedHeader
	case len(hv) == 1 && hv[0] != "":
		return unmask(got, hv[0])
	}
	switch ct := mediaType(r); {
	case strings.EqualFold(ct, "application/x-www-form-urlencoded"):
		return p.urlencodedToken(got, r, st)
	case strings.EqualFold(ct, "multipart/form-data"):
		return p.multipartToken(got, r)
	}
	return ErrNoToken
}

// unmask is unmaskToken with the token layer's reason for a token that
// does not decode.
func unmask[T string | []byte](got *[secretLen]byte, tok T) error {
	if !unmaskToken(got, tok) {
		return ErrBadToken
	}
	return nil
}

// compare checks the unmasked token against the secret (and, with
// PerFormTokens, the secret for this method and escaped path, the path
// ServeMux routes) in constant time.
func (p *Protector) compare(r *http.Request, st *state, got *[secretLen]byte) error {
	if subtle.ConstantTimeCompare(got[:], st.secret[:]) == 1 {
		return nil
	}
	if p.perForm {
		var fs [secretLen]byte
		formSecret(&fs, &st.secret, r.Method, r.URL.EscapedPath())
		if subtle.ConstantTimeCompare(got[:], fs[:]) == 1 {
			st.formToken = true
			return nil
		}
	}
	return ErrTokenMismatch
}

// Protected reports whether r passed through a Protector in Full mode, so
// that Token renders tokens for it and Rotate works. It renders nothing and
// changes nothing in the response. A Tokenless Protector leaves no trace in
// the request, so Protected reports false behind one.
func Protected(r *http.Request) bool {
	return tokenState(r) != nil
}

// tokenState returns r's state when r passed through a Full-mode Protector
// (a Tokenless one keeps a state only to hand a rejection's reason to the
// FailureHandler), and nil otherwise.
func tokenState(r *http.Request) *state {
	if r == nil {
		return nil
	}
	return contextTokenState(r.Context())
}

// contextTokenState is tokenState for the context of such a request (the
// state itself, or a context derived from it).
func contextTokenState(ctx context.Context) *state {
	if ctx == nil {
		return nil
	}
	if st, _ := ctx.Value(stateKey{}).(*state); st != nil && st.p.mode == Full {
		return st
	}
	return nil
}

// Token returns a fresh masked token for r's client: each call returns a
// different string (a new one-time-pad mask, against BREACH) and all of
// them verify until the secret is rotated. Rendering a token makes the
// response carry Vary: Cookie, a private Cache-Control (any token unmasks
// to the secret, so no shared cache may store it) and, when the client has
// no valid csrf cookie yet or its cookie was signed with one of
// Config.PreviousKeys, the Set-Cookie. Headers cannot change once sent: a
// token rendered after WriteHeader, or after the first write of a non-HTML
// response, gets none of them (see Caches in the package documentation).
//
// Token returns "" when r did not pass through a Full-mode Protector, on a
// rejected request whose client has no secret, and when the secret store
// fails.
func Token(r *http.Request) string {
	return stateToken(tokenState(r))
}

// TokenFromContext is Token for code that holds the request's context
// rather than the request, such as a templ component (its ctx): ctx is
// r.Context() of a request the Protector passed to its handler, or a
// context derived from it. It returns "" for any other context.
func TokenFromContext(ctx context.Context) string {
	return stateToken(contextTokenState(ctx))
}

// stateToken is Token for a request's state (nil: none).
func stateToken(st *state) string {
	if st == nil {
		return ""
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.ensureSecret() {
		return ""
	}
	st.markRendered()
	return maskToken(&st.secret)
}

// FormToken returns a token for one form: with Config.PerFormTokens it is
// bound to method and the path of action (resolved against the request URL
// the Protector saw; "" means that URL's own path), and is accepted only
// on a request with that method and path. The path is compared escaped,
// as ServeMux routes it: a token for "/files/a/b" is refused on
// "/files/a%2Fb", which ServeMux may route to another handler, so write
// action as the form's HTML will (html/template escapes it the same way).
// Without PerFormTokens it is Token(r).
func FormToken(r *http.Request, method, action string) string {
	return stateFormToken(tokenState(r), method, action)
}

// FormTokenFromContext is FormToken for code that holds the request's
// context rather than the request (see TokenFromContext).
func FormTokenFromContext(ctx context.Context, method, action string) string {
	return stateFormToken(contextTokenState(ctx), method, action)
}

// stateFormToken is FormToken for a request's state (nil: none).
func stateFormToken(st *state, method, action string) string {
	if st == nil {
		return ""
	}
	if !st.p.perForm {
		return stateToken(st)
	}
	// The browser resolves the action against the page's URL, which is
	// the URL the Protector saw (a handler may see a rewritten one, as
	// behind http.StripPrefix), and the Protector checks that path.
	path := st.req.URL.EscapedPath()
	if action != "" {
		u, err := url.Parse(action)
		if err != nil {
			return ""
		}
		path = st.req.URL.ResolveReference(u).EscapedPath()
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.ensureSecret() {
		return ""
	}
	st.markRendered()
	var fs [secretLen]byte
	formSecret(&fs, &st.secret, strings.ToUpper(method), path)
	return maskToken(&fs)
}

// Rotate gives r's client a new secret now (call it at login, logout and
// privilege changes, before writing the response): tokens rendered before
// stop working, and later Token(r) calls in this request use the new
// secret. In cookie mode the new signed cookie is sent with this response;
// with Config.Secrets the secret is saved with SaveSecret.
//
// It returns ErrNoProtector when r did not pass through a Full-mode
// Protector, ErrRejected inside a FailureHandler, and ErrHeadersWritten
// when the response has already started.
func Rotate(w http.ResponseWriter, r *http.Request) error {
	st := tokenState(r)
	if st == nil {
		return ErrNoProtector
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.rejected:
		return ErrRejected
	case st.headerDone:
		return ErrHeadersWritten
	}
	newSecret(&st.secret)
	st.haveSecret = false
	if st.p.secrets != nil {
		if err := st.p.secrets.SaveSecret(w, st.req, append([]byte(nil), st.secret[:]...)); err != nil {
			return err
		}
	} else {
		st.issueCookie, st.rotated = true, true
	}
	st.haveSecret, st.secretErr, st.storeFailed = true, nil, false
	return nil
}
