package session_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bulwark-go/bulwark/session"
)

func TestCSRFSecrets(t *testing.T) {
	f := newFixture(t, nil)
	secrets := f.m.CSRFSecrets()
	secret := []byte("0123456789abcdef0123456789abcdef")
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
		got, err := secrets.LoadSecret(r)
		if got != nil || err != nil {
			t.Errorf("fresh session: %q, %v", got, err)
		}
		if err := secrets.SaveSecret(w, r, secret); err != nil {
			t.Fatal(err)
		}
	})
	c := sessionCookie(t, w)
	secret[0] = 'X' // the store must have copied it

	// The secret survives a login, is invisible to the value accessors, and
	// ends with the session.
	w = f.do(t, func(w http.ResponseWriter, r *http.Request) {
		if keys := f.m.Keys(r.Context()); len(keys) != 0 {
			t.Errorf("reserved key visible: %v", keys)
		}
		_ = f.m.BindUser(r.Context(), "eve")
	}, c)
	c = sessionCookie(t, w)
	f.do(t, func(w http.ResponseWriter, r *http.Request) {
		got, err := secrets.LoadSecret(r)
		if err != nil || !bytes.Equal(got, []byte("0123456789abcdef0123456789abcdef")) {
			t.Errorf("after login: %q, %v", got, err)
		}
		_ = f.m.Destroy(r.Context())
		if got, _ := secrets.LoadSecret(r); got != nil {
			t.Errorf("after Destroy: %q", got)
		}
	}, c)

	t.Run("store down", func(t *testing.T) {
		c := f.start(t, "k", "v")
		f.store.fail(errDown, nil, nil)
		defer f.store.fail(nil, nil, nil)
		w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
			if _, err := secrets.LoadSecret(r); !errors.Is(err, session.ErrUnavailable) {
				t.Errorf("LoadSecret: %v", err)
			}
			if err := secrets.SaveSecret(w, r, []byte("s")); !errors.Is(err, session.ErrUnavailable) {
				t.Errorf("SaveSecret: %v", err)
			}
		}, c)
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("status %d", w.Code)
		}
	})
	t.Run("outside the handler", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/", nil)
		if _, err := secrets.LoadSecret(r); !errors.Is(err, session.ErrNoHandler) {
			t.Errorf("LoadSecret: %v", err)
		}
		if err := secrets.SaveSecret(httptest.NewRecorder(), r, []byte("s")); !errors.Is(err, session.ErrNoHandler) {
			t.Errorf("SaveSecret: %v", err)
		}
	})
}
