// This file holds the login, logout and logout-others handlers, the
// middleware, and the password change helper.

package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/internal/fault"
	"github.com/bulwark-go/bulwark/internal/forward"
)

// maxFormBytes bounds the body the login handlers read.
const maxFormBytes = 64 << 10

// Messages shown to users. They never say whether the username exists.
const (
	msgBadCredentials = "Incorrect username or password."
	msgMissing        = "Enter your username and password."
	msgThrottled      = "Too many failed attempts. Try again in %s."
	msgBusy           = "The server is busy. Try again in a moment."
)

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}

// csrfGuard reports whether a state-changing request may proceed: it passed
// through a csrf.Protector in Full mode (csrf.Protected), or
// Config.AllowNoCSRF is set. When
// it may not, it answers 500 and logs the fix (a configuration fault).
func (a *Authenticator) csrfGuard(w http.ResponseWriter, r *http.Request) bool {
	if a.cfg.AllowNoCSRF || csrf.Protected(r) {
		return true
	}
	a.logRequest(slog.LevelError, r, "auth: refused: handler is not behind a csrf.Protector in Full mode; wrap the mux with csrf Handler or set auth.Config.AllowNoCSRF", ErrNoCSRF, "")
	http.Error(w, "Server misconfigured: CSRF protection is missing.", http.StatusInternalServerError)
	return false
}

// rotateCSRF gives the client a new CSRF secret. ErrNoProtector is fine
// only when AllowNoCSRF is set (csrfGuard has run before).
func (a *Authenticator) rotateCSRF(w http.ResponseWriter, r *http.Request) error {
	err := csrf.Rotate(w, r)
	if err == nil || (errors.Is(err, csrf.ErrNoProtector) && a.cfg.AllowNoCSRF) {
		return nil
	}
	return err
}

// parseForm reads a small urlencoded or multipart body. It answers 413 or
// 400 itself and returns false on failure.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(maxFormBytes)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "Request body too large.", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "Malformed form.", http.StatusBadRequest)
		}
		return false
	}
	return true
}

// LoginHandler serves the login page. Mount it on the login path for all
// methods (e.g. mux.Handle("/login", a.LoginHandler())).
//
//   - GET and HEAD render Config.LoginTemplate (status 200) with a safe
//     "next" from the query string.
//   - POST reads the fields "username", "password" and optional "next".
//     It throttles per username and per client address (429 with
//     Retry-After, checked before any password hashing), then checks the
//     credentials. Failure re-renders the page with status 422 and one
//     generic message. Success rotates the CSRF secret, gives the session a
//     new ID even when the same user was already logged in (and starts an
//     empty session when another user was logged in), binds the user
//     and a fingerprint of their password hash to it, and redirects (303)
//     to "next" when IsSafeRedirect, else to Config.LoginRedirect.
//   - Other methods: 405 with Allow: GET, HEAD, POST.
//
// Login CSRF (an attacker logging the victim into the attacker's account)
// is stopped by the csrf.Protector in front: the form carries a token before
// anyone is logged in. Without a Protector the POST is refused (see
// Config.AllowNoCSRF).
func (a *Authenticator) LoginHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			a.renderLogin(w, r, http.StatusOK, "", "", SafeRedirect(r.URL.Query().Get("next"), ""))
		case http.MethodPost:
			a.login(w, r)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		}
	})
}

func (a *Authenticator) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg, username, next string) {
	render(a, w, r, a.loginPage, status, LoginData{
		Error: msg, Next: next, Username: username,
		CSRFField: csrf.TemplateField(r), RememberMeField: a.cfg.RememberMeField, Request: r,
	})
}

func (a *Authenticator) login(w http.ResponseWriter, r *http.Request) {
	if !a.csrfGuard(w, r) || !parseForm(w, r) {
		return
	}
	ctx := r.Context()
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	next := r.PostForm.Get("next")
	if next == "" {
		next = r.URL.Query().Get("next")
	}
	next = SafeRedirect(next, "")
	if len(username) > 4*MaxUsernameLength {
		username = "" // never echo a huge value back
	}
	if username == "" || password == "" {
		a.renderLogin(w, r, http.StatusUnprocessableEntity, msgMissing, username, next)
		return
	}
	userKey := usernameKey(username)
	addrKey := addrKey(clientAddr(r, a.proxies))
	u, err := a.accounts.authenticate(ctx, username, password, a.loginGate(ctx, userKey, addrKey))
	var throttled *ThrottledError
	switch {
	case err == nil:
	case errors.As(err, &throttled):
		a.logRequest(slog.LevelInfo, r, "auth: login throttled", ErrThrottled, "")
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(throttled.RetryAfter)))
		wait := time.Duration(retryAfterSeconds(throttled.RetryAfter)) * time.Second
		a.renderLogin(w, r, http.StatusTooManyRequests, strings.Replace(msgThrottled, "%s", wait.String(), 1), username, next)
		return
	case errors.Is(err, ErrInvalidCredentials):
		// Looked up for every refusal, an unknown name included, so that
		// a known name costs no more store work (no timing oracle).
		userID := ""
		if u, lerr := a.accounts.Lookup(ctx, username); lerr == nil && !errors.Is(err, errUnknownUser) {
			userID = u.ID
		}
		a.logRequest(slog.LevelInfo, r, "auth: login failed", err, userID)
		a.renderLogin(w, r, http.StatusUnprocessableEntity, msgBadCredentials, username, next)
		return
	case errors.Is(err, ErrBusy):
		w.Header().Set("Retry-After", "1")
		a.renderLogin(w, r, http.StatusTooManyRequests, msgBusy, username, next)
		return
	default:
		a.logFault(r, "auth: login error", err, "")
		w.Header().Set("Retry-After", "5")
		unavailable(w, r, "Service temporarily unavailable.")
		return
	}
	if err := a.establish(w, r, u); err != nil {
		return
	}
	if a.cfg.RememberMeField != "" && r.PostForm.Get(a.cfg.RememberMeField) != "" {
		a.sessions.RememberMe(ctx, true)
	}
	a.logRequest(slog.LevelInfo, r, "auth: login", nil, u.ID)
	redirect(w, r, SafeRedirect(next, a.cfg.LoginRedirect))
}

// establish makes the request's session a fresh session of u: new CSRF
// secret, new session ID, user and password fingerprint bound. A session
// of another user (a shared computer where nobody logged out) is destroyed
// first, so u inherits none of its data; an anonymous session's data, or
// u's own, is kept. On failure it has answered the request.
func (a *Authenticator) establish(w http.ResponseWriter, r *http.Request, u User) error {
	ctx := r.Context()
	if prev := a.sessions.UserID(ctx); prev != "" && prev != u.ID {
		if err := a.sessions.Destroy(ctx); err != nil {
			a.logFault(r, "auth: ending the previous user's session failed", err, u.ID)
			unavailable(w, r, "Service temporarily unavailable.")
			return err
		}
	}
	if err := a.rotateCSRF(w, r); err != nil {
		a.logFault(r, "auth: csrf rotation failed", err, u.ID)
		http.Error(w, "Internal server error.", http.StatusInternalServerError)
		return err
	}
	err := a.sessions.Renew(ctx)
	if err == nil {
		err = a.sessions.BindUser(ctx, u.ID)
	}
	if err != nil {
		a.logFault(r, "auth: session renewal failed", err, u.ID)
		unavailable(w, r, "Service temporarily unavailable.")
		return err
	}
	a.sessions.PutString(ctx, sessionKeyFingerprint, fingerprint(u))
	return nil
}

// limiterTimeout bounds recording a login attempt's outcome, which does
// not end when the client goes away: short, since the attempt holds a
// hashing slot meanwhile.
const limiterTimeout = 2 * time.Second

// loginGate checks both limiters inside the hashing slot and records the
// outcome before the slot is released.
func (a *Authenticator) loginGate(ctx context.Context, userKey, addrKey string) gate {
	return gate{
		before: func() error {
			var wait time.Duration
			for _, c := range []struct {
				l   Limiter
				key string
			}{{a.userLimit, userKey}, {a.addrLimit, addrKey}} {
				d, err := c.l.Wait(ctx, c.key)
				if err != nil {
					return err // a limiter fault fails closed (503)
				}
				wait = max(wait, d)
			}
			if wait > 0 {
				return &ThrottledError{RetryAfter: wait}
			}
			return nil
		},
		// The outcome is recorded even if the client went away: a client
		// that half-closes its connection after sending a guess still
		// reads the answer, and must not get its failure uncounted. An
		// outcome that cannot be recorded is not revealed (503).
		after: func(ok bool) error {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limiterTimeout)
			defer cancel()
			var err error
			if ok {
				err = a.userLimit.Reset(rctx, userKey)
			} else {
				_, err = a.userLimit.Fail(rctx, userKey)
				if _, err2 := a.addrLimit.Fail(rctx, addrKey); err == nil {
					err = err2
				}
			}
			if err != nil {
				a.log.Error("auth: limiter failed", "reason", err.Error())
				return fault.Logged(fmt.Errorf("auth: recording the login attempt: %w", err))
			}
			return nil
		},
	}
}

// usernameKey is the throttling key for a submitted username: a digest of
// its normalised form (or of the raw value when it is not a valid
// username), so keys are bounded and hold no usernames.
func usernameKey(username string) string {
	if n, err := NormalizeUsername(username); err == nil {
		username = n
	}
	return "user:" + digest(username)
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// LogoutHandler logs the user out. Mount it for all methods (e.g.
// mux.Handle("/logout", a.LogoutHandler())) so GET reaches it.
//
//   - POST (CSRF-checked by the csrf.Protector in front) rotates the CSRF
//     secret, deletes the session on the server, sets
//     Cache-Control: no-store (and Clear-Site-Data: "cookies" with
//     Config.ClearSiteData) and redirects (303) to Config.LogoutRedirect.
//     Logging out without a session is not an error.
//   - Any other method answers 405 with Allow: POST; GET renders
//     Config.LogoutTemplate: a page that explains why and holds a logout
//     button, so a stale link does not strand the user. The user stays
//     logged in: a GET from another site (an <img>) cannot log them out.
func (a *Authenticator) LogoutHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			render(a, w, r, a.logoutPage, http.StatusMethodNotAllowed, LogoutData{
				Action: r.URL.EscapedPath(), CSRFField: csrf.TemplateField(r), Request: r,
			})
			return
		}
		if !a.csrfGuard(w, r) {
			return
		}
		ctx := r.Context()
		userID := a.sessions.UserID(ctx)
		if err := a.rotateCSRF(w, r); err != nil {
			a.logFault(r, "auth: csrf rotation failed", err, userID)
			http.Error(w, "Internal server error.", http.StatusInternalServerError)
			return
		}
		if err := a.sessions.Destroy(ctx); err != nil {
			a.logFault(r, "auth: logout failed", err, userID)
			unavailable(w, r, "Service temporarily unavailable: you are still signed in.")
			return
		}
		if a.cfg.ClearSiteData {
			w.Header().Set("Clear-Site-Data", `"cookies"`)
		}
		if userID != "" {
			a.logRequest(slog.LevelInfo, r, "auth: logout", nil, userID)
		}
		redirect(w, r, a.cfg.LogoutRedirect)
	})
}

// LogoutOthersHandler ends every other session of the logged-in user ("log
// out of all my other devices") and keeps the current one, under a new ID.
// POST only (405 with Allow: POST otherwise); CSRF-checked by the
// Protector in front. It redirects (303) to a safe "next" form value, else
// to Config.LoginRedirect. An anonymous request gets what RequireLogin
// gives it.
func (a *Authenticator) LogoutOthersHandler() http.Handler {
	return a.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "Method not allowed: use the button.", http.StatusMethodNotAllowed)
			return
		}
		if !a.csrfGuard(w, r) || !parseForm(w, r) {
			return
		}
		u, _ := CurrentUser(r)
		ctx := r.Context()
		n, err := a.sessions.DestroyUserSessions(ctx, u.ID, true)
		if err == nil {
			err = a.sessions.Renew(ctx)
		}
		if err != nil {
			a.logFault(r, "auth: logout of other sessions failed", err, u.ID)
			unavailable(w, r, "Service temporarily unavailable.")
			return
		}
		a.logRequest(slog.LevelInfo, r, "auth: logged out other sessions", nil, u.ID, slog.Int("sessions", n))
		redirect(w, r, SafeRedirect(r.PostForm.Get("next"), a.cfg.LoginRedirect))
	}))
}

// Handler loads the logged-in user (if any) into the request context for
// CurrentUser. A session whose user was deleted or disabled, or whose
// password changed since login, is destroyed and the request continues as
// anonymous. It costs one UserStore lookup per request with a logged-in
// session. A store fault answers 503 (never served as anonymous).
//
// Order: session Handler → csrf Handler → this → mux.
func (a *Authenticator) Handler(next http.Handler) http.Handler {
	return forward.To(next, func(w http.ResponseWriter, r *http.Request) {
		r, ok := a.withUser(w, r)
		if ok {
			next.ServeHTTP(w, r)
		}
	})
}

// RequireLogin passes only requests with a logged-in user (checked as in
// Handler) and makes CurrentUser work for them. Others get 401 with a JSON
// body when they ask for JSON (an Accept or Content-Type naming JSON and
// an Accept without text/html), else a 303 redirect to Config.LoginPath
// with "next" set to the request's path and query when IsSafeRedirect.
func (a *Authenticator) RequireLogin(next http.Handler) http.Handler {
	return forward.To(next, func(w http.ResponseWriter, r *http.Request) {
		r, ok := a.withUser(w, r)
		if !ok {
			return
		}
		if _, in := CurrentUser(r); in {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept")
		if wantsJSON(r) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "login required", "login": a.cfg.LoginPath})
			return
		}
		to := a.cfg.LoginPath
		if uri := r.URL.RequestURI(); IsSafeRedirect(uri) {
			to += "?next=" + url.QueryEscape(uri)
		}
		redirect(w, r, to)
	})
}

func wantsJSON(r *http.Request) bool {
	accept := strings.ToLower(r.Header.Get("Accept"))
	if strings.Contains(accept, "text/html") {
		return false
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return strings.Contains(accept, "json") || strings.Contains(ct, "json")
}

// ChangePassword changes the logged-in user's password after checking the
// current one (throttled like a login), ends every other session of the
// user, and keeps the caller logged in under a new session ID and CSRF
// secret. Call it from a POST handler before writing the response; it
// writes nothing itself. Errors: ErrNotLoggedIn, ErrInvalidCredentials
// (wrong current password), a *ThrottledError, the password policy errors
// (ErrPasswordTooShort, ErrPasswordTooLong, ErrPasswordInvalid), or a
// store fault.
func (a *Authenticator) ChangePassword(w http.ResponseWriter, r *http.Request, current, newPassword string) error {
	ctx := r.Context()
	u, ok, err := a.loadUser(r)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotLoggedIn
	}
	if err := a.accounts.CheckPassword(newPassword); err != nil {
		return err
	}
	userKey := usernameKey(u.Username)
	addrKey := addrKey(clientAddr(r, a.proxies))
	if _, err := a.accounts.authenticate(ctx, u.Username, current, a.loginGate(ctx, userKey, addrKey)); err != nil {
		return generic(err)
	}
	if err := a.accounts.setPassword(ctx, u.ID, newPassword); err != nil {
		return err
	}
	if u, err = a.accounts.users.GetByID(ctx, u.ID); err != nil {
		return err
	}
	if _, err := a.sessions.DestroyUserSessions(ctx, u.ID, true); err != nil {
		return err
	}
	if err := a.rotateCSRF(w, r); err != nil && !errors.Is(err, csrf.ErrNoProtector) {
		return err
	}
	if err := a.sessions.Renew(ctx); err != nil {
		return err
	}
	a.sessions.PutString(ctx, sessionKeyFingerprint, fingerprint(u))
	return nil
}
