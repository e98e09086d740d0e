// This file holds the Cross-Site WebSocket Hijacking tests: a small chat
// app (session + csrf + a github.com/coder/websocket echo endpoint) dialled
// over real HTTP by the library's client, and opened from pages in
// headless Chromium, its own and an attacker's.

package e2e

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
)

// wsWait bounds every wait for a server-side signal.
const wsWait = 15 * time.Second

// refusal is what the FailureHandler saw of a refused request.
type refusal struct {
	reason            error
	user              string // the session's user: the cookie came along
	origin, fetchSite string
}

// chatApp is the victim: GET /login signs the browser in as alice, GET
// /chat is a page that opens a WebSocket to /ws, which echoes messages.
type chatApp struct {
	handler     http.Handler
	unprotected http.Handler // the same app without the Protector
	refused     chan refusal
	accepted    chan string // the user of each accepted handshake
	upgrades    atomic.Int32
	logs        syncBuffer

	ctx    context.Context // ends the echo loops
	cancel func()
	conns  sync.WaitGroup
}

func newChatApp(t *testing.T, mode csrf.Mode) *chatApp {
	t.Helper()
	a := &chatApp{refused: make(chan refusal, 8), accepted: make(chan string, 8)}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	store, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// SameSite=None; Secure: a cookie the browser sends on cross-site
	// requests too, so that only the Protector stands in the way.
	sessions, err := session.New(session.Config{Store: store, SameSite: http.SameSiteNoneMode, Secure: session.SecureAlways})
	if err != nil {
		t.Fatal(err)
	}
	cfg := csrf.Config{Mode: mode, Logger: slog.New(slog.NewTextHandler(&a.logs, nil)),
		FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, _ := sessions.GetString(r.Context(), "user")
			a.refused <- refusal{csrf.Reason(r), user, r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")}
			http.Error(w, "refused", http.StatusForbidden)
		})}
	if mode == csrf.Full {
		cfg.Secrets = sessions.CSRFSecrets()
	}
	protector, err := csrf.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		sessions.PutString(r.Context(), "user", "alice")
		fmt.Fprint(w, `<!doctype html><p id="who">alice</p>`)
	})
	mux.HandleFunc("GET /chat", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>chat</title><script>%s
ws.onopen = () => { wsEvents.push("open"); ws.send("ping"); };</script>`, openSocket("ws://"+html.EscapeString(r.Host)+"/ws"))
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		a.upgrades.Add(1)
		user, _ := sessions.GetString(r.Context(), "user")
		// Bulwark has checked the Origin already; the library's own check is
		// off here to show that Bulwark is what refuses a foreign page.
		// Keep it on in an app (it is the default).
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		a.accepted <- user
		a.conns.Add(1)
		go a.echo(c)
	})
	a.handler = sessions.Handler(protector.Handler(mux))
	a.unprotected = sessions.Handler(mux)
	t.Cleanup(func() {
		a.cancel()
		a.conns.Wait()
		store.Close()
		if t.Failed() {
			t.Logf("app logs:\n%s", a.logs.String())
		}
	})
	return a
}

// echo sends every message back until the client goes or the test ends.
func (a *chatApp) echo(c *websocket.Conn) {
	defer a.conns.Done()
	defer c.CloseNow()
	for {
		typ, msg, err := c.Read(a.ctx)
		if err != nil {
			return
		}
		if err := c.Write(a.ctx, typ, msg); err != nil {
			return
		}
	}
}

// openSocket is the page script that opens a WebSocket to url and records
// its events in window.wsEvents.
func openSocket(url string) string {
	return `window.wsEvents = [];
const ws = new WebSocket("` + url + `");
ws.onerror = () => wsEvents.push("error");
ws.onclose = () => wsEvents.push("close");
ws.onmessage = (e) => wsEvents.push("message:" + e.data);`
}

func (a *chatApp) waitRefusal(t *testing.T) refusal {
	t.Helper()
	select {
	case r := <-a.refused:
		return r
	case <-time.After(wsWait):
		t.Fatalf("no refused request reached the app within %v", wsWait)
	}
	return refusal{}
}

func (a *chatApp) waitAccepted(t *testing.T) string {
	t.Helper()
	select {
	case u := <-a.accepted:
		return u
	case r := <-a.refused:
		t.Fatalf("the handshake was refused: %+v", r)
	case <-time.After(wsWait):
		t.Fatalf("no handshake was accepted within %v", wsWait)
	}
	return ""
}

// TestWebSocketDial dials the app with coder/websocket's client over real
// HTTP: another origin, and no Origin at all, are refused with 403 before
// the handler runs; the app's own origin connects and gets its echo.
func TestWebSocketDial(t *testing.T) {
	for _, mode := range []csrf.Mode{csrf.Full, csrf.Tokenless} {
		t.Run(mode.String(), func(t *testing.T) {
			a := newChatApp(t, mode)
			srv := httptest.NewServer(a.handler)
			defer srv.Close()
			wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
			ctx, cancel := context.WithTimeout(context.Background(), wsWait)
			defer cancel()

			refused := []struct {
				name   string
				header http.Header
				want   error
				also   error
			}{
				{"another origin", http.Header{"Origin": {"http://evil.example"}}, csrf.ErrWebSocketOrigin, csrf.ErrBadOrigin},
				{"cross-site", http.Header{"Origin": {"http://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}, csrf.ErrWebSocketOrigin, csrf.ErrCrossSite},
				{"Origin null", http.Header{"Origin": {"null"}}, csrf.ErrWebSocketOrigin, csrf.ErrNullOrigin},
				{"Origin with a path", http.Header{"Origin": {srv.URL + "/chat"}}, csrf.ErrWebSocketOrigin, csrf.ErrMalformedOrigin},
				{"Origin repeated", http.Header{"Origin": {srv.URL, srv.URL}}, csrf.ErrWebSocketOrigin, csrf.ErrRepeatedHeader},
				{"no Origin", nil, csrf.ErrWebSocketNoOrigin, csrf.ErrWebSocketNoOrigin},
			}
			for _, c := range refused {
				t.Run(c.name, func(t *testing.T) {
					c2, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: c.header})
					if err == nil {
						c2.CloseNow()
						t.Fatal("the handshake was upgraded")
					}
					if resp == nil || resp.StatusCode != http.StatusForbidden {
						t.Fatalf("dial: %v, response %+v; want 403", err, resp)
					}
					if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
						t.Errorf("refused handshake got Set-Cookie %q", sc)
					}
					got := a.waitRefusal(t)
					if !errors.Is(got.reason, c.want) || !errors.Is(got.reason, c.also) {
						t.Errorf("reason %v; want %v and %v", got.reason, c.want, c.also)
					}
					if n := a.upgrades.Load(); n != 0 {
						t.Errorf("the WebSocket handler ran %d times", n)
					}
				})
			}

			t.Run("same origin echoes", func(t *testing.T) {
				c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {srv.URL}, "Sec-Fetch-Site": {"same-origin"}}})
				if err != nil {
					t.Fatalf("dial from the app's own origin: %v", err)
				}
				defer c.CloseNow()
				a.waitAccepted(t)
				if err := c.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
					t.Fatal(err)
				}
				_, msg, err := c.Read(ctx)
				if err != nil || string(msg) != "hello" {
					t.Fatalf("echo = %q, %v; want hello", msg, err)
				}
				c.Close(websocket.StatusNormalClosure, "")
			})
		})
	}
}

// TestWebSocketHijackingInChromium: alice signs in to the app on
// localhost; a page on 127.0.0.1 (another site) opens a WebSocket to it.
// The handshake reaches the app with alice's session cookie and is refused
// with ErrWebSocketOrigin; the page sees error and close, never open. The
// app's own page connects and its message round-trips.
func TestWebSocketHijackingInChromium(t *testing.T) {
	cases := []struct {
		name              string
		thirdPartyCookies bool
	}{
		// The cookie is SameSite=None: with third-party cookies allowed the
		// attack carries it, so only the Protector stops it.
		{"third-party cookies allowed", true},
		// A fresh profile blocks third-party cookies; the handshake is
		// refused all the same, and the log says whether the cookie came.
		{"default profile", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab := newTab(t, c.thirdPartyCookies)
			a := newChatApp(t, csrf.Full)
			victim := serveOn(t, "localhost:0", a.handler)
			attacker := serveOn(t, "127.0.0.1:0", attackPage(victim))
			login(t, tab, victim)

			if err := chromedp.Do(tab, chromedp.Navigate(attacker+"/")); err != nil {
				t.Fatalf("open the attacker page: %v", err)
			}
			got := a.waitRefusal(t)
			// Chromium 156 sends no Sec-Fetch-Site on a handshake: the Origin
			// is what gives the attack away.
			layer := csrf.ErrBadOrigin
			if got.fetchSite == "cross-site" {
				layer = csrf.ErrCrossSite
			}
			if !errors.Is(got.reason, csrf.ErrWebSocketOrigin) || !errors.Is(got.reason, layer) {
				t.Errorf("reason %v; want ErrWebSocketOrigin and %v", got.reason, layer)
			}
			if got.origin != attacker {
				t.Errorf("handshake had Origin %q; want the attacker's, %q", got.origin, attacker)
			}
			if c.thirdPartyCookies && got.user != "alice" {
				t.Errorf("the attack's handshake carried the session of %q; want alice's (SameSite=None, third-party cookies allowed)", got.user)
			}
			t.Logf("cross-site handshake: Origin %q, Sec-Fetch-Site %q, session cookie sent = %v", got.origin, got.fetchSite, got.user != "")
			events := pageEvents(t, tab, `wsEvents.includes("close")`)
			if strings.Contains(events, "open") || !strings.Contains(events, "error") {
				t.Errorf("attacker page events %s; want error and close, no open", events)
			}
			if n := a.upgrades.Load(); n != 0 {
				t.Errorf("the WebSocket handler ran %d times for the attack", n)
			}

			if err := chromedp.Do(tab, chromedp.Navigate(victim+"/chat")); err != nil {
				t.Fatalf("open the chat page: %v", err)
			}
			if user := a.waitAccepted(t); user != "alice" {
				t.Errorf("the app's own handshake had the session of %q; want alice", user)
			}
			events = pageEvents(t, tab, `wsEvents.includes("message:ping")`)
			if !strings.Contains(events, `"open"`) {
				t.Errorf("chat page events %s; want open and the echo", events)
			}
		})
	}
}

// TestWebSocketHijackingUnprotected is the attack against the same app
// without the Protector: it connects with alice's session and reads what
// the socket sends. It shows that the refusal above is the Protector's.
func TestWebSocketHijackingUnprotected(t *testing.T) {
	tab := newTab(t, true)
	a := newChatApp(t, csrf.Full)
	victim := serveOn(t, "localhost:0", a.unprotected)
	attacker := serveOn(t, "127.0.0.1:0", attackPage(victim))
	login(t, tab, victim)
	if err := chromedp.Do(tab, chromedp.Navigate(attacker+"/")); err != nil {
		t.Fatalf("open the attacker page: %v", err)
	}
	if user := a.waitAccepted(t); user != "alice" {
		t.Fatalf("the attack's handshake had the session of %q; want alice", user)
	}
	events := pageEvents(t, tab, `wsEvents.includes("message:read")`)
	t.Logf("unprotected: the attacker page saw %s", events)
}

// attackPage serves the attacker's page, which opens a WebSocket to the
// victim and, once open, sends "read" (the echo is what it reads back).
func attackPage(victim string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>attacker</title><script>%s
ws.onopen = () => { wsEvents.push("open"); ws.send("read"); };</script>`, openSocket("ws"+strings.TrimPrefix(victim, "http")+"/ws"))
	})
}

// login signs the tab in to the victim.
func login(t *testing.T, tab context.Context, victim string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(victim+"/login"), chromedp.WaitVisible("#who")); err != nil {
		t.Fatalf("log in: %v", err)
	}
}

// serveOn serves h on addr until the test ends and returns its base URL.
func serveOn(t *testing.T, addr string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve %s: %v", addr, err)
		}
	})
	host := ln.Addr().String()
	if strings.HasPrefix(addr, "localhost:") {
		host = fmt.Sprintf("localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	}
	return "http://" + host
}

// pageEvents waits until the predicate over window.wsEvents holds, and
// returns the events as JSON.
func pageEvents(t *testing.T, tab context.Context, predicate string) string {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](predicate, chromedp.WithPollingTimeout(wsWait))); err != nil {
		events, _ := chromedp.Run(tab, chromedp.Evaluate[string](`JSON.stringify(window.wsEvents)`))
		t.Fatalf("waiting for %s: %v; events %s", predicate, err, events)
	}
	events, err := chromedp.Run(tab, chromedp.Evaluate[string](`JSON.stringify(window.wsEvents)`))
	if err != nil {
		t.Fatal(err)
	}
	return events
}
