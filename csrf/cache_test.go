package csrf

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// A token unmasks to the client's secret, so a response that renders one
// must never be storable by a shared cache, even for a client that already
// holds its secret (no Set-Cookie is sent then) and whatever caching the
// handler asked for; a page that renders no token keeps the caching the
// handler chose.
func TestTokenPagesAreNeverSharedCacheable(t *testing.T) {
	page := func(withToken bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			// Written in pieces, as html/template does.
			io.WriteString(w, "<!doctype html><title>notes</title><form method=post>")
			if withToken {
				io.WriteString(w, `<input type=hidden name=csrf_token value="`+Token(r)+`">`)
			}
			io.WriteString(w, "</form>")
		}
	}
	expires := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	caching := []struct {
		name, cc, expires string
	}{
		{"no caching headers", "", ""},
		{"public", "public, max-age=600", ""},
		{"max-age", "max-age=600", ""},
		{"s-maxage", "max-age=60, s-maxage=600", ""},
		{"Expires", "", expires},
		{"no-cache", "no-cache", ""},
	}
	clients := []struct {
		name string
		p    func(t *testing.T) (*Protector, string)
	}{
		{"cookie secret", func(t *testing.T) (*Protector, string) {
			p := mustNew(t, Config{})
			return p, "csrf=" + mintCookie(t, p)
		}},
		{"stored secret", func(t *testing.T) (*Protector, string) {
			return mustNew(t, Config{Secrets: &memStore{secret: []byte(strings.Repeat("s", secretLen))}}), ""
		}},
	}
	for _, cl := range clients {
		for _, c := range caching {
			t.Run(cl.name+"/"+c.name, func(t *testing.T) {
				p, cookie := cl.p(t)
				for _, withToken := range []bool{true, false} {
					r := newRequest("GET", "http://example.com/notes", nil)
					if cookie != "" {
						r.Header.Set("Cookie", cookie)
					}
					w := httptest.NewRecorder()
					p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if c.cc != "" {
							w.Header().Set("Cache-Control", c.cc)
						}
						if c.expires != "" {
							w.Header().Set("Expires", c.expires)
						}
						page(withToken)(w, r)
					})).ServeHTTP(w, r)
					if n := len(w.Header().Values("Set-Cookie")); n != 0 {
						t.Fatalf("a client holding its secret got %d Set-Cookie", n)
					}
					cc := strings.Join(w.Header().Values("Cache-Control"), ", ")
					if withToken {
						if !hasDirective(cc, "private") && !hasDirective(cc, "no-store") {
							t.Errorf("token page: Cache-Control %q lets a shared cache store the token", cc)
						}
						if hasDirective(cc, "public") || hasDirective(cc, "s-maxage") {
							t.Errorf("token page: Cache-Control %q still invites shared caches", cc)
						}
						if !slices.Contains(w.Header().Values("Vary"), "Cookie") {
							t.Errorf("token page: Vary %q", w.Header().Values("Vary"))
						}
					} else if (c.cc != "" || c.expires != "") && cc != c.cc {
						t.Errorf("page without a token: Cache-Control %q, want the handler's %q", cc, c.cc)
					}
					if !strings.Contains(w.Body.String(), "</form>") {
						t.Errorf("body cut: %q", w.Body.String())
					}
				}
			})
		}
	}
}

// A token rendered after the response headers went out (a JSON endpoint
// that writes its status first) cannot add Vary: Cookie or make the
// response private any more. In Debug mode that is logged, once per
// Protector; a response whose handler set both itself is not logged.
func TestLateTokenWithoutCachingHeadersIsLoggedOnceInDebug(t *testing.T) {
	json := func(own bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if own {
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Set("Vary", "Cookie")
			}
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"csrf":"`+Token(r)+`"}`)
		}
	}
	const msg = "after the response headers were sent"
	for _, debug := range []bool{true, false} {
		logs := &testlog.Buffer{}
		p := mustNew(t, Config{Debug: debug, Logger: logs.Logger()})
		cookie := "csrf=" + mintCookie(t, p)
		for _, own := range []bool{true, false, false} {
			r := newRequest("GET", "http://example.com/api/token", nil)
			r.Header.Set("Cookie", cookie)
			w := serve(p, json(own), r)
			if !strings.Contains(w.Body.String(), `"csrf":"`) || w.Code != http.StatusOK {
				t.Fatalf("response %d %q", w.Code, w.Body.String())
			}
		}
		want := 0
		if debug {
			want = 1
		}
		if n := strings.Count(logs.String(), msg); n != want {
			t.Errorf("Debug %v: logged %d times, want %d:\n%s", debug, n, want, logs)
		}
	}
}

func hasDirective(cc, name string) bool {
	for d := range strings.SplitSeq(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == name || strings.HasPrefix(d, name+"=") {
			return true
		}
	}
	return false
}

// A FailureHandler that renders a retry form with a fresh token (the
// client holds a stored secret) gets the same headers as any token page.
func TestRejectionPageWithTokenIsPrivate(t *testing.T) {
	p := mustNew(t, Config{
		Secrets: &memStore{secret: []byte(strings.Repeat("s", secretLen))},
		FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Cache-Control", "public, max-age=600")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<form method=post><input name=csrf_token value="`+Token(r)+`"></form>`)
		}),
	})
	r := newRequest("POST", "https://example.com/notes", strings.NewReader("body=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	w := serve(p, func(w http.ResponseWriter, r *http.Request) { t.Error("handler ran") }, r)
	if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), `value=""`) {
		t.Fatalf("%d %q: want a 403 with a token", w.Code, w.Body.String())
	}
	cc := w.Header().Get("Cache-Control")
	if !hasDirective(cc, "private") || hasDirective(cc, "public") || !slices.Contains(w.Header().Values("Vary"), "Cookie") {
		t.Errorf("rejection page with a token: Cache-Control %q, Vary %q", cc, w.Header().Values("Vary"))
	}
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Error("a rejection got a Set-Cookie")
	}
}

// CDN-targeted cache headers (RFC 9213 CDN-Cache-Control, Fastly's
// Surrogate-Control, ...) override Cache-Control at the CDN: a token page
// must not keep them, and they make a page shared-cacheable.
func TestTokenPageDropsCDNCacheHeaders(t *testing.T) {
	p := mustNew(t, Config{})
	cookie := "csrf=" + mintCookie(t, p)
	for _, withToken := range []bool{true, false} {
		r := newRequest("GET", "http://example.com/", nil)
		r.Header.Set("Cookie", cookie)
		w := serve(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("CDN-Cache-Control", "max-age=600")
			w.Header().Set("Cloudflare-CDN-Cache-Control", "max-age=600")
			w.Header().Set("Surrogate-Control", "max-age=600")
			io.WriteString(w, "<p>")
			if withToken {
				io.WriteString(w, Token(r))
			}
		}, r)
		for _, name := range []string{"CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control"} {
			if got := w.Header().Get(name); (got == "") != withToken {
				t.Errorf("token rendered %v: %s %q", withToken, name, got)
			}
		}
	}
}
