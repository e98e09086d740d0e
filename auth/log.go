// log.go holds the one helper every request event of auth is logged with,
// so that each line carries the same keys in the same order: reason (when
// there is one), user_id (when known), method and path, and the answer to
// a request a fault stopped. Passwords, tokens and cookies are never
// logged.

package auth

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/bulwark-go/bulwark/internal/fault"
)

// logRequest logs msg about r at level. reason is nil and userID "" when
// they do not apply; attrs follow the standard keys.
func (a *Authenticator) logRequest(level slog.Level, r *http.Request, msg string, reason error, userID string, attrs ...slog.Attr) {
	all := make([]slog.Attr, 0, 4+len(attrs))
	if reason != nil {
		all = append(all, slog.String("reason", reason.Error()))
	}
	if userID != "" {
		all = append(all, slog.String("user_id", userID))
	}
	all = append(all, slog.String("method", r.Method), slog.String("path", r.URL.Path))
	a.log.LogAttrs(context.WithoutCancel(r.Context()), level, msg, append(all, attrs...)...)
}

// logFault logs err, which stopped r, at ERROR: unless the session Manager
// already logged it (a session store fault is logged once, by the
// Manager), or r's client went away, which is no fault and is logged at
// Debug.
func (a *Authenticator) logFault(r *http.Request, msg string, err error, userID string) {
	switch {
	case fault.WasLogged(err):
	case fault.ClientGone(r.Context()):
		a.logRequest(slog.LevelDebug, r, msg+": the client went away", err, userID)
	default:
		a.logRequest(slog.LevelError, r, msg, err, userID)
	}
}

// unavailable answers r with a 503 and msg, or, when r's client went away,
// with fault.StatusClientGone (rarely read; access logs tell it from a
// real outage).
func unavailable(w http.ResponseWriter, r *http.Request, msg string) {
	if fault.ClientGone(r.Context()) {
		w.WriteHeader(fault.StatusClientGone)
		return
	}
	http.Error(w, msg, http.StatusServiceUnavailable)
}
