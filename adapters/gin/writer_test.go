package bulwarkgin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The writer keeps gin's bookkeeping: the status waits for the first
// write (so headers set after c.Status still go out), the first write
// fixes it, and Size counts body bytes.
func TestWriterBookkeeping(t *testing.T) {
	rec := httptest.NewRecorder()
	w := newResponseWriter(rec, context.Background())
	if w.Written() || w.Size() != -1 || w.Status() != http.StatusOK {
		t.Fatalf("fresh: written %v, size %d, status %d", w.Written(), w.Size(), w.Status())
	}
	w.WriteHeader(http.StatusCreated)
	w.Header().Set("X-Late", "yes")
	w.Write([]byte("ab"))
	w.WriteString("cde")
	w.WriteHeader(http.StatusTeapot) // too late
	if !w.Written() || w.Size() != 5 || w.Status() != http.StatusCreated {
		t.Errorf("written %v, size %d, status %d", w.Written(), w.Size(), w.Status())
	}
	if rec.Code != http.StatusCreated || rec.Header().Get("X-Late") != "yes" || rec.Body.String() != "abcde" {
		t.Errorf("sent %d %q %q", rec.Code, rec.Header().Get("X-Late"), rec.Body.String())
	}
	if _, _, err := w.Hijack(); err != errHijackAfterBody {
		t.Errorf("Hijack after the body: %v", err)
	}
	if w.Pusher() != nil || w.Unwrap() != rec {
		t.Error("Pusher or Unwrap")
	}
}

// An informational status goes out at once and leaves the final one open.
func TestWriterInformational(t *testing.T) {
	rec := &statusLog{ResponseWriter: httptest.NewRecorder()}
	w := newResponseWriter(rec, context.Background())
	w.WriteHeader(http.StatusEarlyHints)
	if w.Written() || w.Status() != http.StatusOK || len(rec.codes) != 1 {
		t.Fatalf("after 103: written %v, status %d, sent %v", w.Written(), w.Status(), rec.codes)
	}
	w.WriteHeader(http.StatusAccepted)
	w.WriteHeaderNow()
	if len(rec.codes) != 2 || rec.codes[1] != http.StatusAccepted {
		t.Errorf("sent %v; want [103 202]", rec.codes)
	}
}

type statusLog struct {
	http.ResponseWriter
	codes []int
}

func (s *statusLog) WriteHeader(code int) {
	s.codes = append(s.codes, code)
	s.ResponseWriter.WriteHeader(code)
}

// Flush sends the headers; http.ResponseController reaches it.
func TestWriterFlush(t *testing.T) {
	rec := httptest.NewRecorder()
	w := newResponseWriter(rec, context.Background())
	w.WriteHeader(http.StatusAccepted)
	if err := http.NewResponseController(w).Flush(); err != nil || !rec.Flushed || rec.Code != http.StatusAccepted || !w.Written() {
		t.Errorf("flush: %v, flushed %v, code %d", err, rec.Flushed, rec.Code)
	}
}

// Without a CloseNotifier below it, CloseNotify fires when the request's
// context ends.
func TestWriterCloseNotifyFallback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := newResponseWriter(httptest.NewRecorder(), ctx)
	ch := w.CloseNotify()
	if w.CloseNotify() != ch {
		t.Fatal("a second call made another channel")
	}
	select {
	case <-ch:
		t.Fatal("fired before the request ended")
	default:
	}
	cancel()
	if !<-ch {
		t.Fatal("want true")
	}
}

// Hijack reaches net/http's connection through a middleware's writer
// that only offers Unwrap.
func TestWriterHijack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		conn, buf, err := newResponseWriter(unwrapper{rw}, r.Context()).Hijack()
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		buf.Flush()
	}))
	defer srv.Close()
	if res := newClient(t, srv.URL).get("/"); res.status != http.StatusOK || res.body != "hijacked" {
		t.Fatalf("status %d %q", res.status, res.body)
	}
}

type unwrapper struct{ http.ResponseWriter }

func (u unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }
