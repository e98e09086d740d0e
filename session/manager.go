// This file holds the Manager: per-request state, lazy loading, and the
// session lifecycle operations (Renew, Destroy, BindUser, ...).

package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/bulwark-go/bulwark/internal/fault"
)

var (
	// ErrUnavailable wraps every store fault the Manager reports through
	// Err: the session could not be loaded or committed.
	ErrUnavailable = errors.New("session: store unavailable")

	// ErrNoHandler is returned when a context or request did not pass
	// through Manager.Handler.
	ErrNoHandler = errors.New("session: request did not pass through Manager.Handler")

	// ErrClientGone is what Err reports when the session could not be
	// loaded because the request's client went away (its context was
	// canceled) within a second of the load starting; a load that had run
	// longer points at the store and is a fault. It is not a store fault:
	// it does not wrap ErrUnavailable, is logged at Debug only, and the
	// request is answered with a bare status 499, without calling
	// Config.ErrorHandler. Nothing is committed for it.
	ErrClientGone = errors.New("session: the client went away")

	// ErrTooManyConflicts is wrapped into the fault reported when a commit
	// still conflicted after MaxCommitAttempts attempts.
	ErrTooManyConflicts = errors.New("session: too many concurrent commits")
)

// MaxCommitAttempts bounds how often the Manager tries to commit one
// request's changes when other requests of the same session keep
// committing first (Store.Commit returning ErrConflict).
const MaxCommitAttempts = 10

// Manager loads and commits sessions around HTTP handlers. Create it with
// New; it is safe for concurrent use by any number of requests.
type Manager struct {
	cfg   Config
	store Store
	now   func() time.Time
	log   *slog.Logger

	hostCookieName string // "__Host-" + cfg.CookieName, built once

	// stripes serialise this process's commits per store key, so
	// concurrent requests of one session conflict at most once here;
	// Store.Commit's version check still guards against other processes.
	stripes [64]chan struct{}
}

// New validates cfg and returns a Manager. Its errors quote the bad value
// and say how to fix it.
func New(cfg Config) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, store: cfg.Store, now: cfg.Now, log: cfg.Logger, hostCookieName: "__Host-" + cfg.CookieName}
	for i := range m.stripes {
		m.stripes[i] = make(chan struct{}, 1)
	}
	return m, nil
}

type ctxKey struct{ m *Manager }

// reqState is the session of one request. Its mutex lets handlers use the
// session from several goroutines.
type reqState struct {
	m *Manager
	r *http.Request // the request handed to the handler

	mu       sync.Mutex
	cookieID string // well-formed ID from the request's cookie, or ""

	loaded bool
	err    error // sticky store fault: the response becomes ErrorHandler's

	// The session as loaded (or new when fresh).
	fresh   bool // nothing stored yet: a new ID is issued on commit
	id, key string
	values  map[string][]byte // excluding metaKey
	userID  string
	version uint64
	// loadedUser is userID as loaded, or as this request last stored it
	// under a new ID: a renewal made by another request is followed only
	// while it keeps this user (see current).
	loadedUser string
	md         meta

	// What this request changed.
	changed     map[string]struct{}
	userChanged bool
	persistSet  bool
	deadlineSet bool
	renew       bool
	destroyed   bool // the cookie must be expired unless a new one is set
	refreshed   bool

	// sw is the request's response writer, allocated with the state.
	sw responseWriter
}

func (m *Manager) state(ctx context.Context) *reqState {
	if ctx == nil {
		return nil
	}
	st, _ := ctx.Value(ctxKey{m}).(*reqState)
	return st
}

// locked returns the request's session state, loaded, with its lock held:
// the caller must call st.mu.Unlock. Outside Manager.Handler it returns
// ErrNoHandler, and when the session cannot be loaded the load error; the
// lock is not held in either case.
func (m *Manager) locked(ctx context.Context) (*reqState, error) {
	st := m.state(ctx)
	if st == nil {
		return nil, ErrNoHandler
	}
	st.mu.Lock()
	if err := st.load(); err != nil {
		st.mu.Unlock()
		return nil, err
	}
	return st, nil
}

func (m *Manager) newState(r *http.Request) *reqState {
	st := &reqState{m: m, r: r}
	if c, err := r.Cookie(m.cookieName(r)); err == nil {
		st.cookieID, _ = parseID(c.Value)
	}
	return st
}

// storeCtx bounds a store call by StoreTimeout.
func (m *Manager) storeCtx(parent context.Context) (context.Context, context.CancelFunc) {
	if m.cfg.StoreTimeout < 0 {
		return context.WithCancel(parent)
	}
	return context.WithTimeout(parent, m.cfg.StoreTimeout)
}

// commitCtx is for writes: they finish even if the client went away, so a
// disconnect cannot lose a change half-way, but are still bounded.
func (st *reqState) commitCtx() (context.Context, context.CancelFunc) {
	return st.m.storeCtx(context.WithoutCancel(st.r.Context()))
}

// fault records the first store failure and logs it once, marked as
// logged so that csrf and auth do not log it again.
func (st *reqState) fault(op string, err error) error {
	if st.err == nil {
		st.err = fault.Logged(fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err))
		st.m.logEvent(slog.LevelError, st.r, "session store failure", st.err)
	}
	return st.err
}

// abandon records that the session could not be loaded because the
// client went away: no store fault, so it is logged at Debug only.
func (st *reqState) abandon(err error) error {
	st.err = fault.Logged(fmt.Errorf("%w: load: %w", ErrClientGone, err))
	st.m.logEvent(slog.LevelDebug, st.r, "session not loaded", st.err)
	return st.err
}

func (m *Manager) logEvent(level slog.Level, r *http.Request, msg string, reason error) {
	m.log.LogAttrs(context.WithoutCancel(r.Context()), level, msg,
		slog.String("reason", reason.Error()),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path))
}

// startFresh makes the request's session a new, empty one.
func (st *reqState) startFresh() {
	st.startFreshWith(make(map[string][]byte), st.m.now())
}

// startFreshWith is startFresh with values as the value map and now as
// the current time.
func (st *reqState) startFreshWith(values map[string][]byte, now time.Time) {
	st.loaded = true
	st.fresh = true
	st.id, st.key, st.userID, st.loadedUser, st.version = "", "", "", "", 0
	st.values = values
	if st.changed == nil {
		st.changed = make(map[string]struct{})
	} else {
		clear(st.changed)
	}
	st.md = meta{deadline: now.Add(st.m.cfg.Lifetime), lastSeen: now, persist: st.m.cfg.Persist}
	st.userChanged, st.persistSet, st.deadlineSet, st.renew = false, false, false, false
}

// load reads the session on first use. The caller holds st.mu.
func (st *reqState) load() error {
	if st.loaded {
		return st.err
	}
	if st.err != nil {
		return st.err
	}
	if st.cookieID == "" {
		st.startFresh()
		return nil
	}
	key := HashID(st.cookieID)
	ctx, cancel := st.m.storeCtx(st.r.Context())
	start := time.Now()
	rec, found, err := st.m.store.Find(ctx, key)
	cancel()
	if err != nil && fault.Abandoned(st.r.Context(), start) {
		return st.abandon(err)
	}
	if err != nil {
		return st.fault("load", err)
	}
	if !found {
		st.startFresh()
		return nil
	}
	md, ok := decodeMeta(rec.Values[metaKey])
	if !ok {
		st.startFresh()
		st.m.logEvent(slog.LevelWarn, st.r, "session data unusable; starting a new session", errors.New("session: missing or corrupt metadata"))
		return nil
	}
	now := st.m.now()
	if st.m.expired(md, now) {
		st.startFresh()
		return nil
	}
	delete(rec.Values, metaKey)
	if rec.Values == nil {
		rec.Values = make(map[string][]byte)
	}
	st.startFreshWith(rec.Values, now)
	st.fresh = false
	st.id, st.key = st.cookieID, key
	st.values, st.userID, st.version, st.md = rec.Values, rec.UserID, rec.Version, md
	st.loadedUser = rec.UserID
	return nil
}

func (m *Manager) expired(md meta, now time.Time) bool {
	if !now.Before(md.deadline) {
		return true
	}
	return m.cfg.IdleTimeout > 0 && !now.Before(md.lastSeen.Add(m.cfg.IdleTimeout))
}

// expiry is when the store may forget the session.
func (m *Manager) expiry(md meta) time.Time {
	if m.cfg.IdleTimeout > 0 {
		if idle := md.lastSeen.Add(m.cfg.IdleTimeout); idle.Before(md.deadline) {
			return idle
		}
	}
	return md.deadline
}

// refreshAfter is how stale lastSeen may grow before a read-only request
// writes to push the idle deadline out: a tenth of the idle timeout, at
// most a minute.
func (m *Manager) refreshAfter() time.Duration {
	return min(m.cfg.IdleTimeout/10, time.Minute)
}

// Err returns the store fault that spoiled this request's session (wrapping
// ErrUnavailable, or ErrClientGone when the client went away before the
// session was loaded), nil when there was none, or ErrNoHandler when ctx does
// not come from a request that passed through Handler. Handlers that must
// not continue without their session check it after a lookup returned
// ok=false, and stop on any non-nil error, not only on ErrUnavailable.
func (m *Manager) Err(ctx context.Context) error {
	st := m.state(ctx)
	if st == nil {
		return ErrNoHandler
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.err
}

// Renew gives the session a new ID and keeps its data: the old ID stops
// working when the response is committed. Call it at every privilege
// change (BindUser calls it for you) to defeat session fixation. The
// absolute deadline is kept.
func (m *Manager) Renew(ctx context.Context) error {
	st, err := m.locked(ctx)
	if err != nil {
		return err
	}
	defer st.mu.Unlock()
	st.renew = true
	return nil
}

// BindUser renews the session's ID, binds it to userID ("" unbinds) and
// starts a new absolute lifetime: a fresh authentication earns a full
// Lifetime. The user index lets DestroyUserSessions find the session.
//
// An anonymous session, or one already bound to userID, keeps its data.
// A session bound to another user (a shared browser where nobody logged
// out), or unbound from its user with "", is deleted from the store first,
// as by Destroy, and userID starts from an empty session: nothing the
// previous user stored, or this request put before the call, carries over.
// That includes the CSRF secret kept by CSRFSecrets: call csrf.Rotate
// after BindUser (the auth package does) before rendering a form in the
// same request, or its tokens carry the deleted secret and are refused.
// A store failure deleting the session is returned.
func (m *Manager) BindUser(ctx context.Context, userID string) error {
	st, err := m.locked(ctx)
	if err != nil {
		return err
	}
	defer st.mu.Unlock()
	if st.userID != "" && st.userID != userID {
		if err := st.deleteStored(ctx); err != nil {
			return err
		}
		st.startFresh()
	}
	st.renew = true
	st.userID, st.userChanged = userID, true
	st.md.deadline, st.deadlineSet = m.now().Add(m.cfg.Lifetime), true
	return nil
}

// UserID returns the user bound to the session, or "" for an anonymous
// session or when the session could not be loaded (see Err).
func (m *Manager) UserID(ctx context.Context) string {
	st, err := m.locked(ctx)
	if err != nil {
		return ""
	}
	defer st.mu.Unlock()
	return st.userID
}

// RememberMe chooses a persistent cookie (persist=true, kept by the browser
// until the session's absolute deadline) or a browser-session cookie for
// this session, overriding Config.Persist.
func (m *Manager) RememberMe(ctx context.Context, persist bool) {
	st, err := m.locked(ctx)
	if err != nil {
		return
	}
	defer st.mu.Unlock()
	st.md.persist, st.persistSet = persist, true
}

// Destroy deletes the session from the store now and expires the cookie in
// the response. Later writes in the same request start a new session with
// a new ID. A store failure is returned and also fails the request (see
// the package documentation): a logout that did not happen must not look
// as if it had.
func (m *Manager) Destroy(ctx context.Context) error {
	st := m.state(ctx)
	if st == nil {
		return ErrNoHandler
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.deleteStored(ctx); err != nil {
		return err
	}
	st.startFresh()
	st.destroyed = st.cookieID != "" || st.destroyed
	return nil
}

// deleteStored deletes the request's session from the store, if one is
// stored (loaded, or named by the cookie and not loaded yet), and marks
// the cookie for expiry. The caller holds st.mu.
func (st *reqState) deleteStored(ctx context.Context) error {
	var key string
	switch {
	case st.loaded && !st.fresh:
		key = st.key
	case !st.loaded && st.cookieID != "":
		key = HashID(st.cookieID)
	}
	if key == "" {
		return nil
	}
	sctx, cancel := st.m.storeCtx(context.WithoutCancel(ctx))
	err := st.m.store.Delete(sctx, key)
	cancel()
	if err != nil {
		return st.fault("destroy", err)
	}
	st.destroyed = true
	return nil
}

// DestroyUserSessions deletes every session bound to userID, using the
// store's user index (no scan), and returns how many it deleted. With
// keepCurrent the session of the request in ctx survives ("log out my other
// devices"); without it the current session also ends if it belongs to
// userID ("log out everywhere", password change, account disabled).
// ctx need not come from a request: then keepCurrent has no effect.
func (m *Manager) DestroyUserSessions(ctx context.Context, userID string, keepCurrent bool) (int, error) {
	if userID == "" {
		return 0, errors.New("session: DestroyUserSessions needs a user ID: got \"\"")
	}
	st := m.state(ctx)
	if st == nil {
		sctx, cancel := m.storeCtx(ctx)
		defer cancel()
		n, err := m.store.DeleteUserSessions(sctx, userID, "")
		if err != nil {
			return n, fmt.Errorf("%w: destroy user sessions: %w", ErrUnavailable, err)
		}
		return n, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.load(); err != nil {
		return 0, err
	}
	keep := ""
	if keepCurrent && !st.fresh {
		keep = st.key
	}
	sctx, cancel := m.storeCtx(context.WithoutCancel(ctx))
	n, err := m.store.DeleteUserSessions(sctx, userID, keep)
	cancel()
	if err != nil {
		return n, st.fault("destroy user sessions", err)
	}
	if !keepCurrent && !st.fresh && st.userID == userID {
		st.startFresh()
		st.destroyed = true
	}
	return n, nil
}
