package csrf

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// An event stream that waits for the client to leave the way gin's
// c.Stream does, through the deprecated http.CloseNotifier, works for a
// client without a secret (whose response is held back until the flush)
// and ends when the client closes the connection.
func TestCloseNotifyFiresWhenTheClientLeaves(t *testing.T) {
	p := mustNew(t, Config{Key: testKey, Logger: quietLogger()})
	done := make(chan struct{})
	srv := httptest.NewServer(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gone := w.(http.CloseNotifier).CloseNotify()
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: "+Token(r)+"\n\n")
		w.(http.Flusher).Flush()
		<-gone
		close(done)
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || len(line) != len("data: \n")+tokenLen {
		t.Fatalf("first event %q, %v", line, err)
	}
	if len(resp.Cookies()) != 1 {
		t.Error("the streamed response carries no csrf cookie")
	}
	resp.Body.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("CloseNotify never fired after the client left")
	}
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
