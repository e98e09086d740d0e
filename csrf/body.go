// body.go holds the token layer's reading of an urlencoded body (the token
// field, within Config.MaxBodyBytes, and the form handed on to the
// handler, whose body stays readable from the start) and the readers it
// shares with multipart.go, which reads multipart forms.

package csrf

import (
	"bytes"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxFormSize is net/http's limit for an urlencoded body that ParseForm
// reads; larger bodies are left for the handler's own ParseForm to refuse.
const maxFormSize = 10 << 20

// mediaType returns the media type of r's Content-Type, without parameters.
func mediaType(r *http.Request) string {
	ct := ""
	if v := r.Header["Content-Type"]; len(v) > 0 {
		ct = v[0]
	}
	ct, _, _ = strings.Cut(ct, ";")
	return strings.TrimSpace(ct)
}

// urlencodedToken reads the body and unmasks its token field into got.
// The body read is kept in st.form for handOverForm.
func (p *Protector) urlencodedToken(got *[secretLen]byte, r *http.Request, st *state) error {
	body, err := p.readBody(r, st)
	if err != nil {
		return err
	}
	v, ok := formValue(body, p.fieldName)
	if !ok || len(v) == 0 {
		return ErrNoToken
	}
	st.form = body
	if bytes.IndexByte(v, '%') < 0 && bytes.IndexByte(v, '+') < 0 {
		return unmask(got, v)
	}
	if len(v) > 3*tokenLen {
		return ErrBadToken
	}
	s, err := url.QueryUnescape(string(v))
	if err != nil {
		return ErrBadToken
	}
	return unmask(got, s)
}

// formValue returns the raw (still escaped) value of the first name=value
// pair called name in an urlencoded body.
func formValue(body []byte, name string) ([]byte, bool) {
	for len(body) > 0 {
		var pair []byte
		pair, body, _ = bytes.Cut(body, []byte{'&'})
		k, v, _ := bytes.Cut(pair, []byte{'='})
		if string(k) == name {
			return v, true
		}
	}
	return nil, false
}

// readBody reads an urlencoded body (at most MaxBodyBytes) and puts a
// replay of it back in r.Body, so the handler's ParseForm sees it intact.
// When every layer is judged (ReportOnly, Observe), a body it could not
// read completely is given back as it was: the bytes read so far, then the rest.
func (p *Protector) readBody(r *http.Request, st *state) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := p.readAll(r)
	if err != nil {
		if p.judgesAll() {
			r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		}
		return nil, err
	}
	st.body.Reader.Reset(body)
	st.body.orig = r.Body
	r.Body = &st.body
	return body, nil
}

// smallBody is the largest declared body size read into a buffer of that
// size at once; bigger bodies grow their buffer as bytes arrive, so a
// client cannot make the Protector allocate MaxBodyBytes by merely
// declaring a large Content-Length.
const smallBody = 64 << 10

// readAll reads the body: exactly its Content-Length when it declares one,
// else at most MaxBodyBytes. On error it returns what it read.
func (p *Protector) readAll(r *http.Request) ([]byte, error) {
	switch n := r.ContentLength; {
	case n > p.maxBody:
		return nil, ErrBodyTooLarge
	case n >= 0 && n <= smallBody:
		body := make([]byte, n)
		got, err := io.ReadFull(r.Body, body)
		if err != nil {
			return body[:got], ErrBadBody
		}
		return body, nil
	case n >= 0:
		body, err := io.ReadAll(io.LimitReader(r.Body, n))
		if err != nil || int64(len(body)) != n {
			return body, ErrBadBody
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, min(p.maxBody, math.MaxInt64-1)+1))
	switch {
	case err != nil:
		return body, ErrBadBody
	case int64(len(body)) > p.maxBody:
		return body, ErrBodyTooLarge
	}
	return body, nil
}

// handOverForm spares the handler a second read and parse of an urlencoded
// body the token layer read: ParseForm and FormValue use r.PostForm as it
// is when it is set, and this is what net/http's own parse of the body
// would produce. It does nothing where ParseForm would not parse the body
// (see parsesBody).
func handOverForm(r *http.Request, body []byte) {
	if body == nil || len(body) > maxFormSize || !parsesBody(r) {
		return
	}
	if vals, err := url.ParseQuery(string(body)); err == nil {
		r.PostForm = vals
	}
}

// parsesBody reports whether net/http's ParseForm would parse r's body as
// an urlencoded form without error: only for POST, PUT and PATCH (spelled
// exactly so), and only when mime.ParseMediaType accepts the Content-Type
// (the token layer has already found its media type to be urlencoded). A
// type without parameters needs no further parsing; one with parameters is
// parsed as net/http does, since a duplicate or malformed parameter makes
// ParseForm skip the body or return an error.
func parsesBody(r *http.Request) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return false
	}
	v := r.Header["Content-Type"]
	if len(v) == 0 {
		return false
	}
	ct := v[0]
	if strings.IndexByte(ct, ';') < 0 {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// limitReader reads at most n bytes from r and then fails with
// ErrBodyTooLarge, recording that it did.
type limitReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitReader) Read(b []byte) (int, error) {
	if l.over {
		return 0, ErrBodyTooLarge
	}
	if l.n < int64(len(b)) {
		b = b[:l.n+1]
	}
	n, err := l.r.Read(b)
	if l.n -= int64(n); l.n < 0 {
		l.over = true
		return n, ErrBodyTooLarge
	}
	return n, err
}

// readCloser joins a reader with the original body's Close.
type readCloser struct {
	io.Reader
	io.Closer
}

// replayBody gives the handler back the form body the Protector read.
type replayBody struct {
	bytes.Reader
	orig io.Closer
}

func (b *replayBody) Close() error { return b.orig.Close() }
