// This file holds the middleware and its response writer, which commits
// the session before the first byte of the response leaves.

package session

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/bulwark-go/bulwark/internal/closenotify"
	"github.com/bulwark-go/bulwark/internal/fault"
	"github.com/bulwark-go/bulwark/internal/forward"
)

// Handler returns middleware that gives next's requests their session. The
// session is loaded on first use, and committed when next first calls
// WriteHeader, Write, ReadFrom, Flush or Hijack on the response (so the
// cookie goes out with the headers), or when next returns without writing.
// A store failure before the headers went out replaces the response with
// Config.ErrorHandler's, or with a bare status 499 when the failure was
// only the client going away (ErrClientGone; ErrorHandler is not called). Wrapping a handler twice with one Manager is
// harmless: the inner layer passes requests through.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return forward.To(next, func(w http.ResponseWriter, r *http.Request) {
		if m.state(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		st := m.newState(r)
		r = r.WithContext(contextWithState(r, m, st))
		st.r = r
		sw := &st.sw
		sw.rw, sw.st = w, st
		next.ServeHTTP(sw, r)
		if !sw.started {
			sw.start()
			return
		}
		st.commit(w.Header(), true)
	})
}

// responseWriter commits the session before the response starts. It keeps
// http.Flusher, http.Hijacker, io.ReaderFrom, http.CloseNotifier and,
// through Unwrap, every
// http.ResponseController feature of the writer it wraps.
type responseWriter struct {
	rw      http.ResponseWriter
	st      *reqState
	started bool // headers went out (or were replaced by the error page)
	failed  bool // the ErrorHandler's response replaced the handler's
	closed  closenotify.Notifier
}

// start commits the session and, if that or the load failed, sends the
// ErrorHandler's response instead of the handler's. It reports whether the
// handler's response may proceed.
func (w *responseWriter) start() bool {
	if w.started {
		return !w.failed
	}
	w.started = true
	w.st.commit(w.rw.Header(), false)
	w.st.mu.Lock()
	err := w.st.err
	w.st.mu.Unlock()
	if err == nil {
		return true
	}
	w.failed = true
	h := w.rw.Header()
	for k := range h {
		delete(h, k) // nothing the handler prepared may leak into the error page
	}
	if errors.Is(err, ErrClientGone) {
		w.rw.WriteHeader(fault.StatusClientGone) // rarely read; access logs record it
		return false
	}
	w.st.m.cfg.ErrorHandler.ServeHTTP(w.rw, w.st.r)
	return false
}

func (w *responseWriter) replacedErr() error {
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	return w.st.err
}

// Header implements http.ResponseWriter.
func (w *responseWriter) Header() http.Header { return w.rw.Header() }

// WriteHeader implements http.ResponseWriter. Informational 1xx headers
// (other than 101) pass straight through without committing.
func (w *responseWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		if !w.started {
			w.rw.WriteHeader(code)
		}
		return
	}
	if w.start() {
		w.rw.WriteHeader(code)
	}
}

// Write implements http.ResponseWriter. After a store failure replaced the
// response it writes nothing and returns the failure.
func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.start() {
		return 0, w.replacedErr()
	}
	return w.rw.Write(p)
}

// WriteString implements io.StringWriter.
func (w *responseWriter) WriteString(s string) (int, error) {
	if !w.start() {
		return 0, w.replacedErr()
	}
	return io.WriteString(w.rw, s)
}

// ReadFrom implements io.ReaderFrom, keeping the underlying writer's
// sendfile/splice fast path.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.start() {
		return 0, w.replacedErr()
	}
	if rf, ok := w.rw.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{w.rw}, src)
}

// Flush implements http.Flusher.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is what http.ResponseController.Flush calls.
func (w *responseWriter) FlushError() error {
	w.start() // the error page, if any, is flushed too
	return http.NewResponseController(w.rw).Flush()
}

// Hijack implements http.Hijacker. The session is committed first; a
// cookie it would set cannot reach the client on a hijacked connection,
// so change the session's ID before upgrading, in an earlier request.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.start() {
		return nil, nil, w.replacedErr()
	}
	return http.NewResponseController(w.rw).Hijack()
}

// CloseNotify implements the deprecated http.CloseNotifier, which gin's
// c.Stream needs: the underlying writer's channel, or one that fires when
// the request ends (see closenotify.Channel).
func (w *responseWriter) CloseNotify() <-chan bool {
	return w.closed.Channel(w.rw, w.st.r.Context())
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.rw }

type writerOnly struct{ io.Writer }
