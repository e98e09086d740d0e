// writer.go holds the response writer handlers see, which holds a response
// back while a cookie may still have to be added to it, and the headers the
// Protector adds before the response goes out: Vary: Cookie and the csrf
// cookie.

package csrf

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/bulwark-go/bulwark/internal/header"
)

// maxBuffer is how much of a response is held back, when the client has no
// secret yet, to learn whether the page renders a token before the headers
// (and so the Set-Cookie) must go out.
const maxBuffer = 64 << 10

// finishHeaders adds Vary: Cookie, Cache-Control: private and the
// Set-Cookie, once, before the headers are written. complete says the
// handler has returned, so no token can be rendered any more. st.mu is
// held.
func (st *state) finishHeaders(complete bool) {
	if st.headerDone {
		return
	}
	st.headerDone = true
	h := st.w.Header()
	// A token unmasks to the client's secret: a response that carries one
	// depends on the cookie and must stay out of shared caches. While the
	// body is still to come a token may yet be rendered into it, so an
	// HTML response (or one whose type will be sniffed) is treated alike.
	if st.rendered || (!complete && htmlish(h)) {
		header.AddVary(h, "Cookie")
		header.Private(h)
	}
	if st.rejected {
		return // never a Set-Cookie
	}
	if st.issueCookie && (st.rendered || st.rotated) && st.p.secrets == nil {
		st.issueCookie = false
		st.setCookie(h)
	}
}

// markRendered records that a token goes into the response. A token
// rendered after the headers went out without Vary: Cookie and a private
// Cache-Control (a JSON endpoint that writes its status first) may be
// stored by a shared cache, and any token unmasks to the client's secret;
// in Debug mode that is logged, once per Protector. st.mu is held.
func (st *state) markRendered() {
	st.rendered = true
	if !st.headerDone || !st.p.debug {
		return
	}
	h := st.w.Header()
	if header.Varies(h, "Cookie") && header.Unshared(h) || !st.p.lateTokenLogged.CompareAndSwap(false, true) {
		return
	}
	st.p.logger.LogAttrs(st.Context, slog.LevelWarn,
		"csrf: a token was rendered after the response headers were sent without Vary: Cookie and Cache-Control: private, so a shared cache may store it (and with it the client's secret); render tokens before writing the status, or set both headers yourself (logged once)",
		slog.String("method", st.req.Method), slog.String("path", st.req.URL.Path))
}

// holdForToken starts holding back an HTML response that the handler made
// storable by shared caches, when the headers are about to go out before
// any token was rendered: finishHeaders would make it private, in case a
// token follows. Held back, a page that renders no token keeps the caching
// its handler chose. st.mu is held.
func (st *state) holdForToken() bool {
	h := st.w.Header()
	if st.rendered || st.rejected || !htmlish(h) || !header.SharedStorable(h) {
		return false
	}
	st.buffering, st.buf = true, getBuffer()
	return true
}

func htmlish(h http.Header) bool {
	ct := h["Content-Type"]
	if len(ct) == 0 {
		return true
	}
	t := strings.ToLower(strings.TrimSpace(ct[0]))
	return strings.HasPrefix(t, "text/html") || strings.HasPrefix(t, "application/xhtml")
}

// flush ends buffering: final headers, status, buffered body. st.mu held.
func (st *state) flush(complete bool) (err error) {
	buf := st.buf
	st.buffering, st.buf = false, nil
	st.finishHeaders(complete)
	if st.wroteHeader && (st.explicit || buf == nil || buf.Len() == 0) {
		st.w.WriteHeader(st.status)
	}
	if buf != nil {
		if buf.Len() > 0 {
			_, err = st.w.Write(buf.Bytes())
		}
		putBuffer(buf)
	}
	return err
}

// finish runs after the handler returned.
func (st *state) finish() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.buffering {
		_ = st.flush(true)
		return
	}
	st.finishHeaders(true)
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 2*maxBuffer {
		return
	}
	b.Reset()
	bufPool.Put(b)
}

// responseWriter is the http.ResponseWriter handlers see. It supports
// http.Flusher, http.Hijacker, http.CloseNotifier and
// http.ResponseController (Unwrap).
type responseWriter struct{ st *state }

func (w *responseWriter) Header() http.Header { return w.st.w.Header() }

func (w *responseWriter) WriteHeader(code int) {
	st := w.st
	if code >= 100 && code < 200 {
		st.w.WriteHeader(code)
		return
	}
	st.mu.Lock()
	if st.wroteHeader {
		buffering := st.buffering
		st.mu.Unlock()
		// The first status wins, as in net/http. While buffering it has
		// not reached the underlying writer yet, so this call must not.
		if !buffering {
			st.w.WriteHeader(code) // let net/http report the superfluous call
		}
		return
	}
	st.wroteHeader = true
	if st.buffering || st.holdForToken() {
		st.status, st.explicit = code, true
		st.mu.Unlock()
		return
	}
	st.finishHeaders(false)
	st.mu.Unlock()
	st.w.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	st := w.st
	st.mu.Lock()
	if buffered, err := st.beginWrite(len(b)); buffered || err != nil {
		n := 0
		if err == nil {
			n, err = st.buf.Write(b)
		}
		st.mu.Unlock()
		return n, err
	}
	st.mu.Unlock()
	return st.w.Write(b)
}

// WriteString is Write for strings, so that io.WriteString (as used by
// templates and fmt) does not copy s.
func (w *responseWriter) WriteString(s string) (int, error) {
	st := w.st
	st.mu.Lock()
	if buffered, err := st.beginWrite(len(s)); buffered || err != nil {
		n := 0
		if err == nil {
			n, err = st.buf.WriteString(s)
		}
		st.mu.Unlock()
		return n, err
	}
	st.mu.Unlock()
	return io.WriteString(st.w, s)
}

// beginWrite prepares a write of n bytes: it settles the status, and
// reports whether the bytes go to the buffer; when they do not, anything
// buffered has been flushed. st.mu is held.
func (st *state) beginWrite(n int) (buffered bool, err error) {
	if !st.wroteHeader {
		st.wroteHeader = true
		if st.buffering || st.holdForToken() {
			st.status = http.StatusOK
		} else {
			st.finishHeaders(false)
			st.w.WriteHeader(http.StatusOK)
		}
	}
	if st.buffering {
		if st.buf.Len()+n <= maxBuffer {
			return true, nil
		}
		if err := st.flush(false); err != nil {
			return false, err
		}
	}
	return false, nil
}

// Flush sends the buffered response and flushes the underlying writer.
func (w *responseWriter) Flush() {
	_ = w.FlushError()
}

// FlushError is Flush for http.ResponseController.
func (w *responseWriter) FlushError() error {
	st := w.st
	st.mu.Lock()
	if st.buffering {
		if !st.wroteHeader {
			st.wroteHeader = true
			st.status = http.StatusOK
		}
		if err := st.flush(false); err != nil {
			st.mu.Unlock()
			return err
		}
	} else if !st.wroteHeader {
		st.wroteHeader = true
		st.finishHeaders(false)
		st.mu.Unlock()
		st.w.WriteHeader(http.StatusOK)
		return http.NewResponseController(st.w).Flush()
	}
	st.mu.Unlock()
	return http.NewResponseController(st.w).Flush()
}

// Hijack hands the connection over; anything buffered is sent first.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	st := w.st
	st.mu.Lock()
	if st.buffering {
		if st.wroteHeader || st.buf.Len() > 0 {
			if err := st.flush(false); err != nil {
				st.mu.Unlock()
				return nil, nil, err
			}
		} else {
			putBuffer(st.buf)
			st.buffering, st.buf = false, nil
		}
	}
	st.headerDone = true
	st.mu.Unlock()
	return http.NewResponseController(st.w).Hijack()
}

// CloseNotify implements the deprecated http.CloseNotifier, which gin's
// c.Stream needs: the underlying writer's channel, or one that fires when
// the request ends (see closenotify.Channel).
func (w *responseWriter) CloseNotify() <-chan bool {
	return w.st.closed.Channel(w.st.w, w.st.Context)
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.st.w }
