// secret.go holds the per-client secret's life in a request: loading it
// from the secret store or the cookie, creating it when a token is first
// rendered, and saving a new one.

package csrf

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"time"

	"github.com/bulwark-go/bulwark/internal/fault"
)

// secretLen is the size of a client's secret.
const secretLen = 32

// newSecret fills s from crypto/rand.
func newSecret(s *[secretLen]byte) {
	// crypto/rand.Read never returns an error since Go 1.24; it crashes the
	// program instead of returning predictable bytes.
	_, _ = rand.Read(s[:])
}

// loadSecret reads the client's secret, from Config.Secrets or the signed
// cookie, into st; when there is none, st.secretErr says why.
func (p *Protector) loadSecret(st *state) {
	if p.secrets == nil {
		p.loadCookieSecret(st)
		return
	}
	start := time.Now()
	sec, err := p.secrets.LoadSecret(st.req)
	switch {
	case err != nil:
		st.secretErr, st.storeFailed = p.storeFault(st.req, err, start), true
	case len(sec) == secretLen:
		copy(st.secret[:], sec)
		st.haveSecret = true
	default:
		st.secretErr = ErrNoSecret
	}
}

// ensureSecret makes sure st has a secret, creating one if needed. It
// reports false when no usable secret can be had. st.mu is held.
func (st *state) ensureSecret() bool {
	if st.haveSecret {
		return true
	}
	if st.rejected || st.storeFailed {
		return false
	}
	newSecret(&st.secret)
	if !st.saveSecret(&st.rw) {
		return false
	}
	st.haveSecret, st.secretErr = true, nil
	if st.headerDone && !st.lateWarned {
		st.lateWarned = true
		st.p.logger.LogAttrs(st.Context, slog.LevelWarn,
			"csrf: a token was rendered after the response headers were sent, so the client cannot receive its secret; render the page into a buffer first",
			slog.String("method", st.req.Method), slog.String("path", st.req.URL.Path))
	}
	return true
}

// saveSecret hands st's new secret to the secret store, or schedules the
// cookie that carries it. It reports false when the store failed.
func (st *state) saveSecret(w http.ResponseWriter) bool {
	if st.p.secrets == nil {
		st.issueCookie = true
		return true
	}
	start := time.Now()
	if err := st.p.secrets.SaveSecret(w, st.req, append([]byte(nil), st.secret[:]...)); err != nil {
		st.p.storeFault(st.req, err, start)
		return false
	}
	return true
}

// storeFault logs a failure of Config.Secrets in a call started at start,
// once, and returns the reason the token layer refuses r for. A quick
// failure because r's client went away (fault.Abandoned) is no store
// fault: it is logged at Debug, and the reason is ErrClientGone. One that
// the store behind Config.Secrets logged itself (the session Manager
// does) is not logged again.
func (p *Protector) storeFault(r *http.Request, err error, start time.Time) error {
	gone := fault.Abandoned(r.Context(), start)
	switch {
	case fault.WasLogged(err):
	case gone:
		p.logger.LogAttrs(r.Context(), slog.LevelDebug, "csrf: secret store call abandoned: the client went away",
			slog.String("error", err.Error()), slog.String("method", r.Method), slog.String("path", r.URL.Path))
	default:
		p.logger.LogAttrs(r.Context(), slog.LevelError, "csrf: secret store failed",
			slog.String("error", err.Error()), slog.String("method", r.Method), slog.String("path", r.URL.Path))
	}
	if gone {
		return ErrClientGone
	}
	return ErrSecretStore
}
