// This file holds the Authenticator: configuration, construction, and the
// per-request user loading shared by the handlers and middleware.

package auth

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/bulwark-go/bulwark/internal/fault"
	"github.com/bulwark-go/bulwark/session"
)

// sessionKeyFingerprint is the session value holding fingerprint(user).
const sessionKeyFingerprint = "bulwark.auth.fp"

var (
	// ErrNotLoggedIn is returned by ChangePassword when the request has no
	// logged-in user.
	ErrNotLoggedIn = errors.New("auth: not logged in")
	// ErrThrottled reports an attempt refused by a Limiter; the error is a
	// *ThrottledError carrying the wait.
	ErrThrottled = errors.New("auth: too many failed attempts")
	// ErrNoCSRF reports a state-changing request that did not pass through a
	// csrf.Protector in Full mode while Config.AllowNoCSRF is false.
	ErrNoCSRF = errors.New("auth: request did not pass through a csrf protector with tokens")
)

// ThrottledError is the error for a throttled attempt. errors.Is(err,
// ErrThrottled) is true for it.
type ThrottledError struct {
	// RetryAfter is how long the client must wait.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many failed attempts: retry after %v", e.RetryAfter)
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Config configures New. Zero values take the defaults noted on each field.
type Config struct {
	// Accounts checks credentials. Required.
	Accounts *Accounts
	// Sessions is the session manager; its Handler must run in front of
	// every auth handler and middleware. Required.
	Sessions *session.Manager

	// UserLimiter throttles login attempts per username (normalised).
	// Nil: an in-memory limiter with Backoff{Free: 5}, closed by Close.
	UserLimiter Limiter
	// AddrLimiter throttles login attempts per client address (IPv6 by
	// /64). Nil: an in-memory limiter with Backoff{Free: 20}, closed by
	// Close.
	AddrLimiter Limiter
	// TrustedProxies lists the reverse proxies (IP addresses or CIDR
	// prefixes) whose X-Forwarded-For is believed. Empty (the default): the
	// client address is the TCP peer (RemoteAddr) and X-Forwarded-For is
	// ignored, because any client can send it.
	TrustedProxies []string

	// LoginPath is where RequireLogin sends anonymous HTML requests.
	// Default "/login".
	LoginPath string
	// LoginRedirect is where a successful login goes when the form has no
	// safe "next". Default "/".
	LoginRedirect string
	// LogoutRedirect is where a logout goes. Default "/".
	LogoutRedirect string
	// LoginTemplate renders the login page with a LoginData. Nil: a plain
	// built-in page (or LoginPage).
	LoginTemplate *template.Template
	// LogoutTemplate renders the page answering GET /logout (status 405)
	// with a LogoutData. Nil: a plain built-in page with a logout button
	// (or LogoutPage).
	LogoutTemplate *template.Template
	// LoginPage, when set, renders the login page instead of an
	// html/template, for apps with another renderer (a templ component:
	// return views.Login(d).Render(ctx, w)). It writes the page body to w;
	// the handler sets the status and headers, and answers 500 instead
	// when it returns an error. Set it or LoginTemplate, not both.
	LoginPage func(ctx context.Context, w io.Writer, d LoginData) error
	// LogoutPage is LoginPage for the page answering GET /logout. Set it
	// or LogoutTemplate, not both.
	LogoutPage func(ctx context.Context, w io.Writer, d LogoutData) error
	// RememberMeField names a login form checkbox that makes the session
	// cookie persistent (session.Manager.RememberMe). Empty: no such field.
	RememberMeField string
	// ClearSiteData adds `Clear-Site-Data: "cookies"` to the logout
	// response, so the browser drops every cookie of the origin.
	ClearSiteData bool
	// AllowNoCSRF lets the login, logout and logout-others handlers accept
	// POSTs that did not pass through a csrf.Protector in Full mode (no
	// protector at all, or one in Tokenless mode). By default they refuse
	// such requests with 500 and log why: a login form without a token is
	// open to login CSRF, a logout without one to forced logout. Set it
	// only when another defence covers these endpoints.
	AllowNoCSRF bool
	// Logger receives one line per event. Default slog.Default().
	Logger *slog.Logger
}

// Authenticator serves login and logout, and tells handlers who is logged
// in. It is safe for concurrent use. Close releases the limiters it made.
type Authenticator struct {
	cfg        Config
	accounts   *Accounts
	sessions   *session.Manager
	userLimit  Limiter
	addrLimit  Limiter
	owned      []*MemoryLimiter
	proxies    []netip.Prefix
	loginPage  func(context.Context, io.Writer, LoginData) error
	logoutPage func(context.Context, io.Writer, LogoutData) error
	log        *slog.Logger
}

// New validates cfg and returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Accounts == nil {
		return nil, errors.New("auth: Config.Accounts is nil: create one with auth.NewAccounts")
	}
	if cfg.Sessions == nil {
		return nil, errors.New("auth: Config.Sessions is nil: create one with session.New")
	}
	for _, p := range []struct {
		name string
		val  *string
		def  string
	}{{"LoginPath", &cfg.LoginPath, "/login"}, {"LoginRedirect", &cfg.LoginRedirect, "/"}, {"LogoutRedirect", &cfg.LogoutRedirect, "/"}} {
		if *p.val == "" {
			*p.val = p.def
		}
		if !IsSafeRedirect(*p.val) {
			return nil, fmt.Errorf("auth: Config.%s %q: must be a path on this site such as %q", p.name, *p.val, p.def)
		}
	}
	if cfg.LoginPage != nil && cfg.LoginTemplate != nil || cfg.LogoutPage != nil && cfg.LogoutTemplate != nil {
		return nil, errors.New("auth: Config sets both a page function and a template for one page: keep LoginPage or LoginTemplate, LogoutPage or LogoutTemplate")
	}
	proxies, err := parseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &Authenticator{
		cfg: cfg, accounts: cfg.Accounts, sessions: cfg.Sessions,
		userLimit: cfg.UserLimiter, addrLimit: cfg.AddrLimiter,
		proxies:    proxies,
		loginPage:  pageOf(cfg.LoginPage, cfg.LoginTemplate, defaultLoginTemplate),
		logoutPage: pageOf(cfg.LogoutPage, cfg.LogoutTemplate, defaultLogoutTemplate),
		log:        cfg.Logger,
	}
	if a.userLimit == nil {
		l, err := NewMemoryLimiter(MemoryLimiterConfig{Backoff: Backoff{Free: 5}})
		if err != nil {
			return nil, err
		}
		a.userLimit = l
		a.owned = append(a.owned, l)
	}
	if a.addrLimit == nil {
		l, err := NewMemoryLimiter(MemoryLimiterConfig{Backoff: Backoff{Free: 20}})
		if err != nil {
			a.Close()
			return nil, err
		}
		a.addrLimit = l
		a.owned = append(a.owned, l)
	}
	return a, nil
}

// Close stops the in-memory limiters New created (not ones passed in
// Config). It is idempotent.
func (a *Authenticator) Close() error {
	for _, l := range a.owned {
		l.Close()
	}
	return nil
}

// Accounts returns the Accounts the Authenticator checks credentials with.
func (a *Authenticator) Accounts() *Accounts { return a.accounts }

type ctxKey struct{}

// userState is what the middleware stores in the request context.
type userState struct {
	user User
	ok   bool
}

// CurrentUser returns the logged-in user of a request that passed through
// Authenticator.Handler or RequireLogin, and whether there is one. It
// returns false for an anonymous request and for a request that did not
// pass through that middleware.
func CurrentUser(r *http.Request) (User, bool) {
	st, _ := r.Context().Value(ctxKey{}).(*userState)
	if st == nil {
		return User{}, false
	}
	return st.user, st.ok
}

// errUnavailable marks a store fault while loading the user.
var errUnavailable = errors.New("auth: user or session store unavailable")

// Why a logged-in session was ended, for the log.
var (
	errUserDeleted     = errors.New("auth: the session's user was deleted")
	errUserDisabled    = errors.New("auth: the session's user is disabled")
	errPasswordChanged = errors.New("auth: the user's password changed since the session logged in")
)

// loadUser returns the session's user after checking that the account
// still exists, is enabled and has the password the session was made with;
// otherwise it destroys the session and returns ok=false.
func (a *Authenticator) loadUser(r *http.Request) (User, bool, error) {
	if st, _ := r.Context().Value(ctxKey{}).(*userState); st != nil {
		return st.user, st.ok, nil
	}
	ctx := r.Context()
	id := a.sessions.UserID(ctx)
	if id == "" {
		if err := a.sessions.Err(ctx); err != nil {
			return User{}, false, fmt.Errorf("%w: %w", errUnavailable, err)
		}
		return User{}, false, nil
	}
	u, err := a.accounts.users.GetByID(ctx, id)
	var reason error
	switch {
	case errors.Is(err, ErrUserNotFound):
		reason = errUserDeleted
	case err != nil:
		return User{}, false, fmt.Errorf("%w: %w", errUnavailable, err)
	case u.Disabled:
		reason = errUserDisabled
	default:
		fp, _ := a.sessions.GetString(ctx, sessionKeyFingerprint)
		if !constantTimeEqual(fp, fingerprint(u)) {
			reason = errPasswordChanged
		}
	}
	if reason != nil {
		a.logRequest(slog.LevelInfo, r, "auth: session ended", reason, id)
		if err := a.sessions.Destroy(ctx); err != nil {
			return User{}, false, fmt.Errorf("%w: %w", errUnavailable, err)
		}
		return User{}, false, nil
	}
	return u, true, nil
}

// withUser loads the user into the request context.
func (a *Authenticator) withUser(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	start := time.Now()
	u, ok, err := a.loadUser(r)
	if err != nil && fault.Abandoned(r.Context(), start) {
		a.logRequest(slog.LevelDebug, r, "auth: user not loaded: the client went away", err, "")
		w.WriteHeader(fault.StatusClientGone)
		return nil, false
	}
	if err != nil {
		if !fault.WasLogged(err) {
			a.logRequest(slog.LevelError, r, "auth: cannot load user", err, "")
		}
		http.Error(w, "Service temporarily unavailable.", http.StatusServiceUnavailable)
		return nil, false
	}
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, &userState{user: u, ok: ok})), true
}
