// csrf.go holds the configuration, the Protector and its request check, in
// the order the checks are enforced.

package csrf

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync/atomic"

	"github.com/bulwark-go/bulwark/internal/scheme"
)

// Mode selects which layers a Protector enforces.
type Mode int

const (
	// Full enforces the origin layers (Fetch Metadata, Origin, Referer) AND
	// the masked synchronizer token. It is the default.
	Full Mode = iota
	// Tokenless enforces only the origin layers, like
	// net/http.CrossOriginProtection, for JSON APIs whose clients are
	// browsers' fetch or non-browser programs. Unlike CrossOriginProtection
	// it fails closed when a request carries none of Sec-Fetch-Site, Origin
	// and Referer (see Config.AllowMissingMetadata).
	Tokenless
)

// String returns "full" or "tokenless".
func (m Mode) String() string {
	switch m {
	case Full:
		return "full"
	case Tokenless:
		return "tokenless"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// SecretStore keeps the per-client CSRF secret server-side, typically in the
// user's session (the session package provides an adapter). When
// Config.Secrets is set no csrf cookie is used.
//
// Implementations must be safe for concurrent use.
type SecretStore interface {
	// LoadSecret returns the secret saved for r's client, or nil, nil when
	// there is none yet. Errors are for system faults only.
	LoadSecret(r *http.Request) ([]byte, error)
	// SaveSecret stores secret for r's client. It is called before the
	// response headers are written.
	SaveSecret(w http.ResponseWriter, r *http.Request, secret []byte) error
}

// Defaults for the zero Config.
const (
	DefaultCookieName   = "csrf"         // "__Host-csrf" when the cookie is Secure
	DefaultFieldName    = "csrf_token"   // form field
	DefaultHeaderName   = "X-CSRF-Token" // request header
	DefaultMaxBodyBytes = 10 << 20       // 10 MiB
)

// cookieMaxAge is the csrf cookie's lifetime (a year, as Django's default):
// a token in a form left open overnight or in a restored tab still works.
const cookieMaxAge = 365 * 24 * 60 * 60

// maxBuffer is how much of a response is held back, when the client has no
// secret yet, to learn whether the page renders a token before the headers
// (and so the Set-Cookie) must go out.
const maxBuffer = 64 << 10

// Config configures a Protector. The zero value is safe: Full mode, a
// signed cookie with a random per-process key, no trusted origins, no
// exemptions.
type Config struct {
	// Key signs the csrf cookie with HMAC-SHA256. At least 32 random bytes;
	// every instance of the app must share it. nil: a random key per
	// process (logged once at New), so cookies do not survive a restart.
	Key []byte
	// PreviousKeys are keys that Key replaced, so that Key can be rotated
	// without invalidating every client's csrf cookie (like Django's
	// SECRET_KEY_FALLBACKS). A cookie signed with one of them still
	// verifies, and the next response to that client that renders a token
	// re-signs it with Key; the secret stays the same, so tokens already in
	// open pages keep working. New cookies are always signed with Key.
	// Each entry needs at least 32 bytes, and Key must be set; an entry
	// equal to Key is ignored. Remove a previous key once its clients have
	// had time to come back: a cookie signed only with a removed key fails
	// with ErrBadCookie, and the next page that renders a token issues a
	// new one. Each previous key costs one HMAC when a cookie does not
	// verify with Key; none when it does. nil: only Key verifies.
	PreviousKeys [][]byte
	// Mode is Full (default) or Tokenless.
	Mode Mode
	// ReportOnly logs every violation (the reason that would have rejected
	// the request) and lets the request through. Use it to roll out. The
	// handler gets the body intact even when the Protector stopped reading
	// it (too large, malformed); a multipart body is then kept in memory,
	// up to MaxBodyBytes, while it is parsed.
	ReportOnly bool
	// TrustedOrigins lists other origins allowed to send unsafe requests:
	// "https://app.example.com", "http://localhost:3000", or a wildcard
	// "https://*.example.com", which matches every subdomain of
	// example.com (a.example.com, a.b.example.com) but NOT example.com
	// itself; list the apex separately. Scheme and port must match exactly
	// (default ports normalised: https://a:443 is https://a); scheme and
	// host compare case-insensitively. A missing scheme, a path or a
	// misplaced "*" is an error at New.
	TrustedOrigins []string
	// TrustProxyHeaders makes the request's scheme come from the nearest
	// proxy's X-Forwarded-Proto or Forwarded header. Set it only when a
	// proxy you control overwrites those headers. The Host header is used
	// as is (X-Forwarded-Host is never honoured): make the proxy preserve
	// Host, or add the public origin to TrustedOrigins.
	TrustProxyHeaders bool
	// Secrets keeps the secret server-side (e.g. in the session). nil: the
	// secret lives in a signed cookie. LoadSecret is called once per
	// request in Full mode, safe requests included.
	Secrets SecretStore
	// SessionCookie is the name of the app's session cookie (without a
	// __Host- prefix; both forms are read). When set, the csrf cookie's
	// signature covers the session cookie's value, so a csrf cookie planted
	// by a sibling subdomain or copied from another session fails. When the
	// session ID changes (login), the old csrf cookie stops verifying: the
	// next page that renders a token issues a new cookie, and an unsafe
	// request sent before that is rejected with ErrBadCookie. The value
	// bound is the one net/http's Request.Cookie returns (the first valid
	// one), which is what session libraries built on net/http read.
	SessionCookie string
	// CookieName is the csrf cookie's name; default "csrf". When the
	// request is HTTPS the cookie is Secure and named "__Host-" + CookieName.
	CookieName string
	// FieldName is the form field carrying the token; default "csrf_token".
	// Letters, digits, '_', '-' and '.' only.
	FieldName string
	// HeaderName is the request header carrying the token; default
	// "X-CSRF-Token". It is checked before the form, so JSON bodies are
	// never parsed.
	HeaderName string
	// PerFormTokens accepts, besides the global token, tokens made by
	// FormToken for one method and action path (Rails' per-form tokens):
	// such a token leaked from one form is useless on another. Full only.
	PerFormTokens bool
	// MaxBodyBytes caps the form body read to find the token; default
	// 10 MiB. Bigger bodies are rejected with ErrBodyTooLarge.
	MaxBodyBytes int64
	// ExemptPaths are http.ServeMux patterns ("POST /webhooks/", "/api/hook")
	// whose requests skip every check. Matching is ServeMux's own, on the
	// path ServeMux would route: a path ServeMux would redirect (not clean,
	// such as "/exempt/../admin" or "//exempt", or missing the trailing
	// slash) is not exempt.
	ExemptPaths []string
	// AllowMissingMetadata (Tokenless only) lets requests with none of
	// Sec-Fetch-Site, Origin and Referer pass. Such requests come from
	// non-browser clients or very old browsers.
	AllowMissingMetadata bool
	// FailureHandler serves rejected requests; Reason(r) returns the
	// reason. Default: a short HTML 403 page.
	FailureHandler http.Handler
	// Logger receives one WARN line per rejection; default slog.Default().
	Logger *slog.Logger
	// Debug makes the default 403 page show the reason and a checklist of
	// likely causes. Development only.
	Debug bool
}

// Protector is CSRF protection middleware. Build it with New; it is safe for
// concurrent use and immutable after New.
type Protector struct {
	mode           Mode
	reportOnly     bool
	trustedOrigins []trustedOrigin
	trustProxy     bool
	secrets        SecretStore
	sessionName    string // "" when unbound
	hostSession    string // "__Host-" + sessionName
	cookieName     string
	hostCookieName string
	fieldName      string
	headerName     string // canonical
	headerLabel    string // as configured, for HXHeaders
	perForm        bool
	maxBody        int64
	exemptMux      *http.ServeMux
	allowMissing   bool
	failure        http.Handler
	plainFailure   bool // failure is the default non-debug page, which needs no request state
	logger         *slog.Logger
	signer         *cookieSigner
}

// New validates cfg and returns a Protector. Errors quote the bad value and
// say how to fix it.
func New(cfg Config) (*Protector, error) {
	p := &Protector{
		mode:         cfg.Mode,
		reportOnly:   cfg.ReportOnly,
		trustProxy:   cfg.TrustProxyHeaders,
		secrets:      cfg.Secrets,
		perForm:      cfg.PerFormTokens,
		maxBody:      cfg.MaxBodyBytes,
		allowMissing: cfg.AllowMissingMetadata,
		failure:      cfg.FailureHandler,
		logger:       cfg.Logger,
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	if cfg.Mode != Full && cfg.Mode != Tokenless {
		return nil, fmt.Errorf("csrf: Mode %d: use csrf.Full or csrf.Tokenless", int(cfg.Mode))
	}
	if cfg.Mode == Tokenless {
		switch {
		case cfg.PerFormTokens:
			return nil, errors.New("csrf: PerFormTokens needs Mode Full; Tokenless mode uses no tokens")
		case cfg.Secrets != nil:
			return nil, errors.New("csrf: Secrets needs Mode Full; Tokenless mode keeps no secret")
		}
	} else if cfg.AllowMissingMetadata {
		return nil, errors.New("csrf: AllowMissingMetadata applies only to Mode Tokenless; Full mode lets such requests through to the token check")
	}
	if cfg.Key != nil && len(cfg.Key) < 32 {
		return nil, fmt.Errorf("csrf: Key is %d bytes: use at least 32 random bytes (for example from crypto/rand)", len(cfg.Key))
	}
	var previous [][]byte
	for i, k := range cfg.PreviousKeys {
		if len(k) < 32 {
			return nil, fmt.Errorf("csrf: PreviousKeys[%d] is %d bytes: a previous key must be a whole former Key (at least 32 bytes); remove the entry or fix its value", i, len(k))
		}
		if !hmac.Equal(k, cfg.Key) {
			previous = append(previous, k)
		}
	}
	if len(cfg.PreviousKeys) > 0 && cfg.Key == nil {
		return nil, errors.New("csrf: PreviousKeys is set but Key is not: set Key to the new signing key (previous keys only verify old cookies)")
	}

	for _, s := range cfg.TrustedOrigins {
		t, err := parseTrustedOrigin(s)
		if err != nil {
			return nil, err
		}
		p.trustedOrigins = append(p.trustedOrigins, t)
	}

	p.cookieName = cfg.CookieName
	if p.cookieName == "" {
		p.cookieName = DefaultCookieName
	}
	if err := checkCookieName("CookieName", p.cookieName); err != nil {
		return nil, err
	}
	p.hostCookieName = "__Host-" + p.cookieName
	if cfg.SessionCookie != "" {
		if cfg.Secrets != nil {
			return nil, errors.New("csrf: set SessionCookie or Secrets, not both; a secret kept in the session is already bound to it")
		}
		if err := checkCookieName("SessionCookie", cfg.SessionCookie); err != nil {
			return nil, err
		}
		p.sessionName = cfg.SessionCookie
		p.hostSession = "__Host-" + cfg.SessionCookie
	}

	p.fieldName = cfg.FieldName
	if p.fieldName == "" {
		p.fieldName = DefaultFieldName
	}
	for i := 0; i < len(p.fieldName); i++ {
		if c := p.fieldName[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return nil, fmt.Errorf("csrf: FieldName %q: use only letters, digits, '_', '-' and '.'", p.fieldName)
		}
	}
	h := cfg.HeaderName
	if h == "" {
		h = DefaultHeaderName
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !isAlnum(c) && c != '-' {
			return nil, fmt.Errorf("csrf: HeaderName %q: use only letters, digits and '-'", h)
		}
	}
	p.headerName, p.headerLabel = http.CanonicalHeaderKey(h), h

	switch {
	case p.maxBody == 0:
		p.maxBody = DefaultMaxBodyBytes
	case p.maxBody < 0:
		return nil, fmt.Errorf("csrf: MaxBodyBytes %d: must be positive (0 means the default, 10 MiB)", p.maxBody)
	}

	if len(cfg.ExemptPaths) > 0 {
		p.exemptMux = http.NewServeMux()
		for _, pat := range cfg.ExemptPaths {
			if err := handleSafely(p.exemptMux, pat); err != nil {
				return nil, err
			}
		}
	}
	if p.failure == nil {
		p.failure = failureHandler{debug: cfg.Debug, p: p}
		p.plainFailure = !cfg.Debug
	}
	key := cfg.Key
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		if cfg.Mode == Full && cfg.Secrets == nil {
			p.logger.Warn("csrf: Config.Key is not set; using a random key for this process (csrf cookies will not survive a restart or work across instances)")
		}
	}
	p.signer = newCookieSigner(key, previous...)
	return p, nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func checkCookieName(field, name string) error {
	if strings.HasPrefix(name, "__Host-") || strings.HasPrefix(name, "__Secure-") {
		return fmt.Errorf("csrf: %s %q: leave out the prefix; \"__Host-\" is added when the cookie is Secure", field, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return fmt.Errorf("csrf: %s %q: not a valid cookie name (letters, digits and !#$%%&'*+-.^_`|~ only)", field, name)
		}
	}
	return nil
}

// exemptSentinel is what the private exemption mux routes matches to. It is
// a pointer to a non-zero-size value so that it compares equal only to
// itself.
var exemptSentinel http.Handler = &exemptMarker{}

type exemptMarker struct{ _ byte }

func (*exemptMarker) ServeHTTP(http.ResponseWriter, *http.Request) {}

// handleSafely registers pattern, turning ServeMux's panic on a bad or
// conflicting pattern into an error.
func handleSafely(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("csrf: ExemptPaths pattern %q: %v", pattern, v)
		}
	}()
	mux.Handle(pattern, exemptSentinel)
	return nil
}

// isHTTPS is scheme.IsHTTPS(r, p.trustProxy), with its first two steps
// inlined.
func (p *Protector) isHTTPS(r *http.Request) bool {
	return r.TLS != nil || (p.trustProxy && scheme.IsHTTPS(r, true))
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

// Handler returns next protected by p. Safe methods (GET, HEAD, OPTIONS,
// TRACE) always pass; every other method is checked in this order, the
// first failure rejecting the request:
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
// Exemptions are evaluated lazily — only when a later layer would reject
// the request, or before a multipart body would be consumed — which gives
// the same result as checking them first at a lower cost.
func (p *Protector) Handler(next http.Handler) http.Handler {
	if p.mode == Tokenless {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !safeMethod(r.Method) {
				if err := p.checkOrigin(r, p.isHTTPS(r)); err != nil {
					if !p.isExempt(r, next) {
						if !p.reportOnly {
							p.reject(w, r, nil, err)
							return
						}
						p.logReportOnly(r, err)
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serveFull(w, r, next)
	})
}

func (p *Protector) serveFull(w http.ResponseWriter, r *http.Request, next http.Handler) {
	secure := p.isHTTPS(r)
	unsafe := !safeMethod(r.Method)
	var originErr error
	if unsafe {
		// The origin layers need no state: a request they reject with the
		// default page costs no allocation for it.
		originErr = p.checkOrigin(r, secure)
		if originErr != nil && p.plainFailure && !p.reportOnly && !p.isExempt(r, next) {
			p.reject(w, r, nil, originErr)
			return
		}
	}

	st := &state{Context: r.Context(), p: p, w: w, secure: secure}
	st.rw.st = st
	// The request the handler gets lives inside st (one allocation for
	// both); WithContext's own copy is inlined and stays on the stack.
	st.reqVal = *r.WithContext(st)
	r = &st.reqVal
	st.req = r
	p.loadSecret(r, st)

	if unsafe {
		err := originErr
		if err == nil {
			err = p.checkToken(r, st, next)
		}
		// net/http removes the temporary files of the request it created,
		// not of our copy.
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if err != nil && !st.isExempt(r, next) {
			if !p.reportOnly {
				p.reject(w, r, st, err)
				return
			}
			p.logReportOnly(r, err)
		}
	}
	// Hold the response back while a cookie may have to be added to it: the
	// client has no secret yet, or its cookie was signed with a previous
	// key and is re-signed if the page renders a token.
	if !st.haveSecret || st.issueCookie {
		st.buffering = true
		st.buf = getBuffer()
	}
	next.ServeHTTP(&st.rw, r)
	st.finish()
}

// checkOrigin enforces the Fetch Metadata, Origin and Referer layers. It
// does not allocate.
func (p *Protector) checkOrigin(r *http.Request, secure bool) error {
	h := r.Header
	sfs, orig := h["Sec-Fetch-Site"], h["Origin"]
	// Fast path for the common browser request: one Origin that is
	// byte-for-byte the request's own origin, no Fetch Metadata saying
	// otherwise. It decides exactly as the layers below would (see
	// isSelfOrigin); anything else takes the full path. The Referer is not
	// consulted when an Origin is present, so it is not even looked up here.
	if len(orig) == 1 && len(sfs) <= 1 && isSelfOrigin(orig[0], r.Host, secure) &&
		(len(sfs) == 0 || (sfs[0] != "cross-site" && sfs[0] != "same-site")) {
		return nil
	}
	ref := h["Referer"]
	if len(sfs) > 1 || len(orig) > 1 {
		return ErrRepeatedHeader
	}
	if p.mode == Tokenless && len(sfs)+len(orig)+len(ref) == 0 {
		if p.allowMissing {
			return nil
		}
		return ErrNoMetadata
	}
	var o origin
	originOK := false
	if len(orig) == 1 {
		o, originOK = parseOrigin(orig[0])
	}

	// Fetch Metadata.
	if len(sfs) == 1 {
		switch sfs[0] {
		case "cross-site":
			if !originOK || !p.trusted(o) {
				return ErrCrossSite
			}
		case "same-site":
			if !originOK || !p.trusted(o) {
				return ErrSameSite
			}
		}
		// "same-origin", "none" and unknown future values fall through to
		// the Origin layer.
	}

	// Origin.
	if len(orig) == 1 {
		if orig[0] == "null" {
			return ErrNullOrigin
		}
		if !originOK {
			return ErrMalformedOrigin
		}
		if self, ok := requestOrigin(r, secure); (ok && self.equal(o)) || p.trusted(o) {
			return nil
		}
		return ErrBadOrigin
	}

	// Referer: Django's rules for HTTPS; in Tokenless mode a present
	// Referer is always checked, since it is the only evidence left.
	if !secure && (p.mode == Full || len(ref) == 0) {
		return nil
	}
	if len(ref) == 0 {
		return ErrNoReferer
	}
	if len(ref) > 1 {
		return ErrRepeatedHeader
	}
	ro, ok := parseReferer(ref[0])
	if !ok {
		return ErrBadReferer
	}
	if secure && !strings.EqualFold(ro.scheme, "https") {
		return ErrInsecureReferer
	}
	if self, ok := requestOrigin(r, secure); (ok && self.equal(ro)) || p.trusted(ro) {
		return nil
	}
	return ErrRefererMismatch
}

// loadSecret reads the client's secret from the signed cookie or the
// secret store into st.
func (p *Protector) loadSecret(r *http.Request, st *state) {
	if p.secrets != nil {
		sec, err := p.secrets.LoadSecret(r)
		switch {
		case err != nil:
			p.logger.LogAttrs(r.Context(), slog.LevelError, "csrf: secret store failed",
				slog.String("error", err.Error()), slog.String("method", r.Method), slog.String("path", r.URL.Path))
			st.noSecret = ErrSecretStore
			st.storeFailed = true
		case len(sec) == secretLen:
			copy(st.secret[:], sec)
			st.haveSecret = true
		default:
			st.noSecret = ErrNoSecret
		}
		return
	}
	if p.sessionName != "" {
		st.session = p.sessionValue(r.Header, st.secure)
	}
	name := p.cookieName
	if st.secure {
		name = p.hostCookieName
	}
	st.noSecret = ErrNoCookie
	forEachCookie(r.Header["Cookie"], name, func(v string) bool {
		st.noSecret = ErrBadCookie
		if ok, stale := p.signer.verify(&st.secret, v, st.session); ok {
			st.haveSecret = true
			st.noSecret = nil
			// Signed with a previous key: re-sign it with Key (same
			// secret) if this response renders a token.
			st.issueCookie = stale
			return false
		}
		return true
	})
}

// sessionValue returns the app's session cookie value from the request.
func (p *Protector) sessionValue(h http.Header, secure bool) string {
	var v string
	found := false
	get := func(s string) bool { v, found = s, true; return false }
	if secure {
		forEachCookie(h["Cookie"], p.hostSession, get)
	}
	if !found {
		forEachCookie(h["Cookie"], p.sessionName, get)
	}
	return v
}

// forEachCookie calls f with the value of each cookie called name in the
// Cookie header lines, until f returns false. It does not allocate.
//
// It parses exactly as net/http's Request.Cookie does (names and parts
// trimmed of ASCII white space, quotes stripped, values with bytes net/http
// refuses skipped), so the session cookie the csrf cookie is bound to is
// the one the app's session library reads: a value net/http would skip
// cannot stand in for the real session cookie that follows it.
func forEachCookie(lines []string, name string, f func(string) bool) {
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(trimOWS(part), "=")
			if trimOWS(k) != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if !validCookieValue(v) {
				continue
			}
			if !f(v) {
				return
			}
		}
	}
}

// trimOWS trims ASCII space, tab, CR and LF, as net/textproto.TrimString
// does.
func trimOWS(s string) string {
	for len(s) > 0 && isOWS(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isOWS(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// validCookieValue reports whether net/http accepts v as a cookie value.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if !cookieValueByte[v[i]] {
			return false
		}
	}
	return true
}

// cookieValueByte marks the bytes net/http allows in a cookie value.
var cookieValueByte = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '"' && b != ';' && b != '\\'
	}
	return t
}()

// checkToken enforces the token layer (Full mode): header first, then the
// urlencoded or multipart form field.
func (p *Protector) checkToken(r *http.Request, st *state, next http.Handler) error {
	if !st.haveSecret {
		return st.noSecret
	}
	var got [secretLen]byte
	switch hv := r.Header[p.headerName]; {
	case len(hv) > 1:
		return ErrRepeatedHeader
	case len(hv) == 1 && hv[0] != "":
		if !unmaskToken(&got, hv[0]) {
			return ErrBadToken
		}
		return p.compare(r, st, &got)
	}

	var ct string
	if v := r.Header["Content-Type"]; len(v) > 0 {
		ct = v[0]
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	switch {
	case strings.EqualFold(ct, "application/x-www-form-urlencoded"):
		if st.isExempt(r, next) {
			return nil
		}
		body, err := p.readBody(r, st)
		if err != nil {
			return err
		}
		v, ok := formValue(body, p.fieldName)
		if !ok || len(v) == 0 {
			return ErrNoToken
		}
		if bytes.IndexByte(v, '%') >= 0 || bytes.IndexByte(v, '+') >= 0 {
			if len(v) > 3*tokenLen {
				return ErrBadToken
			}
			s, err := url.QueryUnescape(string(v))
			if err != nil || !unmaskToken(&got, s) {
				return ErrBadToken
			}
		} else if !unmaskToken(&got, v) {
			return ErrBadToken
		}
		if err := p.compare(r, st, &got); err != nil {
			return err
		}
		// Spare the handler a second read and parse of the body: ParseForm
		// and FormValue use r.PostForm as it is when it is set, and this is
		// what net/http's own parse of the body would produce. The raw body
		// stays readable for handlers that want it.
		if len(body) <= maxFormSize && parsesBody(r) {
			if vals, err := url.ParseQuery(string(body)); err == nil {
				r.PostForm = vals
			}
		}
		return nil
	case strings.EqualFold(ct, "multipart/form-data"):
		if st.isExempt(r, next) {
			return nil
		}
		if r.ContentLength > p.maxBody {
			return ErrBodyTooLarge
		}
		orig := r.Body
		if orig == nil {
			orig = http.NoBody
		}
		lr := &limitReader{r: orig, n: p.maxBody}
		var src io.Reader = lr
		var seen *bytes.Buffer
		if p.reportOnly {
			// The request goes on to the handler whatever we find, so
			// keep what we read to give it back if parsing stops early.
			seen = new(bytes.Buffer)
			src = io.TeeReader(lr, seen)
		}
		r.Body = readCloser{src, orig}
		if err := r.ParseMultipartForm(min(p.maxBody, 32<<20)); err != nil {
			if seen != nil {
				r.Form, r.PostForm, r.MultipartForm = nil, nil, nil
				r.Body = readCloser{io.MultiReader(bytes.NewReader(seen.Bytes()), orig), orig}
			}
			if lr.over {
				return ErrBodyTooLarge
			}
			return ErrBadBody
		}
		v := r.PostForm[p.fieldName]
		if len(v) == 0 || v[0] == "" {
			return ErrNoToken
		}
		if !unmaskToken(&got, v[0]) {
			return ErrBadToken
		}
		return p.compare(r, st, &got)
	}
	return ErrNoToken
}

// parsesBody reports whether net/http's ParseForm would parse r's body as
// an urlencoded form without error: only for POST, PUT and PATCH (spelled
// exactly so), and only when mime.ParseMediaType accepts the Content-Type
// (checkToken has already found its media type to be urlencoded). A type
// without parameters needs no further parsing; one with parameters is
// parsed as net/http does, since a duplicate or malformed parameter makes
// ParseForm skip the body or return an error.
func parsesBody(r *http.Request) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return false
	}
	v := r.Header["Content-Type"]
	if len(v) == 0 {
		return false
	}
	ct := v[0]
	if strings.IndexByte(ct, ';') < 0 {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// smallBody is the largest declared body size read into a buffer of that
// size at once; bigger bodies grow their buffer as bytes arrive, so a
// client cannot make the Protector allocate MaxBodyBytes by merely
// declaring a large Content-Length.
const smallBody = 64 << 10

// maxFormSize is net/http's limit for an urlencoded body that ParseForm
// reads; larger bodies are left for the handler's own ParseForm to refuse.
const maxFormSize = 10 << 20

// readBody reads an urlencoded body (at most MaxBodyBytes) and puts a
// replay of it back in r.Body, so the handler's ParseForm sees it intact.
// In ReportOnly mode a body it could not read completely is given back to
// the handler as it was: the bytes read so far, then the rest.
func (p *Protector) readBody(r *http.Request, st *state) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > p.maxBody {
		return nil, ErrBodyTooLarge
	}
	var body []byte
	var err error
	switch n := r.ContentLength; {
	case n >= 0 && n <= int64(len(st.bodyBuf)):
		// Small forms (most of them) are read into st itself.
		body = st.bodyBuf[:n]
		var got int
		if got, err = io.ReadFull(r.Body, body); err != nil {
			body, err = body[:got], ErrBadBody
		}
	case n >= 0 && n <= smallBody:
		body = make([]byte, n)
		var got int
		if got, err = io.ReadFull(r.Body, body); err != nil {
			body, err = body[:got], ErrBadBody
		}
	case n >= 0:
		body, err = io.ReadAll(io.LimitReader(r.Body, n))
		if err != nil || int64(len(body)) != n {
			err = ErrBadBody
		}
	default:
		body, err = io.ReadAll(io.LimitReader(r.Body, min(p.maxBody, math.MaxInt64-1)+1))
		switch {
		case err != nil:
			err = ErrBadBody
		case int64(len(body)) > p.maxBody:
			err = ErrBodyTooLarge
		}
	}
	if err != nil {
		if p.reportOnly {
			r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		}
		return nil, err
	}
	st.body.Reader.Reset(body)
	st.body.orig = r.Body
	r.Body = &st.body
	return body, nil
}

// limitReader reads at most n bytes from r and then fails with
// ErrBodyTooLarge, recording that it did.
type limitReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitReader) Read(b []byte) (int, error) {
	if l.over {
		return 0, ErrBodyTooLarge
	}
	if l.n < int64(len(b)) {
		b = b[:l.n+1]
	}
	n, err := l.r.Read(b)
	if l.n -= int64(n); l.n < 0 {
		l.over = true
		return n, ErrBodyTooLarge
	}
	return n, err
}

// readCloser joins a reader with the original body's Close.
type readCloser struct {
	io.Reader
	io.Closer
}

// formValue returns the raw (still escaped) value of the first name=value
// pair called name in an urlencoded body, without allocating.
func formValue(body []byte, name string) ([]byte, bool) {
	for len(body) > 0 {
		var pair []byte
		pair, body, _ = bytes.Cut(body, []byte{'&'})
		k, v, _ := bytes.Cut(pair, []byte{'='})
		if string(k) == name {
			return v, true
		}
	}
	return nil, false
}

// compare checks the unmasked token against the secret (and, with
// PerFormTokens, the secret for this method and path) in constant time.
func (p *Protector) compare(r *http.Request, st *state, got *[secretLen]byte) error {
	if subtle.ConstantTimeCompare(got[:], st.secret[:]) == 1 {
		return nil
	}
	if p.perForm {
		var fs [secretLen]byte
		formSecret(&fs, &st.secret, r.Method, r.URL.Path)
		if subtle.ConstantTimeCompare(got[:], fs[:]) == 1 {
			return nil
		}
	}
	return ErrTokenMismatch
}

// replayBody gives the handler back the form body the Protector read.
type replayBody struct {
	bytes.Reader
	orig io.Closer
}

func (b *replayBody) Close() error { return b.orig.Close() }

// router is implemented by *http.ServeMux: the Protector asks it which
// handler a request will reach, to honour Exempt on routed handlers.
type router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

type exemptKey struct{}

// isExempt reports whether r skips the checks: an outer Exempt marked the
// context, r matches Config.ExemptPaths (as ServeMux would route it, so a
// redirecting path does not match), or next — or the handler a ServeMux
// next routes r to, up to four levels — is an Exempt handler.
func (p *Protector) isExempt(r *http.Request, next http.Handler) bool {
	// Without ExemptPaths, and with no Exempt handler in the process, no
	// request can be exempt: the context mark and the routed handler both
	// come from an Exempt call.
	if p.exemptMux == nil && !exemptUsed.Load() {
		return false
	}
	if r.Context().Value(exemptKey{}) != nil {
		return true
	}
	// Stricter than ServeMux: a path with dot segments in any spelling
	// ("%2e%2e", which ServeMux does not clean) or doubled slashes is never
	// exempt, whichever handler it would reach.
	if r.Method == http.MethodConnect || !isCleanPath(r.URL.Path) {
		return false
	}
	if p.exemptMux != nil {
		if h, _ := p.exemptMux.Handler(r); h == exemptSentinel {
			return true
		}
	}
	h := next
	for range 4 {
		switch x := h.(type) {
		case exemptHandler:
			return true
		case router:
			h, _ = x.Handler(r)
		default:
			return false
		}
	}
	return false
}

// isCleanPath reports whether p is rooted and free of "." and ".."
// segments and empty segments (a trailing slash is fine).
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	return c == p || (c != "/" && len(p) == len(c)+1 && p[len(p)-1] == '/' && p[:len(c)] == c)
}

// Exempt marks h as exempt from CSRF checks. Use it either on the handler
// a ServeMux routes to (mux.Handle("POST /webhook", csrf.Exempt(h)), with
// the Protector wrapping the mux), or around a protected handler
// (csrf.Exempt(p.Handler(h))). A wrapper around Exempt (such as logging
// middleware registered on the mux) hides it from the Protector.
func Exempt(h http.Handler) http.Handler {
	exemptUsed.Store(true)
	return exemptHandler{h}
}

// exemptUsed records that Exempt was called at least once, so that
// protectors without exemptions skip looking for them.
var exemptUsed atomic.Bool

type exemptHandler struct{ h http.Handler }

func (e exemptHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if fromContext(r) == nil && r.Context().Value(exemptKey{}) == nil {
		r = r.WithContext(context.WithValue(r.Context(), exemptKey{}, true))
	}
	e.h.ServeHTTP(w, r)
}
