// state.go holds one request's CSRF state, which is also the context of the
// request the handler gets, and the serving of a request with it.

package csrf

import (
	"bytes"
	"context"
	"net/http"
	"sync"

	"github.com/bulwark-go/bulwark/internal/closenotify"
)

type stateKey struct{}

// state is one request's CSRF state (Full mode). It embeds the parent
// context and answers Value(stateKey{}) itself, so the request the handler
// gets carries it without another allocation.
type state struct {
	context.Context
	p   *Protector
	w   http.ResponseWriter // the writer the Protector was given
	rw  responseWriter      // the writer the handler gets
	req *http.Request       // the request the handler gets

	mu          sync.Mutex
	checked     bool // the request went through the layers (not safe, not exempt)
	secure      bool
	session     string // session cookie value the csrf cookie is bound to
	secret      [secretLen]byte
	haveSecret  bool
	secretErr   error // why there is no secret: the token layer's reason
	formToken   bool  // the token layer matched this form's token (PerFormTokens)
	storeFailed bool
	issueCookie bool // a new secret, or a re-signed cookie, must reach the client
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

	form []byte     // the urlencoded body the token layer read
	body replayBody // gives the handler that body back

	closed closenotify.Notifier // the response's CloseNotify channel
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

// newState makes the state of r, whose copy for the handler is st.req,
// and loads the client's secret into it.
func (p *Protector) newState(w http.ResponseWriter, r *http.Request, secure bool) *state {
	st := &state{Context: r.Context(), p: p, w: w, secure: secure}
	st.rw.st = st
	st.req = r.WithContext(st)
	p.loadSecret(st)
	return st
}

// serve runs next. While a cookie may have to be added to the response (the
// client has no secret yet, or its cookie was signed with a previous key and
// is re-signed if the page renders a token) the response is held back.
func (st *state) serve(next http.Handler) {
	if !st.haveSecret || st.issueCookie {
		st.buffering = true
		st.buf = getBuffer()
	}
	next.ServeHTTP(&st.rw, st.req)
	st.finish()
}
