package closenotify

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// wrapper hides the CloseNotify of the writer it wraps, as many
// middlewares' writers do, but lets http.ResponseController unwrap it.
type wrapper struct{ http.ResponseWriter }

func (w wrapper) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// opaque hides everything: no CloseNotify, no Unwrap.
type opaque struct{ http.ResponseWriter }

// The channel fires when the client goes away, whether net/http's own
// writer is reached directly, through Unwrap, or not at all.
func TestChannelFiresWhenTheClientGoesAway(t *testing.T) {
	for name, wrap := range map[string]func(http.ResponseWriter) http.ResponseWriter{
		"direct":  func(w http.ResponseWriter) http.ResponseWriter { return w },
		"unwrap":  func(w http.ResponseWriter) http.ResponseWriter { return wrapper{w} },
		"context": func(w http.ResponseWriter) http.ResponseWriter { return opaque{w} },
	} {
		t.Run(name, func(t *testing.T) {
			done := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ch := Channel(wrap(w), r.Context())
				w.Write([]byte("data: hello\n\n"))
				w.(http.Flusher).Flush()
				<-ch
				close(done)
			}))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || line != "data: hello\n" {
				t.Fatalf("first line %q, %v", line, err)
			}
			resp.Body.Close() // unread body: the transport closes the connection
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("CloseNotify channel never fired after the client left")
			}
		})
	}
}

// The fallback channel does not fire while the request is alive.
func TestFallbackWaitsForTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := Channel(opaque{httptest.NewRecorder()}, ctx)
	select {
	case <-ch:
		t.Fatal("fired before the context ended")
	default:
	}
	cancel()
	if !<-ch {
		t.Fatal("want true")
	}
}

// A Notifier hands out one channel per response, however often it is
// asked: a stream that asks on every write must not pile up channels.
func TestNotifierReturnsOneChannel(t *testing.T) {
	var n Notifier
	var w http.ResponseWriter = opaque{httptest.NewRecorder()}
	ctx := t.Context()
	first := n.Channel(w, ctx)
	allocs := testing.AllocsPerRun(100, func() {
		if n.Channel(w, ctx) != first {
			t.Fatal("a second channel")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per call after the first", allocs)
	}
}
