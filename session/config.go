// This file holds the Manager's configuration, its defaults and validation.

package session

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/bulwark-go/bulwark/internal/header"
)

// Defaults for the zero values of Config.
const (
	DefaultCookieName   = "session"
	DefaultIdleTimeout  = 2 * time.Hour
	DefaultLifetime     = 24 * time.Hour
	DefaultStoreTimeout = 5 * time.Second
)

// CookieSecurity decides whether the session cookie carries the Secure
// attribute (and with it the __Host- name prefix).
type CookieSecurity int

const (
	// SecureAuto marks the cookie Secure when the request arrived over
	// HTTPS (a TLS connection, or a trusted proxy's header when
	// Config.TrustProxyHeaders is set). It is the default.
	SecureAuto CookieSecurity = iota
	// SecureAlways always marks the cookie Secure. Browsers then never
	// send it over plain HTTP (except to localhost).
	SecureAlways
	// SecureNever never marks the cookie Secure. Use it only for local
	// development over plain HTTP.
	SecureNever
)

// Config configures a Manager. Only Store is required; every other zero
// value is replaced by the documented default.
type Config struct {
	// Store keeps the sessions. Required.
	Store Store

	// CookieName is the session cookie's name. Default "session". When the
	// cookie is Secure the name gets the "__Host-" prefix, which makes
	// browsers insist on Secure, Path=/ and no Domain. Do not include the
	// prefix yourself.
	CookieName string

	// IdleTimeout ends a session that has seen no request for this long.
	// Zero means DefaultIdleTimeout (2h); a negative value disables the idle
	// timeout (the absolute Lifetime still applies). See the package
	// documentation for how often the idle deadline is refreshed.
	IdleTimeout time.Duration

	// Lifetime is the absolute lifetime of a session, counted from its
	// creation (or from the last BindUser) and never extended by activity.
	// Zero means DefaultLifetime (24h); negative values are rejected.
	Lifetime time.Duration

	// Persist makes new sessions use a persistent cookie (expiring at the
	// session's absolute deadline) instead of a browser-session cookie.
	// RememberMe overrides it per session.
	Persist bool

	// Secure decides the cookie's Secure attribute. Default SecureAuto.
	Secure CookieSecurity

	// SameSite is the cookie's SameSite attribute. Zero means
	// http.SameSiteLaxMode. http.SameSiteNoneMode requires a Secure cookie
	// and is rejected together with SecureNever.
	SameSite http.SameSite

	// TrustProxyHeaders lets SecureAuto believe X-Forwarded-Proto and
	// Forwarded. Set it only behind a reverse proxy that overwrites them.
	TrustProxyHeaders bool

	// StoreTimeout bounds every store call the Manager makes. Zero means
	// DefaultStoreTimeout (5s); a negative value disables the bound (the
	// request's context still applies to loads).
	StoreTimeout time.Duration

	// ErrorHandler answers a request whose session could not be loaded or
	// committed because the store failed. Err(r.Context()) gives the
	// cause. Default: 503 Service Unavailable with a short HTML page.
	ErrorHandler http.Handler

	// Logger receives one line per store fault or dropped change. Default
	// slog.Default(). Session IDs and store keys are never logged.
	Logger *slog.Logger

	// Now returns the current time. Nil means time.Now. Tests inject a fake
	// clock here; it drives timeouts, not store call deadlines.
	Now func() time.Time
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.Store == nil {
		return cfg, errors.New("session: Config.Store is required: pass a store such as memstore.New(memstore.Config{})")
	}
	if cfg.CookieName == "" {
		cfg.CookieName = DefaultCookieName
	}
	if err := header.CheckCookieName(cfg.CookieName); err != nil {
		return cfg, fmt.Errorf("session: cookie name %q: %w", cfg.CookieName, err)
	}
	switch {
	case cfg.Lifetime < 0:
		return cfg, fmt.Errorf("session: lifetime %v is negative: use a positive duration, or 0 for the default %v", cfg.Lifetime, DefaultLifetime)
	case cfg.Lifetime == 0:
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.StoreTimeout == 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	switch cfg.Secure {
	case SecureAuto, SecureAlways, SecureNever:
	default:
		return cfg, fmt.Errorf("session: cookie security %d is unknown: use SecureAuto, SecureAlways or SecureNever", cfg.Secure)
	}
	switch cfg.SameSite {
	case 0:
		cfg.SameSite = http.SameSiteLaxMode
	case http.SameSiteDefaultMode, http.SameSiteLaxMode, http.SameSiteStrictMode:
	case http.SameSiteNoneMode:
		if cfg.Secure == SecureNever {
			return cfg, errors.New("session: SameSite=None requires a Secure cookie: use SecureAuto or SecureAlways, or another SameSite mode")
		}
	default:
		return cfg, fmt.Errorf("session: SameSite mode %d is unknown: use an http.SameSite constant", cfg.SameSite)
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = http.HandlerFunc(unavailable)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

const unavailablePage = `<!doctype html>
<meta charset="utf-8">
<title>Service unavailable</title>
<h1>Service unavailable</h1>
<p>The service is temporarily unavailable. Please try again in a moment.</p>
`

// unavailable is the default ErrorHandler.
func unavailable(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Retry-After", "5")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(unavailablePage))
}
