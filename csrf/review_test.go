package csrf

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// lyingBody claims (via the request's ContentLength) far more than it
// holds, and records the largest buffer it was asked to fill.
type lyingBody struct {
	r       io.Reader
	largest int
}

func (b *lyingBody) Read(p []byte) (int, error) {
	b.largest = max(b.largest, len(p))
	return b.r.Read(p)
}

func (b *lyingBody) Close() error { return nil }

// A client that declares a large Content-Length but sends a few bytes must
// not make the Protector allocate the declared size up front: memory has
// to follow the bytes that actually arrive.
func TestBodyMemoryFollowsArrivingBytes(t *testing.T) {
	hs := newHarness(t, Config{})
	cookie, tok := hs.mint(t, "http://example.com/", "")
	body := &lyingBody{r: strings.NewReader("name=alice&csrf_token=" + tok)}
	r := newRequest("POST", "http://example.com/submit", nil)
	r.Body = body
	r.ContentLength = DefaultMaxBodyBytes
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", cookie)
	hs.expect(t, hs.do(r), ErrBadBody)
	if body.largest > 1<<20 {
		t.Fatalf("the Protector handed the body a %d-byte buffer for a %d-byte body", body.largest, len("name=alice&csrf_token=")+len(tok))
	}
}

// In ReportOnly mode a request the Protector would have rejected still
// reaches the handler — and must reach it with its body intact, even when
// the Protector stopped reading it half-way (too large, malformed).
func TestReportOnlyHandlerSeesWholeBody(t *testing.T) {
	big := "name=alice&pad=" + strings.Repeat("x", 4096) + "&last=yes"
	mp := func(t *testing.T, truncate int) (string, string) {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("name", "alice")
		mw.WriteField("pad", strings.Repeat("x", 4096))
		mw.WriteField("last", "yes")
		mw.Close()
		s := b.String()
		return s[:len(s)-truncate], mw.FormDataContentType()
	}
	cases := []struct {
		name    string
		body    func(t *testing.T) (string, string)
		chunked bool
		max     int64
		want    error
	}{
		{"urlencoded chunked over the limit", func(*testing.T) (string, string) {
			return big, "application/x-www-form-urlencoded"
		}, true, 1024, ErrBodyTooLarge},
		{"multipart chunked over the limit", func(t *testing.T) (string, string) { return mp(t, 0) }, true, 1024, ErrBodyTooLarge},
		{"multipart malformed", func(t *testing.T) (string, string) {
			s, ct := mp(t, 0)
			return strings.Replace(s, "\r\n\r\n", "\r\n", 1), ct
		}, false, 0, ErrBadBody},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs logRecorder
			p := mustNew(t, Config{Key: testKey, ReportOnly: true, MaxBodyBytes: c.max, Logger: logs.logger()})
			var got []byte
			h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
			}))
			body, ct := c.body(t)
			r := newRequest("POST", "http://example.com/submit", strings.NewReader(body))
			r.Header.Set("Content-Type", ct)
			r.Header.Set("Cookie", "csrf="+mintCookie(t, p))
			if c.chunked {
				r.ContentLength = -1
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("status %d; report-only must let the request through", w.Code)
			}
			if !strings.Contains(logs.String(), c.want.Error()) {
				t.Fatalf("log %q does not name %v", logs.String(), c.want)
			}
			if string(got) != body {
				t.Fatalf("handler read %d bytes of the %d-byte body (starting %.40q)", len(got), len(body), got)
			}
		})
	}
}

// mintCookie returns a valid csrf cookie value from p.
func mintCookie(t *testing.T, p *Protector) string {
	t.Helper()
	w := serve(p, renderToken, newRequest("GET", "http://example.com/", nil))
	for _, c := range w.Result().Cookies() {
		if c.Name == "csrf" {
			return c.Value
		}
	}
	t.Fatal("no csrf cookie issued")
	return ""
}

// While the response of a client without a secret is held back, a
// handler's second WriteHeader must not overtake its first: net/http keeps
// the first status, and so must the Protector.
func TestBufferedSuperfluousWriteHeaderKeepsFirstStatus(t *testing.T) {
	p := mustNew(t, Config{Key: testKey, Logger: quietLogger()})
	w := serve(p, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/next")
		w.WriteHeader(http.StatusSeeOther)
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "see other")
	}, newRequest("GET", "http://example.com/", nil))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d; want the handler's first status, 303", w.Code)
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

// A per-form token rendered with an empty (or relative) action is bound to
// the path the browser will post to — the URL the Protector saw — even
// when a handler inside it sees a rewritten path (http.StripPrefix).
func TestFormTokenResolvesAgainstProtectedURL(t *testing.T) {
	p := mustNew(t, Config{Key: testKey, PerFormTokens: true, Logger: quietLogger()})
	inner := http.NewServeMux()
	inner.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, FormToken(r, "POST", "")+" "+FormToken(r, "POST", "save"))
	})
	inner.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	h := p.Handler(http.StripPrefix("/app", inner))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest("GET", "http://example.com/app/form", nil))
	cookie := w.Result().Cookies()[0]
	toks := strings.Fields(w.Body.String())
	for i, path := range []string{"/app/form", "/app/save"} {
		r := newRequest("POST", "http://example.com"+path, nil)
		r.Header.Set("Cookie", cookie.Name+"="+cookie.Value)
		r.Header.Set(DefaultHeaderName, toks[i])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("POST %s with its per-form token: status %d", path, w.Code)
		}
	}
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

// A request with a nil Body (possible for requests built by hand or by
// other middleware) is a 403 with a reason, never a panic.
func TestNilBodyIsRejectedNotPanic(t *testing.T) {
	for _, c := range []struct {
		ct   string
		want error
	}{
		{"application/x-www-form-urlencoded", ErrNoToken},
		{"multipart/form-data; boundary=x", ErrBadBody},
	} {
		t.Run(c.ct, func(t *testing.T) {
			hs := newHarness(t, Config{})
			cookie, _ := hs.mint(t, "http://example.com/", "")
			r := newRequest("POST", "http://example.com/submit", nil)
			r.Body = nil
			r.ContentLength = -1
			r.Header.Set("Content-Type", c.ct)
			r.Header.Set("Cookie", cookie)
			hs.expect(t, hs.do(r), c.want)
		})
	}
}
