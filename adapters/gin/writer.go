// writer.go holds the gin.ResponseWriter that handlers after a wrapped
// middleware write to: gin's status and size bookkeeping over the writer
// the middleware passed on.

package bulwarkgin

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/bulwark-go/bulwark/internal/closenotify"
)

const notWritten = -1

var errHijackAfterBody = errors.New("bulwarkgin: cannot hijack: response body already written")

// responseWriter implements gin.ResponseWriter over any
// http.ResponseWriter. Like gin's own writer it holds the status back
// until the first write, WriteHeaderNow or Flush, so that a handler may
// set headers after c.Status (gin's renderers do).
type responseWriter struct {
	w      http.ResponseWriter
	ctx    context.Context // the request's, for CloseNotify
	status int
	size   int
	closed closenotify.Notifier
}

var _ gin.ResponseWriter = (*responseWriter)(nil)

func newResponseWriter(w http.ResponseWriter, ctx context.Context) *responseWriter {
	return &responseWriter{w: w, ctx: ctx, status: http.StatusOK, size: notWritten}
}

// Header implements http.ResponseWriter.
func (w *responseWriter) Header() http.Header { return w.w.Header() }

// WriteHeader records the status, sent with the first write. An
// informational status (1xx other than 101) is sent at once, since more
// headers follow it.
func (w *responseWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.w.WriteHeader(code)
		return
	}
	if code > 0 && !w.Written() {
		w.status = code
	}
}

// WriteHeaderNow sends the status and headers, if not yet sent.
func (w *responseWriter) WriteHeaderNow() {
	if !w.Written() {
		w.size = 0
		w.w.WriteHeader(w.status)
	}
}

// Write implements http.ResponseWriter.
func (w *responseWriter) Write(b []byte) (int, error) {
	w.WriteHeaderNow()
	n, err := w.w.Write(b)
	w.size += n
	return n, err
}

// WriteString implements io.StringWriter.
func (w *responseWriter) WriteString(s string) (int, error) {
	w.WriteHeaderNow()
	n, err := io.WriteString(w.w, s)
	w.size += n
	return n, err
}

// Status returns the response status.
func (w *responseWriter) Status() int { return w.status }

// Size returns the number of body bytes written, or -1 before the
// headers were sent.
func (w *responseWriter) Size() int { return w.size }

// Written reports whether the headers were sent.
func (w *responseWriter) Written() bool { return w.size != notWritten }

// Flush sends the headers and flushes the underlying writer.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush for http.ResponseController.
func (w *responseWriter) FlushError() error {
	w.WriteHeaderNow()
	return http.NewResponseController(w.w).Flush()
}

// Hijack implements http.Hijacker through http.ResponseController. As
// with gin's writer it is allowed before any body byte was written.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.size > 0 {
		return nil, nil, errHijackAfterBody
	}
	if w.size < 0 {
		w.size = 0
	}
	return http.NewResponseController(w.w).Hijack()
}

// CloseNotify implements http.CloseNotifier, which gin's c.Stream calls:
// the channel of the first writer down the Unwrap chain that has one
// (Bulwark's writers and net/http's do), or else one that receives when
// the request's context is done. Every call returns the same channel.
func (w *responseWriter) CloseNotify() <-chan bool {
	return w.closed.Channel(w.w, w.ctx)
}

// Pusher returns the first http.Pusher down the Unwrap chain, or nil.
func (w *responseWriter) Pusher() http.Pusher {
	for u := w.w; u != nil; u = unwrap(u) {
		if p, ok := u.(http.Pusher); ok {
			return p
		}
	}
	return nil
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.w }

func unwrap(w http.ResponseWriter) http.ResponseWriter {
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		return u.Unwrap()
	}
	return nil
}
