package csrf

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Key rotation: Config.PreviousKeys.

var newTestKey = bytes.Repeat([]byte("n"), 32)

// csrfCookie returns the csrf cookie a response set, or nil.
func csrfCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == DefaultCookieName || c.Name == "__Host-"+DefaultCookieName {
			return c
		}
	}
	return nil
}

// rotationCase is one deployment a cookie minted under the old key meets.
type rotationCase struct {
	name    string
	target  string // base URL
	session string // "" or the session cookie name
}

var rotationCases = []rotationCase{
	{"http", "http://example.com", ""},
	{"https", "https://example.com", ""},
	{"https bound to session", "https://example.com", "sid"},
}

// mintOld returns a Cookie header and token issued by a Protector whose
// Key is testKey (the key being retired).
func (c rotationCase) mintOld(t *testing.T) (cookie, token string) {
	t.Helper()
	old := newHarness(t, Config{Key: testKey, SessionCookie: c.session})
	extra := ""
	if c.session != "" {
		extra = c.session + "=sess-1"
	}
	return old.mint(t, c.target+"/token", extra)
}

func (c rotationCase) post(cookie, token string) *http.Request {
	r := newRequest("POST", c.target+"/submit", formBody(DefaultFieldName, token))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", c.target)
	r.Header.Set("Cookie", cookie)
	return r
}

func TestPreviousKeysVerify(t *testing.T) {
	for _, c := range rotationCases {
		t.Run(c.name, func(t *testing.T) {
			cookie, token := c.mintOld(t)
			// The old key is the second of two previous keys: every entry is tried.
			hs := newHarness(t, Config{Key: newTestKey, PreviousKeys: [][]byte{bytes.Repeat([]byte("x"), 40), testKey}, SessionCookie: c.session})
			w := hs.do(c.post(cookie, token))
			hs.expect(t, w, nil)
			if sc := w.Header().Values("Set-Cookie"); len(sc) != 0 {
				t.Fatalf("a POST that renders no token got Set-Cookie %q", sc)
			}
			// Still bound to the session: another session's request fails.
			if c.session != "" {
				other := strings.Replace(cookie, "sid=sess-1", "sid=sess-2", 1)
				hs.expect(t, hs.do(c.post(other, token)), ErrBadCookie)
			}
		})
	}
}

func TestPreviousKeysResignOnRender(t *testing.T) {
	for _, c := range rotationCases {
		t.Run(c.name, func(t *testing.T) {
			cookie, oldToken := c.mintOld(t)
			hs := newHarness(t, Config{Key: newTestKey, PreviousKeys: [][]byte{testKey}, SessionCookie: c.session})

			// A page that renders no token leaves the cookie alone.
			r := newRequest("GET", c.target+"/", nil)
			r.Header.Set("Cookie", cookie)
			if w := hs.do(r); csrfCookie(w) != nil {
				t.Fatal("a page without a token re-signed the cookie")
			}

			// A page that renders a token re-signs it, every time until
			// the client sends the new cookie (the verified-cookie cache
			// does not hide a previous-key cookie).
			var fresh *http.Cookie
			for i := range 2 {
				r := newRequest("GET", c.target+"/token", nil)
				r.Header.Set("Cookie", cookie)
				w := hs.do(r)
				if fresh = csrfCookie(w); fresh == nil {
					t.Fatalf("render %d: no re-signed cookie", i)
				}
				if !strings.Contains(w.Header().Get("Cache-Control"), "private") {
					t.Fatalf("render %d: Cache-Control %q", i, w.Header().Get("Cache-Control"))
				}
			}

			// The new cookie is signed with Key alone and carries the same
			// secret, so the token rendered under the old key still works.
			session := ""
			if c.session != "" {
				session = "sess-1"
			}
			var oldSecret, newSecret [secretLen]byte
			oldValue := cookie[strings.Index(cookie, "csrf=")+len("csrf="):]
			if ok, _ := newCookieSigner(testKey).verify(&oldSecret, oldValue, session); !ok {
				t.Fatal("test setup: old cookie does not verify under the old key")
			}
			if ok, _ := newCookieSigner(newTestKey).verify(&newSecret, fresh.Value, session); !ok {
				t.Fatal("re-signed cookie does not verify with Key alone")
			}
			if newSecret != oldSecret {
				t.Fatal("re-signing changed the secret")
			}
			newCookie := fresh.Name + "=" + fresh.Value
			if c.session != "" {
				newCookie = c.session + "=sess-1; " + newCookie
			}
			hs.expect(t, hs.do(c.post(newCookie, oldToken)), nil)

			// Once the client has the new cookie, rendering sends nothing.
			r = newRequest("GET", c.target+"/token", nil)
			r.Header.Set("Cookie", newCookie)
			w := hs.do(r)
			if csrfCookie(w) != nil {
				t.Fatal("a cookie signed with Key was re-issued")
			}
			hs.expect(t, hs.do(c.post(newCookie, w.Body.String())), nil)
		})
	}
}

// A page that writes before it renders the token still re-signs: the
// response is held back as for a client without a secret.
func TestPreviousKeysResignAfterWrite(t *testing.T) {
	c := rotationCases[1]
	cookie, _ := c.mintOld(t)
	p := mustNew(t, Config{Key: newTestKey, PreviousKeys: [][]byte{testKey}, Logger: quietLogger()})
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html><body><form>")
		io.WriteString(w, string(TemplateField(r)))
	}))
	r := newRequest("GET", c.target+"/page", nil)
	r.Header.Set("Cookie", cookie)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if csrfCookie(w) == nil {
		t.Fatal("no re-signed cookie when the token follows other output")
	}
}

// A rejected request never gets the re-signed cookie.
func TestPreviousKeysRejectedNotResigned(t *testing.T) {
	c := rotationCases[1]
	cookie, _ := c.mintOld(t)
	hs := newHarness(t, Config{Key: newTestKey, PreviousKeys: [][]byte{testKey}})
	hs.expect(t, hs.do(c.post(cookie, "")), ErrNoToken) // expect checks there is no Set-Cookie
}

func TestPreviousKeysRemoved(t *testing.T) {
	for _, c := range rotationCases {
		t.Run(c.name, func(t *testing.T) {
			cookie, token := c.mintOld(t)
			rotating := newHarness(t, Config{Key: newTestKey, PreviousKeys: [][]byte{testKey}, SessionCookie: c.session})
			rotating.expect(t, rotating.do(c.post(cookie, token)), nil) // verified (and would be cached, were it current)
			done := newHarness(t, Config{Key: newTestKey, SessionCookie: c.session})
			done.expect(t, done.do(c.post(cookie, token)), ErrBadCookie)
			other := newHarness(t, Config{Key: newTestKey, PreviousKeys: [][]byte{bytes.Repeat([]byte("x"), 32)}, SessionCookie: c.session})
			other.expect(t, other.do(c.post(cookie, token)), ErrBadCookie)

			// The client gets a new secret on its next page.
			r := newRequest("GET", c.target+"/token", nil)
			r.Header.Set("Cookie", cookie)
			if csrfCookie(done.do(r)) == nil {
				t.Fatal("no new cookie after the old key was removed")
			}
		})
	}
}

func TestPreviousKeysConfig(t *testing.T) {
	long := bytes.Repeat([]byte("p"), 32)
	for _, c := range []struct {
		name string
		cfg  Config
		want []string // substrings of the error; nil: valid
	}{
		{"short entry", Config{Key: newTestKey, PreviousKeys: [][]byte{long, []byte("short")}}, []string{"PreviousKeys[1]", "5 bytes", "at least 32"}},
		{"nil entry", Config{Key: newTestKey, PreviousKeys: [][]byte{nil}}, []string{"PreviousKeys[0]", "0 bytes", "remove the entry"}},
		{"31 bytes", Config{Key: newTestKey, PreviousKeys: [][]byte{long[:31]}}, []string{"PreviousKeys[0]", "31 bytes"}},
		{"without Key", Config{PreviousKeys: [][]byte{long}}, []string{"PreviousKeys is set but Key is not", "set Key"}},
		{"valid", Config{Key: newTestKey, PreviousKeys: [][]byte{long, testKey}}, nil},
		{"empty list", Config{Key: newTestKey, PreviousKeys: [][]byte{}}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Logger = quietLogger()
			p, err := New(c.cfg)
			if c.want == nil {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if len(p.signer.pools)-1 != len(c.cfg.PreviousKeys) {
					t.Fatalf("%d previous keys kept, want %d", len(p.signer.pools)-1, len(c.cfg.PreviousKeys))
				}
				return
			}
			if err == nil {
				t.Fatal("New accepted the config")
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
	// An entry equal to Key is dropped: it would only cost an HMAC.
	p := mustNew(t, Config{Key: newTestKey, PreviousKeys: [][]byte{bytes.Clone(newTestKey), testKey}, Logger: quietLogger()})
	if len(p.signer.pools)-1 != 1 {
		t.Fatalf("%d previous keys kept, want 1 (the copy of Key dropped)", len(p.signer.pools)-1)
	}
	// The keys are copied: changing the caller's slice changes nothing.
	prev := bytes.Clone(testKey)
	p = mustNew(t, Config{Key: newTestKey, PreviousKeys: [][]byte{prev}, Logger: quietLogger()})
	var secret, got [secretLen]byte
	newSecret(&secret)
	v := newCookieSigner(testKey).encode(&secret, "")
	prev[0] ^= 1
	if ok, stale := p.signer.verify(&got, v, ""); !ok || !stale {
		t.Fatalf("verify = %v, %v after the caller changed its slice", ok, stale)
	}
}

// A previous-key cookie is stale on every call (until it is re-signed), a
// current-key cookie never is, and a signer without previous keys rejects
// the old cookie.
func TestPreviousKeysStale(t *testing.T) {
	sg := newCookieSigner(newTestKey, testKey)
	old := newCookieSigner(testKey)
	for _, session := range []string{"", "sess-A"} {
		var secret [secretLen]byte
		newSecret(&secret)
		stale := old.encode(&secret, session)
		for i := range 3 {
			var got [secretLen]byte
			ok, isStale := sg.verify(&got, stale, session)
			if !ok || !isStale || got != secret {
				t.Fatalf("session %q call %d: previous-key cookie: ok %v stale %v, secret ok %v", session, i, ok, isStale, got == secret)
			}
		}
		var got [secretLen]byte
		if ok, _ := sg.verify(&got, stale, session+"x"); ok {
			t.Fatalf("session %q: previous-key cookie verified for another session", session)
		}
		current := sg.encode(&secret, session)
		for i := range 3 {
			ok, isStale := sg.verify(&got, current, session)
			if !ok || isStale || got != secret {
				t.Fatalf("session %q call %d: current cookie: ok %v stale %v", session, i, ok, isStale)
			}
		}
		if current == stale {
			t.Fatal("test setup: keys sign alike")
		}
	}
	var secret, got [secretLen]byte
	newSecret(&secret)
	if ok, isStale := newCookieSigner(newTestKey).verify(&got, old.encode(&secret, ""), ""); ok || isStale {
		t.Fatalf("signer without previous keys: ok %v stale %v", ok, isStale)
	}
}

// A valid POST with a cookie signed with Key costs the same allocations
// whether or not PreviousKeys is set.
func TestAllocsFullValidPOSTPreviousKeys(t *testing.T) {
	count := func(cfg Config) float64 {
		hs := newHarness(t, cfg)
		cookie, token := hs.mint(t, "https://example.com/token", "")
		body := "name=alice&csrf_token=" + token
		h := hs.p.Handler(http.HandlerFunc(bareApp))
		mk := func() *http.Request {
			r := newRequest("POST", "https://example.com/submit", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Cookie", cookie)
			r.Header.Set("Origin", "https://example.com")
			return r
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, mk())
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		return extraAllocs(t, h, mk)
	}
	without := count(Config{Key: newTestKey})
	with := count(Config{Key: newTestKey, PreviousKeys: [][]byte{testKey}})
	if with != without {
		t.Fatalf("valid POST: %v extra allocations with PreviousKeys, %v without", with, without)
	}
}
