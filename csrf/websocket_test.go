package csrf

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// handshake is one row of the WebSocket table. The zero row is a
// same-origin browser handshake over plain HTTP to /ws.
type handshake struct {
	name    string
	cfg     Config
	method  string   // default GET
	target  string   // default http://example.com/ws
	upgrade []string // Upgrade lines; nil: "websocket"; []string{}: none
	headers []string // name, value pairs; nil: a same-origin browser's
	token   string   // "": none; "cookie": the csrf cookie only; "valid": cookie and token header
	want    error    // nil: the handler runs
	also    error    // a second reason errors.Is must match
}

var (
	wsSame     = []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"}
	wsCross    = []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"}
	wsNoOrigin = []string{}
)

func handshakes() []handshake {
	trusted := Config{TrustedOrigins: []string{"https://partner.example.org"}}
	return []handshake{
		{name: "same-origin handshake passes"},
		{name: "same-origin https handshake passes", target: "https://example.com/ws", headers: []string{"Sec-Fetch-Site", "same-origin", "Origin", "https://example.com"}},
		{name: "Origin alone, same origin, passes", headers: []string{"Origin", "http://example.com"}},
		{name: "cross-site", headers: wsCross, want: ErrWebSocketOrigin, also: ErrCrossSite},
		{name: "cross-site with our own Origin is still cross-site", headers: []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://example.com"}, want: ErrWebSocketOrigin, also: ErrCrossSite},
		{name: "same-site sibling", headers: []string{"Sec-Fetch-Site", "same-site", "Origin", "http://a.example.com"}, want: ErrWebSocketOrigin, also: ErrSameSite},
		{name: "foreign Origin without Sec-Fetch-Site", headers: []string{"Origin", "http://evil.example"}, want: ErrWebSocketOrigin, also: ErrBadOrigin},
		{name: "same-origin claim with foreign Origin", headers: []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://evil.example"}, want: ErrWebSocketOrigin, also: ErrBadOrigin},
		{name: "Origin on another port", headers: []string{"Origin", "http://example.com:8080"}, want: ErrWebSocketOrigin, also: ErrBadOrigin},
		{name: "https Origin on an http request", headers: []string{"Origin", "https://example.com"}, want: ErrWebSocketOrigin, also: ErrBadOrigin},
		{name: "trusted origin cross-site passes", cfg: trusted, headers: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://partner.example.org"}},
		{name: "trusted origin enforces scheme", cfg: trusted, headers: []string{"Origin", "http://partner.example.org"}, want: ErrWebSocketOrigin, also: ErrBadOrigin},
		{name: "Origin null", headers: []string{"Origin", "null"}, want: ErrWebSocketOrigin, also: ErrNullOrigin},
		{name: "Origin with path", headers: []string{"Origin", "http://example.com/ws"}, want: ErrWebSocketOrigin, also: ErrMalformedOrigin},
		{name: "Origin garbage", headers: []string{"Origin", "\x00\xff garbage"}, want: ErrWebSocketOrigin, also: ErrMalformedOrigin},
		{name: "Origin megabyte", headers: []string{"Origin", "http://" + strings.Repeat("a", 1<<20)}, want: ErrWebSocketOrigin, also: ErrMalformedOrigin},
		{name: "Origin repeated", headers: []string{"Origin", "http://example.com", "Origin", "http://example.com"}, want: ErrWebSocketOrigin, also: ErrRepeatedHeader},
		{name: "Sec-Fetch-Site repeated", headers: []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"}, want: ErrWebSocketOrigin, also: ErrRepeatedHeader},

		// No Origin: a program, not a browser page.
		{name: "no Origin refused", headers: wsNoOrigin, want: ErrWebSocketNoOrigin},
		{name: "no Origin with a same-origin Referer refused", headers: []string{"Referer", "http://example.com/chat"}, want: ErrWebSocketNoOrigin},
		{name: "no Origin but Sec-Fetch-Site refused", headers: []string{"Sec-Fetch-Site", "same-origin"}, want: ErrWebSocketNoOrigin},
		{name: "no Origin allowed with AllowMissingMetadata", cfg: Config{AllowMissingMetadata: true}, headers: wsNoOrigin},
		{name: "AllowMissingMetadata does not pass Sec-Fetch-Site without Origin", cfg: Config{AllowMissingMetadata: true}, headers: []string{"Sec-Fetch-Site", "cross-site"}, want: ErrWebSocketNoOrigin},
		{name: "AllowMissingMetadata still checks a present Origin", cfg: Config{AllowMissingMetadata: true}, headers: wsCross, want: ErrWebSocketOrigin, also: ErrCrossSite},
		{name: "Referer is not looked at", target: "https://example.com/ws", headers: []string{"Origin", "https://example.com", "Referer", "http://evil.example/"}},

		// What counts as a handshake.
		{name: "Upgrade WebSocket casing", upgrade: []string{"WebSocket"}, headers: wsCross, want: ErrWebSocketOrigin},
		{name: "Upgrade list h2c, websocket", upgrade: []string{"h2c, websocket"}, headers: wsCross, want: ErrWebSocketOrigin},
		{name: "Upgrade websocket on a second line", upgrade: []string{"h2c", "websocket"}, headers: wsCross, want: ErrWebSocketOrigin},
		{name: "Upgrade websocket with a version", upgrade: []string{"websocket/13"}, headers: wsCross, want: ErrWebSocketOrigin},
		{name: "Upgrade websocket among garbage", upgrade: []string{"\x00\xff,, websocket ,\x7f"}, headers: wsCross, want: ErrWebSocketOrigin},
		{name: "Upgrade with a folded letter", upgrade: []string{"webſocket"}, headers: wsCross, want: ErrWebSocketOrigin},
		{name: "Upgrade garbage alone is a plain GET", upgrade: []string{"\x00garbage"}, headers: wsCross},
		{name: "Upgrade h2c alone is a plain GET", upgrade: []string{"h2c"}, headers: wsCross},
		{name: "no Upgrade is a plain GET", upgrade: []string{}, headers: wsCross},
		{name: "HEAD with Upgrade is not a handshake", method: "HEAD", headers: wsCross},
		{name: "POST with Upgrade still needs the token", method: "POST", headers: wsSame, token: "cookie", want: ErrNoToken},
		{name: "POST with Upgrade and token passes", method: "POST", headers: wsSame, token: "valid"},
		{name: "POST with Upgrade cross-site is an ordinary refusal", method: "POST", headers: wsCross, token: "valid", want: ErrCrossSite},
		{name: "extended CONNECT cross-site", method: "CONNECT", upgrade: []string{}, headers: append([]string{":protocol", "websocket"}, wsCross...), want: ErrWebSocketOrigin, also: ErrCrossSite},
		{name: "extended CONNECT same-origin passes without token", method: "CONNECT", upgrade: []string{}, headers: append([]string{":protocol", "websocket"}, wsSame...)},
		{name: "extended CONNECT without Origin", method: "CONNECT", upgrade: []string{}, headers: []string{":protocol", "websocket"}, want: ErrWebSocketNoOrigin},
		{name: "plain CONNECT still needs the token", method: "CONNECT", upgrade: []string{}, headers: wsSame, token: "cookie", want: ErrNoToken},

		// Exemptions and rollout.
		{name: "exempt handler", target: "http://example.com/exempt-handler", headers: wsCross},
		{name: "exempt path", cfg: Config{ExemptPaths: []string{"/ws"}}, headers: wsNoOrigin},
		{name: "exempt path does not cover another path", cfg: Config{ExemptPaths: []string{"/ws"}}, target: "http://example.com/ws2", headers: wsCross, want: ErrWebSocketOrigin},
		{name: "exempt path does not cover dot-dot", cfg: Config{ExemptPaths: []string{"/ws/"}}, target: "http://example.com/ws/../admin", headers: wsCross, want: ErrWebSocketOrigin},
		{name: "report-only lets it through", cfg: Config{ReportOnly: true}, headers: wsCross},
	}
}

func TestWebSocketHandshake(t *testing.T) {
	for _, c := range handshakes() {
		for _, mode := range []Mode{Full, Tokenless} {
			if mode == Tokenless && c.token == "valid" {
				continue
			}
			want := c.want
			if mode == Tokenless && errors.Is(want, ErrNoToken) {
				want = nil // Tokenless has no token layer
			}
			t.Run(mode.String()+"/"+c.name, func(t *testing.T) {
				c.cfg.Mode = mode
				hs := newHarness(t, c.cfg)
				mux := &countingMux{ServeMux: app()}
				hs.h = hs.p.Handler(mux)
				r := handshakeRequest(t, hs, c)
				mux.n = 0 // minting a token ran it
				w := hs.do(r)
				hs.expect(t, w, want)
				if want != nil && mux.n != 0 {
					t.Fatalf("the handler ran %d times for a refused handshake", mux.n)
				}
				if want == nil && mux.n != 1 {
					t.Fatalf("the handler ran %d times; want once", mux.n)
				}
				if c.also != nil && !errors.Is(hs.reason, c.also) {
					t.Fatalf("reason %v does not match %v", hs.reason, c.also)
				}
				if want != nil && !errors.Is(want, ErrWebSocketOrigin) && errors.Is(hs.reason, ErrWebSocketOrigin) {
					t.Fatalf("reason %v is a handshake reason; want %v", hs.reason, want)
				}
			})
		}
	}
}

// countingMux counts the requests it serves. It is still a router, so the
// Protector sees the Exempt handlers behind it.
type countingMux struct {
	*http.ServeMux
	n int
}

func (m *countingMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.n++
	m.ServeMux.ServeHTTP(w, r)
}

// handshakeRequest builds c's request.
func handshakeRequest(t *testing.T, hs *harness, c handshake) *http.Request {
	t.Helper()
	method, target := c.method, c.target
	if method == "" {
		method = "GET"
	}
	if target == "" {
		target = "http://example.com/ws"
	}
	var cookie, token string
	if c.token != "" {
		base := target[:strings.Index(target, "/ws")]
		cookie, token = hs.mint(t, base+"/token", "")
	}
	r := newRequest(method, target, nil)
	if method == "CONNECT" {
		// As Go's HTTP/2 server builds an extended CONNECT: :authority in
		// Host, :path in the URL (httptest reads the target as an authority).
		r = newRequest("GET", target, nil)
		r.Method = method
	}
	upgrade := c.upgrade
	if upgrade == nil {
		upgrade = []string{"websocket"}
	}
	for _, v := range upgrade {
		r.Header.Add("Upgrade", v)
	}
	if len(upgrade) > 0 {
		r.Header.Set("Connection", "Upgrade")
		r.Header.Set("Sec-WebSocket-Version", "13")
		r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	}
	headers := c.headers
	if headers == nil {
		headers = wsSame
	}
	for i := 0; i+1 < len(headers); i += 2 {
		// Add, not Set: ":protocol" must stay as Go's HTTP/2 server spells it.
		r.Header[headers[i]] = append(r.Header[headers[i]], headers[i+1])
	}
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	if c.token == "valid" {
		r.Header.Set(hs.p.headerName, token)
	}
	return r
}

// A refused handshake is logged with its own reason, gets the default 403
// page and no Set-Cookie; a passing one gets no cookie unless its handler
// renders a token.
func TestWebSocketDefaultPageAndLog(t *testing.T) {
	var log testlog.Buffer
	p := mustNew(t, Config{Key: testKey, Logger: log.Logger()})
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("upgraded")) }))
	r := newRequest("GET", "http://example.com/ws", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Origin", "http://evil.example")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "upgraded") || len(w.Result().Cookies()) > 0 {
		t.Fatalf("status %d, body %q, cookies %v", w.Code, w.Body.String(), w.Result().Cookies())
	}
	want := `reason="csrf: websocket handshake from another origin: origin does not match the request's origin or a trusted origin"`
	if !strings.Contains(log.String(), want) {
		t.Fatalf("log %q lacks %s", log.String(), want)
	}

	r.Header.Set("Origin", "http://example.com")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || len(w.Result().Cookies()) > 0 {
		t.Fatalf("same-origin handshake: status %d, cookies %v", w.Code, w.Result().Cookies())
	}
}

func TestWebSocketReportOnlyLogs(t *testing.T) {
	var log testlog.Buffer
	p := mustNew(t, Config{Mode: Tokenless, ReportOnly: true, Logger: log.Logger()})
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := newRequest("GET", "http://example.com/ws", nil)
	r.Header.Set("Upgrade", "websocket")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(log.String(), "would be rejected") || !strings.Contains(log.String(), ErrWebSocketNoOrigin.Error()) {
		t.Fatalf("status %d, log %q", w.Code, log.String())
	}
}

func TestWebSocketDebugChecklist(t *testing.T) {
	for _, c := range []struct {
		reason error
		want   string
	}{
		{ErrWebSocketNoOrigin, "AllowMissingMetadata"},
		{handshakeReason(ErrBadOrigin), "TrustedOrigins"},
		{handshakeReason(ErrNullOrigin), "Origin: null"},
	} {
		page := debugPage(c.reason, nil)
		if !strings.Contains(page, c.want) {
			t.Errorf("debug page for %v lacks %q", c.reason, c.want)
		}
	}
}

// Every reason an origin layer returns has its handshake reason made in
// advance, which wraps both sentinels.
func TestHandshakeReasons(t *testing.T) {
	for layer, err := range handshakeReasons {
		if !errors.Is(err, ErrWebSocketOrigin) || !errors.Is(err, layer) {
			t.Errorf("%v does not wrap %v and ErrWebSocketOrigin", err, layer)
		}
		if handshakeReason(layer) != err {
			t.Errorf("handshakeReason(%v) is not the prepared error", layer)
		}
		if strings.Count(err.Error(), "csrf: ") != 1 {
			t.Errorf("message %q", err.Error())
		}
	}
	other := errors.New("csrf: other")
	if err := handshakeReason(other); !errors.Is(err, other) || !errors.Is(err, ErrWebSocketOrigin) {
		t.Errorf("unknown layer reason: %v", err)
	}
}

// hasTokenPlain is hasToken written the obvious way.
func hasTokenPlain(v, want string) bool {
	return slices.ContainsFunc(strings.Split(v, ","), func(item string) bool {
		name, _, _ := strings.Cut(strings.TrimSpace(item), "/")
		return strings.EqualFold(strings.TrimSpace(name), want)
	})
}

// FuzzHasToken: hasToken agrees with the plain strings.Split version, and
// says yes to everything a library that compares the whole item (as
// coder/websocket and gorilla/websocket do) would upgrade.
func FuzzHasToken(f *testing.F) {
	for _, s := range []string{"websocket", "WebSocket", "h2c, websocket", " websocket ,", "websocket/13", ",,", "", "webſocket", "web socket", "\twebsocket\t/x", "websocketx", "x, websocket/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := hasToken(v, "websocket")
		if want := hasTokenPlain(v, "websocket"); got != want {
			t.Fatalf("hasToken(%q) = %v, plain version says %v", v, got, want)
		}
		library := slices.ContainsFunc(strings.Split(v, ","), func(item string) bool {
			return strings.EqualFold(strings.TrimSpace(item), "websocket")
		})
		if library && !got {
			t.Fatalf("a library would upgrade Upgrade: %q, hasToken says no", v)
		}
	})
}

// FuzzWebSocketHandshake: any Upgrade, Origin and Sec-Fetch-Site give 200
// or 403, never a panic or another status; a handshake passes only with
// our own Origin, and a refusal always has a reason.
func FuzzWebSocketHandshake(f *testing.F) {
	f.Add("websocket", "http://example.com", "same-origin", false)
	f.Add("h2c, WebSocket", "null", "cross-site", true)
	f.Add("\x00websocket", "http://example.com/x", "", false)
	f.Add("websocket", "", "", true)
	var reason error
	p, err := New(Config{Key: testKey, Logger: quietLogger(), FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reason = Reason(r)
		w.WriteHeader(http.StatusForbidden)
	})})
	if err != nil {
		f.Fatal(err)
	}
	h := p.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	f.Fuzz(func(t *testing.T, upgrade, origin, sfs string, secure bool) {
		target := "http://example.com/ws"
		self := "http://example.com"
		if secure {
			target, self = "https://example.com/ws", "https://example.com"
		}
		r := newRequest("GET", target, nil)
		r.Header.Set("Upgrade", upgrade)
		for k, v := range map[string]string{"Origin": origin, "Sec-Fetch-Site": sfs} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		reason = nil
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch {
		case w.Code != 200 && w.Code != 403:
			t.Fatalf("status %d", w.Code)
		case w.Code == 403 && reason == nil:
			t.Fatal("refused without a reason")
		case w.Code == 200 && hasToken(upgrade, "websocket") && !strings.EqualFold(origin, self):
			t.Fatalf("handshake with Origin %q passed", origin)
		case w.Code == 200 && hasToken(upgrade, "websocket") && (sfs == "cross-site" || sfs == "same-site"):
			t.Fatalf("%s handshake passed", sfs)
		}
	})
}

func handshakeFrom(origin string) func() *http.Request {
	return func() *http.Request {
		r := newRequest("GET", "https://example.com/ws", nil)
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Connection", "Upgrade")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Origin", origin)
		return r
	}
}

// A same-origin handshake in Tokenless mode costs nothing, a refused one
// no more than any origin rejection.
func TestAllocsWebSocketHandshake(t *testing.T) {
	tl := mustNew(t, Config{Mode: Tokenless}).Handler(http.HandlerFunc(bareApp))
	if n := extraAllocs(t, tl, handshakeFrom("https://example.com")); n > 0 {
		t.Fatalf("tokenless same-origin handshake costs %v extra allocations; want 0", n)
	}
	full := mustNew(t, Config{Key: testKey}).Handler(http.HandlerFunc(bareApp))
	n := extraAllocs(t, full, handshakeFrom("https://evil.example"))
	t.Logf("refused handshake: %v extra allocations", n)
	if n > 4 {
		t.Fatalf("refused handshake costs %v extra allocations; want <= 4", n)
	}
}

// BenchmarkPlainGET is the request the handshake check must not slow down:
// a GET without Upgrade costs one more header lookup.
func BenchmarkPlainGET(b *testing.B) {
	r := newRequest("GET", "https://example.com/", nil)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Accept", "text/html")
	mk := func() *http.Request { return r } // Tokenless leaves a GET alone
	b.Run("bare", func(b *testing.B) { benchServe(b, http.HandlerFunc(bareApp), mk) })
	tl, _ := New(Config{Mode: Tokenless, Logger: quietLogger()})
	b.Run("tokenless", func(b *testing.B) { benchServe(b, tl.Handler(http.HandlerFunc(bareApp)), mk) })
}

func BenchmarkWebSocketHandshake(b *testing.B) {
	p, _ := New(Config{Mode: Tokenless, Logger: quietLogger()})
	h := p.Handler(http.HandlerFunc(bareApp))
	b.Run("same-origin", func(b *testing.B) { benchServe(b, h, handshakeFrom("https://example.com")) })
	b.Run("refused", func(b *testing.B) { benchServe(b, h, handshakeFrom("https://evil.example")) })
}
