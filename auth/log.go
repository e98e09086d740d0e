// log.go holds the one helper every request event of auth is logged with,
// so that each line carries the same keys in the same order: reason (when
// there is one), user_id (when known), method and path. Passwords, tokens
// and cookies are never logged.

package auth

import (
	"context"
	"log/slog"
	"net/http"
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
