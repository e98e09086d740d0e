// multipart.go holds the token layer's reading of a multipart form. It
// reads the parts up to the token field and no further, so an upload that
// puts the token field first is checked before its files are read, and the
// handler gets the whole body back, byte for byte, to stream with
// r.MultipartReader or parse with r.ParseMultipartForm. Only a form whose
// token comes after a file part is parsed whole, within Config.MaxBodyBytes.

package csrf

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
)

// maxFormParts is how many parts the token layer reads at most to find the
// token field: the token must be one of the first 1000 parts. net/http's
// ReadForm refuses a form of more than 1000 parts, so no form net/http
// parses is refused for its count.
const maxFormParts = 1000

// Internal outcomes of the scan, turned into a reason by multipartToken.
var (
	errFileFirst = errors.New("csrf: a file part comes before the token field")
	errRead      = errors.New("csrf: multipart body could not be read")
)

// multipartToken unmasks the token field of a multipart body into got. It
// reads the parts before the token field (skipping other fields' values)
// and the token's own part, then gives r the body back from its first
// byte, untouched: r.MultipartForm stays nil, so the handler can stream it.
// A file part before the token field means the whole form must be parsed
// (see parseForm). MaxBodyBytes bounds only what is read here.
func (p *Protector) multipartToken(got *[secretLen]byte, r *http.Request) error {
	orig := r.Body
	if orig == nil {
		orig = http.NoBody
	}
	rec := &recorder{lr: limitReader{r: orig, n: p.maxBody}}
	err := ErrBadBody
	if boundary, ok := formBoundary(r); ok {
		err = p.scanToken(got, multipart.NewReader(rec, boundary))
	}
	if err == errFileFirst {
		return p.parseForm(got, r, orig, rec)
	}
	r.Body = rec.replay(orig)
	if err == errRead {
		return rec.reason()
	}
	return err
}

// formBoundary returns the boundary of r's multipart/form-data body, as
// net/http's own MultipartReader finds it.
func formBoundary(r *http.Request) (string, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return "", false
	}
	b, ok := params["boundary"]
	return b, ok
}

// scanToken reads parts until the token field. It judges each part as
// net/http's ReadForm does: a part without a form name is skipped, one
// with a file name is a file, any other is a field value.
func (p *Protector) scanToken(got *[secretLen]byte, mr *multipart.Reader) error {
	for n := 1; ; n++ {
		part, err := mr.NextPart()
		switch {
		case err == io.EOF: // the final boundary, not a wrapped EOF
			return ErrNoToken
		case err != nil:
			return errRead
		case n > maxFormParts:
			return ErrTooManyParts
		}
		name := part.FormName()
		switch {
		case name == "":
		case part.FileName() != "":
			return errFileFirst
		case name == p.fieldName:
			return readToken(got, part)
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			return errRead
		}
	}
}

// readToken reads the token part's value and unmasks it into got. It reads
// one byte more than a token has: a longer value is malformed, and the
// rest of it is never read.
func readToken(got *[secretLen]byte, part io.Reader) error {
	var buf [tokenLen + 1]byte
	n := 0
	for n < len(buf) {
		m, err := part.Read(buf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return errRead // the part did not end: truncated or over the limit
		}
	}
	if n == 0 {
		return ErrNoToken
	}
	return unmask(got, buf[:n])
}

// parseForm handles a form whose token comes after a file part, which only
// a parse of the whole form can reach: ParseMultipartForm reads the bytes
// the scan read and then the rest of the body, within MaxBodyBytes (net/http
// spills files beyond 32 MiB of memory to disk; serveFull removes them).
// The handler gets the parsed form in r.MultipartForm. When every layer
// is judged (ReportOnly, Observe), a form that fails to parse is given
// back whole, to the handler or the FailureHandler.
func (p *Protector) parseForm(got *[secretLen]byte, r *http.Request, orig io.ReadCloser, rec *recorder) error {
	if r.ContentLength > p.maxBody {
		r.Body = rec.replay(orig)
		return ErrBodyTooLarge
	}
	scanned := rec.b[:len(rec.b):len(rec.b)]
	// Only a request judged whole needs all of it kept: it goes on, or
	// reaches the FailureHandler, whatever the parse does.
	rec.stop = !p.judgesAll()
	r.Body = readCloser{io.MultiReader(bytes.NewReader(scanned), rec), orig}
	if err := r.ParseMultipartForm(min(p.maxBody, 32<<20)); err != nil {
		if p.judgesAll() {
			r.Form, r.PostForm, r.MultipartForm = nil, nil, nil
			r.Body = rec.replay(orig)
		}
		return rec.reason()
	}
	if v := r.PostForm[p.fieldName]; len(v) > 0 && v[0] != "" {
		return unmask(got, v[0])
	}
	return ErrNoToken
}

// recorder reads the body within MaxBodyBytes and, until stop is set,
// keeps every byte it read, so the body can be given back from the start.
type recorder struct {
	lr   limitReader
	b    []byte
	stop bool
}

func (rc *recorder) Read(p []byte) (int, error) {
	n, err := rc.lr.Read(p)
	if !rc.stop {
		rc.b = append(rc.b, p[:n]...)
	}
	return n, err
}

// reason is the rejection reason for a body that could not be read.
func (rc *recorder) reason() error {
	if rc.lr.over {
		return ErrBodyTooLarge
	}
	return ErrBadBody
}

// replay returns the body the handler gets: the bytes recorded, then the
// rest of orig.
func (rc *recorder) replay(orig io.ReadCloser) io.ReadCloser {
	b := &prefixedBody{rest: orig}
	b.read.Reset(rc.b)
	return b
}

// prefixedBody reads the bytes the token layer read, then the rest of the
// original body, whose Close it keeps.
type prefixedBody struct {
	read bytes.Reader
	rest io.ReadCloser
}

func (b *prefixedBody) Read(p []byte) (int, error) {
	if b.read.Len() > 0 {
		return b.read.Read(p)
	}
	return b.rest.Read(p)
}

func (b *prefixedBody) Close() error { return b.rest.Close() }

// removeFormFiles removes the temporary files of a multipart form parsed
// on r, the request the handler gets, once the handler has returned:
// net/http removes those of the request it created, not of a copy. That
// covers the form parseForm parsed and one the handler parsed itself.
func removeFormFiles(r *http.Request) {
	if f := r.MultipartForm; f != nil {
		_ = f.RemoveAll()
	}
}
