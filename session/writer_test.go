package session_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

// TestStreamingFlushCommitsFirst is a server-sent-events handler: it flushes
// early and keeps the response open until the client has read the first
// event. The cookie must be in the headers and the session in the store by
// then.
func TestStreamingFlushCommitsFirst(t *testing.T) {
	f := newFixture(t, nil)
	release := make(chan struct{})
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.m.PutString(r.Context(), "stream", "open")
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		<-release
		_, _ = io.WriteString(w, "data: last\n\n")
	})))
	defer srv.Close()
	defer close(release)

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "data: first\n" {
		t.Fatalf("first event %q, %v", line, err)
	}
	var c *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "session" {
			c = ck
		}
	}
	if c == nil {
		t.Fatal("no session cookie in the streamed response's headers")
	}
	if _, found, _ := f.mem.Find(t.Context(), session.HashID(c.Value)); !found {
		t.Error("session not stored before the first event")
	}
}

// An event stream that waits for the client to leave the way gin's
// c.Stream does, through the deprecated http.CloseNotifier, ends when the
// client closes the connection.
func TestCloseNotifyFiresWhenTheClientLeaves(t *testing.T) {
	f := newFixture(t, nil)
	done := make(chan struct{})
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gone := w.(http.CloseNotifier).CloseNotify()
		f.m.PutString(r.Context(), "stream", "open")
		_, _ = io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-gone
		close(done)
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line != "data: first\n" {
		t.Fatalf("first event %q, %v", line, err)
	}
	resp.Body.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("CloseNotify never fired after the client left")
	}
}

// TestHijackCommitsFirst is a websocket-style upgrade: the session change
// made before Hijack must be stored.
func TestHijackCommitsFirst(t *testing.T) {
	f := newFixture(t, nil)
	c := f.start(t, "k", "v")
	hijacked := make(chan bool, 1)
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.m.PutString(r.Context(), "k", "upgraded")
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			hijacked <- false
			return
		}
		defer conn.Close()
		_, found, _ := f.mem.Find(r.Context(), session.HashID(c.Value))
		rec, _, _ := f.mem.Find(r.Context(), session.HashID(c.Value))
		hijacked <- found && strings.Contains(string(rec.Values["k"]), "upgraded")
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
		_ = buf.Flush()
	})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.AddCookie(c)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("status %d", resp.StatusCode)
	}
	if !<-hijacked {
		t.Error("session not committed before Hijack returned")
	}
}

func TestResponseControllerReachesUnderlyingWriter(t *testing.T) {
	f := newFixture(t, nil)
	errs := make(chan error, 3)
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		errs <- rc.SetWriteDeadline(time.Now().Add(time.Minute))
		errs <- rc.SetReadDeadline(time.Now().Add(time.Minute))
		errs <- rc.EnableFullDuplex()
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("ResponseController: %v", err)
		}
	}
}

func TestWriterInterfaces(t *testing.T) {
	f := newFixture(t, nil)
	f.do(t, func(w http.ResponseWriter, r *http.Request) {
		checks := map[string]bool{}
		_, checks["http.Flusher"] = w.(http.Flusher)
		_, checks["http.Hijacker"] = w.(http.Hijacker)
		_, checks["io.ReaderFrom"] = w.(io.ReaderFrom)
		_, checks["io.StringWriter"] = w.(io.StringWriter)
		_, checks["http.CloseNotifier"] = w.(http.CloseNotifier)
		_, checks["Unwrap"] = w.(interface{ Unwrap() http.ResponseWriter })
		for name, ok := range checks {
			if !ok {
				t.Errorf("wrapped writer is not a %s", name)
			}
		}
	})
}

func TestEarlyHintsDoNotCommit(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.m.PutString(r.Context(), "k", "v")
		w.Header().Set("Link", "</app.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		if f.store.sessions(t) != 0 {
			t.Error("103 Early Hints committed the session")
		}
		_, _ = w.Write([]byte("ok"))
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f.store.sessions(t) != 1 || len(resp.Cookies()) != 1 || resp.StatusCode != http.StatusOK {
		t.Errorf("final response %d with cookies %v; %d stored", resp.StatusCode, resp.Cookies(), f.store.sessions(t))
	}
}
