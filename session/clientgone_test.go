package session_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/internal/fault"
	"github.com/bulwark-go/bulwark/session"
)

// A client that goes away while its session loads is not a store fault:
// no ERROR line, Err does not wrap ErrUnavailable, the answer is a 499
// rather than the 503 page, and nothing is written to the store.
func TestClientGoneIsNotAStoreFault(t *testing.T) {
	f := newFixture(t, nil)
	cookie := f.start(t, "k", "v")
	f.store.setBlock(true)
	ctx, cancel := context.WithCancel(context.Background())
	f.store.mu.Lock()
	f.store.beforeFind = cancel // the client leaves while Find waits
	f.store.mu.Unlock()
	commits := f.store.commits.Load()

	r := httptest.NewRequest("POST", "/page", nil).WithContext(ctx)
	r.AddCookie(cookie)
	w := httptest.NewRecorder()
	var got error
	f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, ok := f.m.GetString(r.Context(), "k"); ok || v != "" {
			t.Errorf("value served without a loaded session: %q", v)
		}
		f.m.PutString(r.Context(), "k", "changed")
		got = f.m.Err(r.Context())
		_, _ = w.Write([]byte("handler body"))
	})).ServeHTTP(w, r)

	if !errors.Is(got, session.ErrClientGone) || errors.Is(got, session.ErrUnavailable) {
		t.Fatalf("Err = %v; want ErrClientGone, not ErrUnavailable", got)
	}
	if w.Code != fault.StatusClientGone || w.Body.Len() != 0 || w.Header().Get("Set-Cookie") != "" {
		t.Fatalf("response %d %q %v; want a bare %d", w.Code, w.Body, w.Header(), fault.StatusClientGone)
	}
	if n := f.store.commits.Load() - commits; n != 0 {
		t.Fatalf("%d commits for a request whose session never loaded", n)
	}
	logs := f.logs.String()
	if strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "level=WARN") {
		t.Fatalf("a client going away was logged as a fault:\n%s", logs)
	}
	f.store.mu.Lock()
	f.store.beforeFind = nil
	f.store.mu.Unlock()
	f.store.setBlock(false)
	if v, _ := f.get(t, cookie, "k"); v != "v" {
		t.Fatalf("session after the abandoned request holds %q, want %q", v, "v")
	}
}

// A real store fault is logged at ERROR exactly once per request, however
// many times the handler touches the session.
func TestStoreFaultIsLoggedOnce(t *testing.T) {
	f := newFixture(t, nil)
	cookie := f.start(t, "k", "v")
	f.store.fail(errDown, nil, nil)
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
		f.m.GetString(r.Context(), "k")
		f.m.PutString(r.Context(), "k", "x")
		_ = f.m.Renew(r.Context())
	}, cookie)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", w.Code)
	}
	if n := strings.Count(f.logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("%d ERROR lines, want 1:\n%s", n, f.logs)
	}
}
