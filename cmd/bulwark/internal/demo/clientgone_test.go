package demo_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// A signed-in user whose requests are abandoned (the tab closed before the
// app touched its stores) costs no ERROR or WARN line, gets the unread 499,
// and stays signed in. Under wrk, every disconnect used to log up to five
// ERROR lines.
func TestClientsThatLeaveAreNotFaults(t *testing.T) {
	var logs testlog.Buffer
	d, err := demo.New(context.Background(), demo.Config{
		DataDir: t.TempDir(), PasswordParams: testParams, VictimURL: victimOrigin, AttackerURL: attackerOrigin,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	addUser(t, d, "alice")
	c := newClient(t, d.Victim())
	c.login("alice")
	token := c.token("/notes")
	before := logs.String()

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/", ""},
		{"GET", "/notes", ""},
		{"POST", "/notes", url.Values{"body": {"hello"}, "csrf_token": {token}}.Encode()},
		{"GET", "/api/notes", ""},
		{"POST", "/api/notes", url.Values{"body": {"hello"}, "csrf_token": {token}}.Encode()},
		{"POST", "/logout", url.Values{"csrf_token": {token}}.Encode()},
	} {
		r := httptest.NewRequestWithContext(gone, req.method, victimOrigin+req.path, strings.NewReader(req.body))
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Origin", victimOrigin)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for name, val := range c.cookies {
			r.AddCookie(&http.Cookie{Name: name, Value: val})
		}
		w := httptest.NewRecorder()
		d.Victim().ServeHTTP(w, r)
		if w.Code != 499 {
			t.Errorf("%s %s from a client that left: status %d, want 499", req.method, req.path, w.Code)
		}
	}
	after := strings.TrimPrefix(logs.String(), before)
	if strings.Contains(after, "level=ERROR") || strings.Contains(after, "level=WARN") {
		t.Fatalf("clients that left were logged as faults:\n%s", after)
	}
	if res := c.do("GET", "/notes", "", nil); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "alice") {
		t.Fatalf("alice is no longer signed in: %d", res.StatusCode)
	}
}
