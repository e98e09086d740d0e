package csrf

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRotate(t *testing.T) {
	for _, store := range []bool{false, true} {
		name := "cookie"
		if store {
			name = "secret store"
		}
		t.Run(name, func(t *testing.T) {
			cfg := Config{}
			if store {
				cfg.Secrets = &memStore{}
			}
			hs := newHarness(t, cfg)
			cookie, oldToken := hs.mint(t, "http://example.com/token", "")

			var newToken string
			rot := hs.p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := Rotate(w, r); err != nil {
					t.Errorf("Rotate: %v", err)
				}
				newToken = Token(r)
				io.WriteString(w, "rotated")
			}))
			r := newRequest("POST", "http://example.com/login", formBody("csrf_token", oldToken))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Cookie", cookie)
			w := httptest.NewRecorder()
			rot.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("login status %d", w.Code)
			}
			if !store {
				cs := w.Result().Cookies()
				if len(cs) != 1 {
					t.Fatalf("rotation sent %d cookies", len(cs))
				}
				cookie = cs[0].Name + "=" + cs[0].Value
			}
			post := func(tok string) *httptest.ResponseRecorder {
				r := newRequest("POST", "http://example.com/submit", formBody("csrf_token", tok))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Cookie", cookie)
				return hs.do(r)
			}
			hs.expect(t, post(oldToken), ErrTokenMismatch)
			hs.expect(t, post(newToken), nil)
		})
	}
}

func TestRotateErrors(t *testing.T) {
	if err := Rotate(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)); err != ErrNoProtector {
		t.Fatalf("no protector: %v", err)
	}
	p := mustNew(t, Config{Mode: Tokenless})
	r := newRequest("POST", "http://example.com/", nil)
	r.Header.Set("Origin", "http://example.com")
	var err error
	serve(p, func(w http.ResponseWriter, r *http.Request) { err = Rotate(w, r) }, r)
	if err != ErrNoProtector {
		t.Fatalf("tokenless: %v", err)
	}
	p = mustNew(t, Config{})
	r = newRequest("GET", "http://example.com/", nil)
	serve(p, func(w http.ResponseWriter, r *http.Request) {
		Token(r)
		w.Write(make([]byte, maxBuffer+1))
		err = Rotate(w, r)
	}, r)
	if err != ErrHeadersWritten {
		t.Fatalf("after headers: %v", err)
	}
}

func TestTokensDifferPerRenderAndAllVerify(t *testing.T) {
	hs := newHarness(t, Config{})
	cookie, _ := hs.mint(t, "http://example.com/token", "")
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		_, tok := hs.mint(t, "http://example.com/token", cookie)
		if seen[tok] {
			t.Fatal("token repeated")
		}
		seen[tok] = true
	}
	for tok := range seen {
		r := newRequest("DELETE", "http://example.com/x", nil)
		r.Header.Set("Cookie", cookie)
		r.Header.Set("X-CSRF-Token", tok)
		hs.expect(t, hs.do(r), nil)
	}
}

func TestConcurrentTokenRendering(t *testing.T) {
	hs := newHarness(t, Config{})
	var toks [8]string
	w := serve(hs.p, func(w http.ResponseWriter, r *http.Request) {
		done := make(chan struct{})
		for i := range toks {
			go func() {
				defer func() { done <- struct{}{} }()
				toks[i] = Token(r)
			}()
		}
		for range toks {
			<-done
		}
	}, newRequest("GET", "http://example.com/", nil))
	cs := w.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("%d cookies", len(cs))
	}
	for _, tok := range toks {
		r := newRequest("PATCH", "http://example.com/x", nil)
		r.Header.Set("Cookie", cs[0].Name+"="+cs[0].Value)
		r.Header.Set("X-CSRF-Token", tok)
		hs.expect(t, hs.do(r), nil)
	}
}

// Protected tells whether a request passed through a Full-mode Protector
// without rendering a token: the response gets no Vary and no cookie.
func TestProtected(t *testing.T) {
	if Protected(httptest.NewRequest("POST", "/", nil)) {
		t.Fatal("Protected without a Protector")
	}
	for _, c := range []struct {
		mode Mode
		want bool
	}{{Full, true}, {Tokenless, false}} {
		p := mustNew(t, Config{Mode: c.mode})
		var got bool
		w := serve(p, func(w http.ResponseWriter, r *http.Request) {
			got = Protected(r)
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "ok")
		}, newRequest("GET", "http://example.com/", nil))
		if got != c.want {
			t.Errorf("%v: Protected = %v, want %v", c.mode, got, c.want)
		}
		if v, sc := w.Header().Values("Vary"), w.Header().Values("Set-Cookie"); len(v)+len(sc) != 0 {
			t.Errorf("%v: Protected changed the response: Vary %q, Set-Cookie %q", c.mode, v, sc)
		}
	}
}

// Inside a FailureHandler, Rotate says the request was rejected.
func TestRotateInFailureHandler(t *testing.T) {
	var err error
	p := mustNew(t, Config{FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err = Rotate(w, r)
		w.WriteHeader(http.StatusForbidden)
	})})
	r := newRequest("POST", "http://example.com/", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	serve(p, func(http.ResponseWriter, *http.Request) { t.Error("handler ran") }, r)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("Rotate = %v, want ErrRejected", err)
	}
}
