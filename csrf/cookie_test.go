package csrf

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve runs one request through p.Handler(h).
func serve(p *Protector, h http.HandlerFunc, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	p.Handler(h).ServeHTTP(w, r)
	return w
}

func mustNew(t *testing.T, cfg Config) *Protector {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = testKey
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func renderToken(w http.ResponseWriter, r *http.Request)   { io.WriteString(w, "<p>"+Token(r)+"</p>") }
func renderNothing(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<p>hello</p>") }

func TestCookieAttributes(t *testing.T) {
	cases := []struct {
		name       string
		cfg        Config
		target     string
		headers    []string
		wantName   string
		wantSecure bool
	}{
		{"plain http", Config{}, "http://localhost:8000/", nil, "csrf", false},
		{"https", Config{}, "https://example.com/", nil, "__Host-csrf", true},
		{"trusted proxy https", Config{TrustProxyHeaders: true}, "http://example.com/", []string{"X-Forwarded-Proto", "https"}, "__Host-csrf", true},
		{"untrusted proxy header", Config{}, "http://example.com/", []string{"X-Forwarded-Proto", "https"}, "csrf", false},
		{"custom name over https", Config{CookieName: "xsrf"}, "https://example.com/", nil, "__Host-xsrf", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustNew(t, c.cfg)
			r := newRequest("GET", c.target, nil)
			for i := 0; i+1 < len(c.headers); i += 2 {
				r.Header.Set(c.headers[i], c.headers[i+1])
			}
			w := serve(p, renderToken, r)
			sc := w.Header().Values("Set-Cookie")
			if len(sc) != 1 {
				t.Fatalf("Set-Cookie %q; want one", sc)
			}
			ck := w.Result().Cookies()[0]
			if ck.Name != c.wantName || ck.Secure != c.wantSecure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
				t.Fatalf("cookie %q", sc[0])
			}
			if ck.MaxAge != cookieMaxAge {
				t.Fatalf("Max-Age %d", ck.MaxAge)
			}
			if strings.Contains(sc[0], strings.TrimSuffix(strings.TrimPrefix(w.Body.String(), "<p>"), "</p>")) {
				t.Fatal("cookie carries the token")
			}
			if got := w.Header().Get("Vary"); got != "Cookie" {
				t.Fatalf("Vary %q", got)
			}
		})
	}
}

func TestSetCookieOnlyWhenNeeded(t *testing.T) {
	p := mustNew(t, Config{})
	first := serve(p, renderToken, newRequest("GET", "http://example.com/", nil))
	cookie := first.Result().Cookies()[0]

	cases := []struct {
		name       string
		h          http.HandlerFunc
		cookie     string
		wantCookie bool
		wantVary   bool
	}{
		{"no token rendered, no cookie", renderNothing, "", false, false},
		{"no token rendered, json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{}")
		}, "", false, false},
		{"token rendered, valid cookie", renderToken, cookie.Name + "=" + cookie.Value, false, true},
		{"token rendered, stale cookie", renderToken, "csrf=" + strings.Repeat("A", cookieValueLen), true, true},
		{"token rendered, no cookie", renderToken, "", true, true},
		{"token rendered, nothing written", func(w http.ResponseWriter, r *http.Request) { _ = Token(r) }, "", true, true},
		{"token rendered after WriteHeader", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			io.WriteString(w, Token(r))
		}, "", true, true},
		{"token rendered after 64 KiB", func(w http.ResponseWriter, r *http.Request) {
			w.Write(make([]byte, maxBuffer+1))
			io.WriteString(w, Token(r))
		}, "", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRequest("GET", "http://example.com/", nil)
			if c.cookie != "" {
				r.Header.Set("Cookie", c.cookie)
			}
			w := serve(p, c.h, r)
			if got := len(w.Header().Values("Set-Cookie")) == 1; got != c.wantCookie {
				t.Fatalf("Set-Cookie %q; want cookie %v", w.Header().Values("Set-Cookie"), c.wantCookie)
			}
			if got := w.Header().Get("Vary") == "Cookie"; got != c.wantVary {
				t.Fatalf("Vary %q; want %v", w.Header().Get("Vary"), c.wantVary)
			}
		})
	}
}

func TestRejectedRequestNeverGetsCookie(t *testing.T) {
	cases := []struct {
		name string
		fail http.HandlerFunc
	}{
		{"failure handler renders a token", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			io.WriteString(w, string(TemplateField(r)))
		}},
		{"failure handler rotates", func(w http.ResponseWriter, r *http.Request) {
			if err := Rotate(w, r); err == nil {
				t.Error("Rotate on a rejected request succeeded")
			}
			w.WriteHeader(403)
		}},
		{"default failure handler", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{}
			if c.fail != nil {
				cfg.FailureHandler = c.fail
			}
			p := mustNew(t, cfg)
			r := newRequest("POST", "http://example.com/", nil)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			w := serve(p, renderToken, r)
			if w.Code != 403 || len(w.Header().Values("Set-Cookie")) != 0 {
				t.Fatalf("status %d, Set-Cookie %q", w.Code, w.Header().Values("Set-Cookie"))
			}
		})
	}
}

// After a login renews the session ID, a session-bound csrf cookie stops
// verifying: the next page that renders a token issues a new one.
func TestSessionRenewalReissuesCookie(t *testing.T) {
	hs := newHarness(t, Config{SessionCookie: "sid"})
	cookie, _ := hs.mint(t, "http://example.com/token", "sid=old")
	renewed := strings.Replace(cookie, "sid=old", "sid=new", 1)

	// An unsafe request before any new page: rejected with a clear reason.
	r := newRequest("POST", "http://example.com/submit", nil)
	r.Header.Set("Cookie", renewed)
	r.Header.Set(hs.p.headerName, strings.Repeat("A", tokenLen))
	hs.expect(t, hs.do(r), ErrBadCookie)

	// The next safe request rendering a token gets a cookie for the new session.
	cookie2, token := hs.mint(t, "http://example.com/token", "sid=new")
	if cookie2 == "sid=new" {
		t.Fatal("no new csrf cookie issued after session renewal")
	}
	r = newRequest("POST", "http://example.com/submit", nil)
	r.Header.Set("Cookie", cookie2)
	r.Header.Set(hs.p.headerName, token)
	hs.expect(t, hs.do(r), nil)
}

// A session library that sets its renewed cookie before the csrf cookie is
// written gets the new value bound.
func TestRotateBindsRenewedSessionFromResponse(t *testing.T) {
	p := mustNew(t, Config{SessionCookie: "sid"})
	var csrfCookie *http.Cookie
	r := newRequest("POST", "http://example.com/login", nil)
	r.Header.Set("Cookie", "sid=old")
	r.Header.Set("Origin", "http://example.com")
	// exempt the login itself so the test needs no token
	h := Exempt(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "new", Path: "/"})
		if err := Rotate(w, r); err != nil {
			t.Fatal(err)
		}
	})))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.Name == "csrf" {
			csrfCookie = c
		}
	}
	if csrfCookie == nil {
		t.Fatal("no csrf cookie")
	}
	var secret [secretLen]byte
	if ok, _ := p.signer.verify(&secret, csrfCookie.Value, "new"); !ok {
		t.Fatal("csrf cookie not bound to the renewed session")
	}
}

func TestSecretStoreSavesOnRender(t *testing.T) {
	store := &memStore{}
	p := mustNew(t, Config{Secrets: store})
	w := serve(p, renderToken, newRequest("GET", "http://example.com/", nil))
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatal("secret store mode set a cookie")
	}
	if len(store.secret) != secretLen {
		t.Fatalf("secret not saved: %d bytes", len(store.secret))
	}
	// No render, no save.
	store2 := &memStore{}
	serve(mustNew(t, Config{Secrets: store2}), renderNothing, newRequest("GET", "http://example.com/", nil))
	if store2.secret != nil {
		t.Fatal("secret saved without a render")
	}
}

// A response that hands a new csrf secret to a client must never be stored
// by a shared cache (CDN, proxy): it would give the same secret — and the
// token rendered with it — to every later visitor, the attacker included.
func TestIssuedCookieIsNeverSharedCacheable(t *testing.T) {
	cases := []struct{ name, cc, want string }{
		{"no cache-control", "", "private"},
		{"public page", "public, max-age=600", "private, max-age=600"},
		{"s-maxage", "max-age=60, s-maxage=600", "private, max-age=60"},
		{"already private", "private, max-age=60", "private, max-age=60"},
		{"no-store kept", "no-store", "no-store"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustNew(t, Config{Key: testKey, Logger: quietLogger()})
			w := serve(p, func(w http.ResponseWriter, r *http.Request) {
				if c.cc != "" {
					w.Header().Set("Cache-Control", c.cc)
				}
				renderToken(w, r)
			}, newRequest("GET", "http://example.com/", nil))
			if len(w.Result().Cookies()) != 1 {
				t.Fatalf("want one Set-Cookie, got %q", w.Header().Values("Set-Cookie"))
			}
			if got := strings.Join(w.Header().Values("Cache-Control"), ", "); got != c.want {
				t.Fatalf("Cache-Control %q; want %q", got, c.want)
			}
		})
	}
	t.Run("no cookie issued leaves cache-control alone", func(t *testing.T) {
		p := mustNew(t, Config{Key: testKey, Logger: quietLogger()})
		w := serve(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=600")
			renderNothing(w, r)
		}, newRequest("GET", "http://example.com/", nil))
		if got := w.Header().Get("Cache-Control"); got != "public, max-age=600" {
			t.Fatalf("Cache-Control %q changed on a response without a csrf cookie", got)
		}
	})
}

// The session cookie the csrf cookie is bound to must be the one the app's
// session library reads (net/http's r.Cookie: the first value it accepts).
// Otherwise a sibling subdomain tossing, over plain HTTP, a session cookie
// with a value net/http skips (here a backslash) — plus a csrf cookie the
// attacker minted for that value — passes the binding while the request
// runs in the victim's real session.
func TestSessionBindingReadsTheCookieNetHTTPReads(t *testing.T) {
	p := mustNew(t, Config{Key: testKey, SessionCookie: "session", Logger: quietLogger()})
	var sessionSeen string
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err == nil {
			sessionSeen = c.Value
		}
		if r.Method == "GET" {
			io.WriteString(w, Token(r))
		}
	}))
	mint := func(session string) (cookie, token string) {
		r := newRequest("GET", "http://example.com/", nil)
		r.Header.Set("Cookie", "session="+session)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result().Cookies()[0].Value, w.Body.String()
	}
	victimCookie, _ := mint("victim")
	for _, tossed := range []string{`evil\x`, "evil\"x", `"evil\x"`} {
		t.Run(tossed, func(t *testing.T) {
			attackerCookie, attackerToken := mint(tossed)
			r := newRequest("POST", "http://example.com/transfer", nil)
			r.Header.Set("Cookie", "session="+tossed+"; csrf="+attackerCookie+"; session=victim; csrf="+victimCookie)
			r.Header.Set(DefaultHeaderName, attackerToken)
			sessionSeen = ""
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusForbidden {
				t.Fatalf("status %d, the handler ran in session %q with the attacker's csrf cookie and token", w.Code, sessionSeen)
			}
		})
	}
}
