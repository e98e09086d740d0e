// bulwark.go holds Bulwark's middlewares as gin middleware, each built on
// Wrap.

package bulwarkgin

import (
	"github.com/gin-gonic/gin"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
)

// Sessions gives requests their session (m.Handler). Install it before
// Protect and Auth; the session is committed before the first byte of the
// response leaves, whichever gin handler writes it.
func Sessions(m *session.Manager) gin.HandlerFunc { return Wrap(m.Handler) }

// Protect checks requests against cross-site request forgery (p.Handler).
// A refused request gets the Protector's 403 and aborts gin's chain. Routes
// whose handler is wrapped in Exempt are let through unchecked. Install it
// after Sessions when p takes its secrets from the session manager.
func Protect(p *csrf.Protector) gin.HandlerFunc { return Wrap(p.Handler) }

// Auth loads the logged-in user, if any, for auth.CurrentUser(c.Request)
// (a.Handler). Install it after Protect.
func Auth(a *auth.Authenticator) gin.HandlerFunc { return Wrap(a.Handler) }

// RequireLogin lets only requests with a logged-in user through
// (a.RequireLogin): others get a 303 redirect to the login page, or 401
// with a JSON body when they ask for JSON, and gin's chain is aborted. Use
// it on a route or group: r.Group("/account", bulwarkgin.RequireLogin(a)).
func RequireLogin(a *auth.Authenticator) gin.HandlerFunc { return Wrap(a.RequireLogin) }
