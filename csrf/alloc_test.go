package csrf

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// These checks keep the hot paths allocation-lean. Each measures the
// protected handler against the same bare handler with identical request
// construction, so only the Protector's own allocations count. The app
// reads one form field, as a form handler (and bench/'s tiny app) does.

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func bareApp(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok "+r.FormValue("name")) }

func extraAllocs(t *testing.T, protected http.Handler, mk func() *http.Request) float64 {
	t.Helper()
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts are not stable under -race or -short")
	}
	run := func(h http.Handler) float64 {
		return testing.AllocsPerRun(200, func() {
			r := mk()
			h.ServeHTTP(&discardWriter{h: http.Header{}}, r)
		})
	}
	return run(protected) - run(http.HandlerFunc(bareApp))
}

func TestAllocsFullValidPOST(t *testing.T) {
	hs := newHarness(t, Config{})
	cookie, token := hs.mint(t, "https://example.com/token", "")
	body := "name=alice&csrf_token=" + token
	h := hs.p.Handler(http.HandlerFunc(bareApp))
	mk := func() *http.Request {
		r := newRequest("POST", "https://example.com/submit", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Cookie", cookie)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Origin", "https://example.com")
		return r
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, mk())
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if n := extraAllocs(t, h, mk); n > 6 {
		t.Fatalf("valid POST costs %v extra allocations; want <= 6", n)
	} else {
		t.Logf("valid POST: %v extra allocations", n)
	}
}

func TestAllocsTokenless(t *testing.T) {
	p := mustNew(t, Config{Mode: Tokenless})
	h := p.Handler(http.HandlerFunc(bareApp))
	mk := func() *http.Request {
		r := newRequest("POST", "https://example.com/submit", strings.NewReader("name=alice"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Origin", "https://example.com")
		return r
	}
	if n := extraAllocs(t, h, mk); n > 0 {
		t.Fatalf("tokenless costs %v extra allocations; want 0", n)
	}
}

func TestAllocsCrossSiteRejection(t *testing.T) {
	p := mustNew(t, Config{})
	h := p.Handler(http.HandlerFunc(bareApp))
	mk := func() *http.Request {
		r := newRequest("POST", "https://example.com/submit", strings.NewReader("name=alice"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", "https://evil.example")
		return r
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, mk())
	if w.Code != 403 || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("status %d Set-Cookie %q", w.Code, w.Header().Values("Set-Cookie"))
	}
	n := extraAllocs(t, h, mk)
	t.Logf("cross-site rejection: %v extra allocations", n)
	if n > 4 {
		t.Fatalf("cross-site rejection costs %v extra allocations; want <= 4", n)
	}
}

func TestAllocsSafeGETWithCookie(t *testing.T) {
	hs := newHarness(t, Config{})
	cookie, _ := hs.mint(t, "https://example.com/token", "")
	h := hs.p.Handler(http.HandlerFunc(bareApp))
	mk := func() *http.Request {
		r := newRequest("GET", "https://example.com/", nil)
		r.Header.Set("Cookie", cookie)
		return r
	}
	n := extraAllocs(t, h, mk)
	t.Logf("GET with cookie: %v extra allocations", n)
	// One of them is the "private" Cache-Control of a page whose headers
	// leave while a token may still be rendered into it.
	if n > 5 {
		t.Fatalf("GET with cookie costs %v extra allocations; want <= 5", n)
	}
}
