// state.go holds the per-request state (which is also the request's
// context, to save an allocation) and the response writer that sends the
// cookie and Vary header before the headers go out.

package csrf

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

type stateKey struct{}

// state is one request's CSRF state. It embeds the parent context and
// answers Value(stateKey{}) itself.
type state struct {
	context.Context
	p   *Protector
	w   http.ResponseWriter // the writer the Protector was given
	rw  responseWriter      // the writer the handler gets
	req *http.Request       // the request the handler gets

	mu          sync.Mutex
	secure      bool
	session     string // session cookie value the csrf cookie is bound to
	secret      [secretLen]byte
	haveSecret  bool
	noSecret    error // why there is no secret
	storeFailed bool
	exempt      int8 // 0 unknown, 1 exempt, -1 not exempt
	issueCookie bool // a new secret must reach the client
	rotated     bool
	rendered    bool
	rejected    bool
	reason      error
	lateWarned  bool

	wroteHeader bool // the handler wrote (or we decided) the status
	explicit    bool // the handler called WriteHeader itself
	headerDone  bool // our headers are final
	buffering   bool
	buf         *bytes.Buffer
	status      int

	body    replayBody
	bodyBuf [256]byte    // holds small form bodies (see readBody); sized so st stays in the 896-byte size class
	reqVal  http.Request // the request the handler gets, allocated with st
}

// Value implements context.Context.
func (st *state) Value(key any) any {
	if key == (stateKey{}) {
		return st
	}
	return st.Context.Value(key)
}

func fromContext(r *http.Request) *state {
	if r == nil {
		return nil
	}
	st, _ := r.Context().Value(stateKey{}).(*state)
	return st
}

func (st *state) isExempt(r *http.Request, next http.Handler) bool {
	if st.exempt == 0 {
		st.exempt = -1
		if st.p.isExempt(r, next) {
			st.exempt = 1
		}
	}
	return st.exempt == 1
}

// ensureSecret makes sure st has a secret, creating one if needed. It
// reports false when no usable secret can be had. st.mu is held.
func (st *state) ensureSecret() bool {
	if st.haveSecret {
		return true
	}
	if st.rejected || st.storeFailed {
		return false
	}
	newSecret(&st.secret)
	if !st.saveSecret() {
		return false
	}
	st.haveSecret = true
	st.noSecret = nil
	if st.headerDone && !st.lateWarned {
		st.lateWarned = true
		st.p.logger.LogAttrs(st.Context, slog.LevelWarn,
			"csrf: a token was rendered after the response headers were sent, so the client cannot receive its secret; render the page into a buffer first",
			slog.String("method", st.req.Method), slog.String("path", st.req.URL.Path))
	}
	return true
}

// saveSecret hands a new secret to the store, or schedules the cookie.
func (st *state) saveSecret() bool {
	if st.p.secrets == nil {
		st.issueCookie = true
		return true
	}
	if err := st.p.secrets.SaveSecret(&st.rw, st.req, append([]byte(nil), st.secret[:]...)); err != nil {
		st.p.logger.LogAttrs(st.Context, slog.LevelError, "csrf: secret store failed",
			slog.String("error", err.Error()), slog.String("method", st.req.Method), slog.String("path", st.req.URL.Path))
		return false
	}
	return true
}

// finishHeaders adds Vary: Cookie and the Set-Cookie, once, before the
// headers are written. complete says the handler has returned, so no token
// can be rendered any more. st.mu is held.
func (st *state) finishHeaders(complete bool) {
	if st.headerDone {
		return
	}
	st.headerDone = true
	if st.rejected {
		return
	}
	h := st.w.Header()
	// While the body is still to come a token may yet be rendered into it:
	// an HTML response (or one whose type will be sniffed) gets Vary too.
	if st.rendered || (!complete && htmlish(h)) {
		addVary(h)
	}
	if st.issueCookie && (st.rendered || st.rotated) && st.p.secrets == nil {
		st.issueCookie = false
		name := st.p.cookieName
		if st.secure {
			name = st.p.hostCookieName
		}
		session := st.session
		if st.p.sessionName != "" {
			// A session library that already set its new cookie in this
			// response (after a login) gets the new value bound.
			if v, ok := st.p.responseSession(h, st.secure); ok {
				session = v
			}
		}
		var b strings.Builder
		b.Grow(len(name) + cookieValueLen + 80)
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(st.p.signer.encode(&st.secret, session))
		b.WriteString("; Path=/; Max-Age=")
		b.WriteString(strconv.Itoa(cookieMaxAge))
		b.WriteString("; HttpOnly; SameSite=Lax")
		if st.secure {
			b.WriteString("; Secure")
		}
		h.Add("Set-Cookie", b.String())
		// A shared cache (CDN, proxy) must not store this response: it
		// would hand this client's secret, and the token rendered with it,
		// to every later visitor, the attacker included.
		if cc := h["Cache-Control"]; len(cc) == 0 {
			h["Cache-Control"] = []string{"private"}
		} else {
			h["Cache-Control"] = []string{privateCacheControl(strings.Join(cc, ", "))}
		}
	}
}

// privateCacheControl makes a Cache-Control value forbid shared caches:
// it is kept as is when it says "private" or "no-store"; otherwise
// "public" and "s-maxage" are removed and "private" is put first, and the
// other directives (the browser's own max-age) stay.
func privateCacheControl(cc string) string {
	out := []string{"private"}
	for _, d := range strings.Split(cc, ",") {
		d = strings.TrimSpace(d)
		name, _, _ := strings.Cut(d, "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "private", "no-store":
			return cc
		case "public", "s-maxage", "":
			continue
		}
		out = append(out, d)
	}
	return strings.Join(out, ", ")
}

// responseSession finds the session cookie in the response's Set-Cookie
// headers.
func (p *Protector) responseSession(h http.Header, secure bool) (string, bool) {
	for _, sc := range h["Set-Cookie"] {
		nv, _, _ := strings.Cut(sc, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(nv), "=")
		if ok && (k == p.sessionName || (secure && k == p.hostSession)) {
			return v, true
		}
	}
	return "", false
}

func htmlish(h http.Header) bool {
	ct := h["Content-Type"]
	if len(ct) == 0 {
		return true
	}
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct[0])), "text/html") ||
		strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct[0])), "application/xhtml")
}

func addVary(h http.Header) {
	for _, line := range h["Vary"] {
		for _, v := range strings.Split(line, ",") {
			if v = strings.TrimSpace(v); v == "*" || strings.EqualFold(v, "Cookie") {
				return
			}
		}
	}
	h.Add("Vary", "Cookie")
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
// http.Flusher, http.Hijacker and http.ResponseController (Unwrap).
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
	if st.buffering {
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
		if st.buffering {
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

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.st.w }
