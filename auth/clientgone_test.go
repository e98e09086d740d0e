package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/session"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// faultSwitch makes the stores behind a fixture fail on demand: with err
// set, every call fails with it; with gone set, the call first cancels the
// request (the client closes its tab) and fails with the context's error.
type faultSwitch struct {
	mu   sync.Mutex
	err  error
	gone context.CancelFunc
}

func (s *faultSwitch) set(err error, gone context.CancelFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err, s.gone = err, gone
}

func (s *faultSwitch) check(ctx context.Context) error {
	s.mu.Lock()
	err, gone := s.err, s.gone
	s.mu.Unlock()
	if gone != nil {
		gone()
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

type switchedSessions struct {
	session.Store
	sw *faultSwitch
}

func (s switchedSessions) Find(ctx context.Context, key string) (session.Record, bool, error) {
	if err := s.sw.check(ctx); err != nil {
		return session.Record{}, false, err
	}
	return s.Store.Find(ctx, key)
}

type switchedUsers struct {
	auth.UserStore
	sw *faultSwitch
}

func (u switchedUsers) GetByID(ctx context.Context, id string) (auth.User, error) {
	if err := u.sw.check(ctx); err != nil {
		return auth.User{}, err
	}
	return u.UserStore.GetByID(ctx, id)
}

// A store fault behind session, csrf and auth is logged at ERROR once in
// all, and answered 503; a client that went away is no fault: no ERROR or
// WARN line, and a 499 rather than a 503.
func TestStoreFaultsAcrossSessionCSRFAndAuth(t *testing.T) {
	var logs testlog.Buffer
	sessions, users := &faultSwitch{}, &faultSwitch{}
	f := newFixture(t, fixtureOpts{
		csrf:      csrfSession,
		logger:    slog.New(slog.NewTextHandler(&logs, nil)),
		wrapStore: func(s session.Store) session.Store { return switchedSessions{s, sessions} },
		wrapUsers: func(u auth.UserStore) auth.UserStore { return switchedUsers{u, users} },
	})
	b := f.browser(t)
	b.mustLogin()
	token := b.pageToken()
	logs.Take()

	requests := []struct {
		method, path string
	}{{"GET", "/private"}, {"GET", "/"}, {"POST", "/logout"}, {"POST", "/logout-others"}}
	for _, req := range requests {
		for _, sw := range []*faultSwitch{sessions, users} {
			name := req.method + " " + req.path + " with the session store"
			if sw == users {
				name = req.method + " " + req.path + " with the user store"
			}
			t.Run(name+" down", func(t *testing.T) {
				sw.set(errors.New("connection refused"), nil)
				defer sw.set(nil, nil)
				w := serve(t, f, b, req.method, req.path, url.Values{"csrf_token": {token}}, context.Background())
				got := logs.Take()
				if w.Code != http.StatusServiceUnavailable {
					t.Fatalf("status %d, want 503: %s", w.Code, w.Body)
				}
				if n := strings.Count(got, "level=ERROR"); n != 1 {
					t.Fatalf("%d ERROR lines for one fault, want 1:\n%s", n, got)
				}
			})
			t.Run(name+" and the client gone", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				sw.set(nil, cancel)
				defer sw.set(nil, nil)
				w := serve(t, f, b, req.method, req.path, url.Values{"csrf_token": {token}}, ctx)
				got := logs.Take()
				if w.Code != 499 {
					t.Fatalf("status %d, want 499: %s", w.Code, w.Body)
				}
				if strings.Contains(got, "level=ERROR") || strings.Contains(got, "level=WARN") {
					t.Fatalf("a client going away was logged as a fault:\n%s", got)
				}
			})
		}
	}
	if b.user() != "alice" {
		t.Fatal("the faults ended alice's session")
	}
}

// serve sends one request with b's cookies and form straight to f's
// handler, with ctx as the request's context.
func serve(t *testing.T, f *fixture, b *browser, method, path string, form url.Values, ctx context.Context) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequestWithContext(ctx, method, f.srv.URL+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", f.srv.URL)
	u, _ := url.Parse(f.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

// ctxLimiter is a Limiter that, like a networked one, fails a call made
// with a context that ended. leave, when set, is called by Wait: the
// client goes away while its password is being checked. down makes Fail
// and Reset fail.
type ctxLimiter struct {
	mu    sync.Mutex
	fails int
	leave context.CancelFunc
	down  bool
}

func (l *ctxLimiter) Wait(ctx context.Context, key string) (time.Duration, error) {
	l.mu.Lock()
	leave := l.leave
	l.mu.Unlock()
	if leave != nil {
		leave()
	}
	return 0, nil
}

func (l *ctxLimiter) Fail(ctx context.Context, key string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return 0, errors.New("limiter down")
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l.fails++
	return 0, nil
}

func (l *ctxLimiter) Reset(ctx context.Context, key string) error {
	_, err := l.Fail(ctx, key)
	return err
}

// A guess whose client half-closes its connection during the password
// check (its context ends, but it still reads the answer) is counted all
// the same; and a guess whose outcome cannot be recorded is not answered.
func TestLoginAttemptsAreCountedWhenTheClientLeaves(t *testing.T) {
	lim := &ctxLimiter{}
	f := newFixture(t, fixtureOpts{csrf: csrfSession, userLimiter: lim, addrLimiter: lim})
	b := f.browser(t)
	token := b.token()
	guess := func(leave bool) int {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		lim.mu.Lock()
		lim.leave = nil
		if leave {
			lim.leave = cancel
		}
		lim.mu.Unlock()
		form := url.Values{"username": {"alice"}, "password": {"wrong"}, "csrf_token": {token}}
		return serve(t, f, b, "POST", "/login", form, ctx).Code
	}
	if code := guess(true); code != http.StatusUnprocessableEntity {
		t.Fatalf("guess from a client that left: status %d, want 422", code)
	}
	lim.mu.Lock()
	fails := lim.fails
	lim.down = true
	lim.mu.Unlock()
	if fails != 2 { // the username's and the address's
		t.Fatalf("%d failures recorded for a guess whose client left, want 2", fails)
	}
	if code := guess(false); code != http.StatusServiceUnavailable {
		t.Fatalf("guess whose failure could not be recorded: status %d, want 503 (its outcome must not be revealed)", code)
	}
}
