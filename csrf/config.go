// config.go holds the configuration (Mode, SecretStore, Config), the
// Protector it builds, and New, which validates a Config.

package csrf

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/bulwark-go/bulwark/internal/header"
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
	// ReportOnly lets every request through and logs, for each one some
	// layer would refuse, one WARN line naming every layer that would
	// refuse it and those that pass ("Fetch Metadata and token would
	// refuse; Origin passes"), with the reason that would have rejected
	// it. Every layer is judged, as with Observe. Use it to roll out. The
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
	// A name must not carry the "__Host-" or "__Secure-" prefix itself, in
	// any letter case.
	CookieName string
	// FieldName is the form field carrying the token; default "csrf_token".
	// Letters, digits, '_', '-' and '.' only.
	FieldName string
	// HeaderName is the request header carrying the token; default
	// "X-CSRF-Token". It is checked before the form, so JSON bodies are
	// never parsed, and a request carrying it has no byte of its body read.
	HeaderName string
	// PerFormTokens accepts, besides the global token, tokens made by
	// FormToken for one method and action path (Rails' per-form tokens):
	// such a token leaked from one form is useless on another. The path is
	// compared escaped, as ServeMux routes it. Full only.
	PerFormTokens bool
	// MaxBodyBytes caps what the Protector reads of a form body to find
	// the token; default 10 MiB. Reading past it is ErrBodyTooLarge. An
	// urlencoded body is read whole, so it bounds the body. A multipart
	// form is read only up to its token field when that field comes before
	// every file part: put the token field first in upload forms, and
	// MaxBodyBytes bounds only the parts up to the token's, while the
	// handler streams an upload of any size (r.MultipartReader) and bounds
	// it itself. A token after a file part needs the whole form parsed,
	// which MaxBodyBytes then bounds. A token in the header (HeaderName)
	// is read first, and then the body not at all.
	MaxBodyBytes int64
	// ExemptPaths are http.ServeMux patterns ("POST /webhooks/", "/api/hook")
	// whose requests skip every check. Matching is ServeMux's own, on the
	// path ServeMux would route: a path ServeMux would redirect (not clean,
	// such as "/exempt/../admin" or "//exempt", or missing the trailing
	// slash) is not exempt.
	ExemptPaths []string
	// AllowMissingMetadata lets requests that carry no browser metadata
	// through the origin layers. Such requests come from non-browser
	// clients or very old browsers. In Tokenless mode it passes requests
	// with none of Sec-Fetch-Site, Origin and Referer. In both modes it
	// passes WebSocket handshakes with neither Origin nor Sec-Fetch-Site
	// (every browser sends Origin on a handshake), which are otherwise
	// refused with ErrWebSocketNoOrigin. In Full mode other requests still
	// need their token. To let only some endpoints take non-browser
	// WebSocket clients, exempt those instead.
	AllowMissingMetadata bool
	// Observe, when set, is called once for every request the Protector
	// judges (unsafe methods and WebSocket handshakes, exempt ones
	// included) with every layer's verdict, before the request is refused
	// or served. r is the request as the Protector received it, without
	// its CSRF state: Token and Rotate do nothing on it, so Observe cannot
	// change the secret of a request about to be refused. Each layer is
	// judged on its own: a request that Fetch Metadata refuses still has
	// its Origin checked, its secret loaded (a SecretStore round trip) and
	// its token read (its body up to MaxBodyBytes), which costs that
	// request what a request that passes costs. A body the token layer
	// could not read whole is given back as it came, as in ReportOnly
	// mode; one it read is given back, or handed over parsed (r.PostForm,
	// r.MultipartForm), to the FailureHandler too. Enforcement does not
	// change: the request is refused for Verdicts.Err. Observe runs on the
	// request's goroutine and must not keep r. nil: each request is
	// judged only up to its first failure, and nothing more is evaluated.
	Observe func(r *http.Request, v Verdicts)
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
// concurrent use, and its configuration is fixed by New.
type Protector struct {
	mode            Mode
	reportOnly      bool
	trustedOrigins  []trustedOrigin
	trustProxy      bool
	secrets         SecretStore
	sessionName     string // "" when the cookie is not bound to a session
	hostSessionName string // hostPrefix + sessionName
	cookieName      string
	hostCookieName  string // hostPrefix + cookieName
	fieldName       string
	headerName      string // canonical
	headerLabel     string // as configured, for HXHeaders
	perForm         bool
	maxBody         int64
	exemptMux       *http.ServeMux // Config.ExemptPaths; nil when there are none
	allowMissing    bool
	failure         http.Handler
	observe         func(*http.Request, Verdicts)
	// defaultPage: failure is the default page without Debug. That page
	// shows no reason, so a rejection needs no request state (see reject).
	defaultPage bool
	debug       bool
	logger      *slog.Logger
	signer      *cookieSigner

	// lateTokenLogged: the one Debug line about a token rendered after
	// the headers went out has been written (see markRendered).
	// hiddenLogged: the one warning about an Exempt handler the Protector
	// cannot see has been written (see warnHidden). The only fields that
	// change after New.
	lateTokenLogged atomic.Bool
	hiddenLogged    atomic.Bool
}

// New validates cfg and returns a Protector. Errors quote the bad value and
// say how to fix it.
func New(cfg Config) (*Protector, error) {
	if err := checkMode(cfg); err != nil {
		return nil, err
	}
	p := &Protector{
		mode:         cfg.Mode,
		reportOnly:   cfg.ReportOnly,
		trustProxy:   cfg.TrustProxyHeaders,
		secrets:      cfg.Secrets,
		perForm:      cfg.PerFormTokens,
		allowMissing: cfg.AllowMissingMetadata,
		failure:      cfg.FailureHandler,
		observe:      cfg.Observe,
		debug:        cfg.Debug,
		logger:       cfg.Logger,
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	if p.failure == nil {
		p.failure = failureHandler{debug: cfg.Debug, p: p}
		p.defaultPage = !cfg.Debug
	}
	// The signer is set last: it logs a warning when Key is unset, which a
	// configuration refused for another reason must not.
	for _, set := range []func(Config) error{p.setOrigins, p.setNames, p.setBodyLimit, p.setExemptions, p.setSigner} {
		if err := set(cfg); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkMode rejects a Mode and options that do not go together.
func checkMode(cfg Config) error {
	switch {
	case cfg.Mode != Full && cfg.Mode != Tokenless:
		return fmt.Errorf("csrf: Mode %d: use csrf.Full or csrf.Tokenless", int(cfg.Mode))
	case cfg.Mode == Tokenless && cfg.PerFormTokens:
		return errors.New("csrf: PerFormTokens needs Mode Full; Tokenless mode uses no tokens")
	case cfg.Mode == Tokenless && cfg.Secrets != nil:
		return errors.New("csrf: Secrets needs Mode Full; Tokenless mode keeps no secret")
	case cfg.SessionCookie != "" && cfg.Secrets != nil:
		return errors.New("csrf: set SessionCookie or Secrets, not both; a secret kept in the session is already bound to it")
	}
	return nil
}

// setSigner checks Key and PreviousKeys and builds the cookie signer.
func (p *Protector) setSigner(cfg Config) error {
	if cfg.Key != nil && len(cfg.Key) < 32 {
		return fmt.Errorf("csrf: Key is %d bytes: use at least 32 random bytes (for example from crypto/rand)", len(cfg.Key))
	}
	var previous [][]byte
	for i, k := range cfg.PreviousKeys {
		if len(k) < 32 {
			return fmt.Errorf("csrf: PreviousKeys[%d] is %d bytes: a previous key must be a whole former Key (at least 32 bytes); remove the entry or fix its value", i, len(k))
		}
		if !hmac.Equal(k, cfg.Key) {
			previous = append(previous, k)
		}
	}
	if len(cfg.PreviousKeys) > 0 && cfg.Key == nil {
		return errors.New("csrf: PreviousKeys is set but Key is not: set Key to the new signing key (previous keys only verify old cookies)")
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
	return nil
}

// setOrigins parses TrustedOrigins.
func (p *Protector) setOrigins(cfg Config) error {
	for _, s := range cfg.TrustedOrigins {
		t, err := parseTrustedOrigin(s)
		if err != nil {
			return err
		}
		p.trustedOrigins = append(p.trustedOrigins, t)
	}
	return nil
}

// setNames checks and sets the cookie, session cookie, field and header
// names.
func (p *Protector) setNames(cfg Config) error {
	p.cookieName = cmp.Or(cfg.CookieName, DefaultCookieName)
	if err := header.CheckCookieName(p.cookieName); err != nil {
		return fmt.Errorf("csrf: CookieName %q: %w", p.cookieName, err)
	}
	p.hostCookieName = hostPrefix + p.cookieName
	if cfg.SessionCookie != "" {
		if err := header.CheckCookieName(cfg.SessionCookie); err != nil {
			return fmt.Errorf("csrf: SessionCookie %q: %w", cfg.SessionCookie, err)
		}
		p.sessionName, p.hostSessionName = cfg.SessionCookie, hostPrefix+cfg.SessionCookie
	}
	p.fieldName = cmp.Or(cfg.FieldName, DefaultFieldName)
	for i := 0; i < len(p.fieldName); i++ {
		if c := p.fieldName[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return fmt.Errorf("csrf: FieldName %q: use only letters, digits, '_', '-' and '.'", p.fieldName)
		}
	}
	h := cmp.Or(cfg.HeaderName, DefaultHeaderName)
	for i := 0; i < len(h); i++ {
		if c := h[i]; !isAlnum(c) && c != '-' {
			return fmt.Errorf("csrf: HeaderName %q: use only letters, digits and '-'", h)
		}
	}
	p.headerName, p.headerLabel = http.CanonicalHeaderKey(h), h
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// setBodyLimit checks MaxBodyBytes.
func (p *Protector) setBodyLimit(cfg Config) error {
	switch p.maxBody = cfg.MaxBodyBytes; {
	case p.maxBody == 0:
		p.maxBody = DefaultMaxBodyBytes
	case p.maxBody < 0:
		return fmt.Errorf("csrf: MaxBodyBytes %d: must be positive (0 means the default, 10 MiB)", p.maxBody)
	}
	return nil
}
