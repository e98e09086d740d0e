package stacks

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// A signed-in user's own page opens the socket; a page on another origin,
// or a program that sends no Origin, is refused before the handshake
// reaches the handler, cookie or not.
func TestWebSocketRecipe(t *testing.T) {
	k, err := NewKit(t.Context(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Accounts.Create(t.Context(), "alice", password); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(WebSocket(k))
	defer srv.Close()
	alice := newClient(t, srv.URL)
	login := url.Values{"username": {"alice"}, "password": {password}, "csrf_token": {alice.token("/login")}}
	if res := alice.post("/login", login, sameOrigin(srv.URL)); res.status != http.StatusSeeOther {
		t.Fatalf("login: %d", res.status)
	}
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	dial := func(origin string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		return websocket.Dial(t.Context(), wsURL, &websocket.DialOptions{HTTPClient: alice.c, HTTPHeader: h})
	}

	c, _, err := dial(srv.URL)
	if err != nil {
		t.Fatalf("same-origin dial: %v", err)
	}
	if err := c.Write(t.Context(), websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(t.Context()); err != nil || string(msg) != "ping" {
		t.Fatalf("echo %q, %v", msg, err)
	}
	c.Close(websocket.StatusNormalClosure, "")

	for _, origin := range []string{"http://evil.example", ""} {
		_, res, err := dial(origin)
		if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("dial with Origin %q: %v, response %v; want 403", origin, err, res)
		}
	}
}
