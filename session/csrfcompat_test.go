package session_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
)

// The adapter must satisfy csrf.SecretStore without session importing csrf.
var _ csrf.SecretStore = session.CSRFSecretStore{}

func TestCSRFProtectorWithSessionSecrets(t *testing.T) {
	f := newFixture(t, nil)
	p, err := csrf.New(csrf.Config{Key: make([]byte, 32), Secrets: f.m.CSRFSecrets(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) { token = csrf.Token(r) })
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("accepted")) })
	app := f.m.Handler(p.Handler(mux))

	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest("GET", "http://example.com/form", nil))
	c := sessionCookie(t, w)
	if token == "" || c == nil {
		t.Fatalf("token %q, session cookie %v", token, c)
	}
	if f.store.sessions(t) != 1 {
		t.Fatalf("secret not kept in the session store")
	}
	for name, tok := range map[string]string{"right token": token, "wrong token": strings.Repeat("A", len(token))} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://example.com/form", strings.NewReader(url.Values{"csrf_token": {tok}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			r.Header.Set("Origin", "http://example.com")
			r.AddCookie(c)
			w := httptest.NewRecorder()
			app.ServeHTTP(w, r)
			if accepted := w.Code == http.StatusOK; accepted != (name == "right token") {
				t.Errorf("status %d %q", w.Code, w.Body)
			}
		})
	}
}
