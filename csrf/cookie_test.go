package csrf

import (
	"bytes"
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

func TestBufferedResponseIsIntact(t *testing.T) {
	p := mustNew(t, Config{})
	body := strings.Repeat("x", 1000)
	w := serve(p, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-App", "1")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, body)
		io.WriteString(w, Token(r))
	}, newRequest("GET", "http://example.com/", nil))
	if w.Code != http.StatusTeapot || !strings.HasPrefix(w.Body.String(), body) || w.Header().Get("X-App") != "1" {
		t.Fatalf("status %d, body %d bytes", w.Code, w.Body.Len())
	}
	if len(w.Header().Values("Set-Cookie")) != 1 {
		t.Fatal("no cookie")
	}
	// Without WriteHeader, the buffered body still reaches the first Write,
	// so the Content-Type is sniffed as usual.
	w = serve(p, renderToken, newRequest("GET", "http://example.com/", nil))
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("sniffed Content-Type %q", ct)
	}
}

func TestFlushEndsBuffering(t *testing.T) {
	p := mustNew(t, Config{})
	w := serve(p, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		if !w.(*responseWriter).st.headerDone {
			t.Error("headers not sent by Flush")
		}
		io.WriteString(w, "b")
	}, newRequest("GET", "http://example.com/", nil))
	if w.Body.String() != "ab" || !w.Flushed {
		t.Fatalf("body %q flushed %v", w.Body, w.Flushed)
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
	if !p.signer.decode(&secret, csrfCookie.Value, "new") {
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

func TestHijackWhileBuffering(t *testing.T) {
	p := mustNew(t, Config{})
	srv := httptest.NewServer(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, bw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		bw.Flush()
	})))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "hi" {
		t.Fatalf("body %q", b)
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

func TestExemptAsOuterWrapper(t *testing.T) {
	p := mustNew(t, Config{})
	h := Exempt(p.Handler(http.HandlerFunc(renderNothing)))
	r := newRequest("POST", "http://example.com/hook", strings.NewReader("{}"))
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
}

// The verified-cookie cache accepts exactly what verification accepts: a
// cached cookie still fails for another session, a tampered copy fails,
// and the secret it returns is the one the cookie carries.
func TestCookieVerifyCache(t *testing.T) {
	sg := newCookieSigner(testKey)
	var secret [secretLen]byte
	newSecret(&secret)
	for _, session := range []string{"", "sess-A", strings.Repeat("s", maxCachedSession+1)} {
		v := sg.encode(&secret, session)
		for i := range 3 { // the first call verifies and caches, the others hit the cache
			var got [secretLen]byte
			if !sg.decode(&got, v, session) || got != secret {
				t.Fatalf("session %.10q, call %d: valid cookie rejected or wrong secret", session, i)
			}
		}
		var got [secretLen]byte
		if sg.decode(&got, v, session+"x") || sg.decode(&got, v, "sess-B") {
			t.Fatalf("session %.10q: cached cookie verified for another session", session)
		}
		tampered := []byte(v)
		tampered[10] ^= 1
		if sg.decode(&got, string(tampered), session) {
			t.Fatalf("session %.10q: tampered cookie verified", session)
		}
		other := newCookieSigner(bytes.Repeat([]byte{7}, 32))
		if other.decode(&got, v, session) {
			t.Fatalf("session %.10q: cookie verified under another key", session)
		}
	}
}

func TestEqualCT(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 1}, {"abc", "abc", 1}, {"abc", "abd", 0}, {"xbc", "abc", 0}} {
		if got := equalCT(c.a, c.b); got != c.want {
			t.Errorf("equalCT(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
