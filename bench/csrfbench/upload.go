// upload.go holds the upload scenario: a multipart form with the token
// field first and then one file part of a given size, generated as it is
// read (never stored), posted to a handler that streams it with
// r.MultipartReader and io.Copy(io.Discard, part), bare or behind
// Bulwark's Protector. Both serve the very same request (headers, cookie
// and body, token field included).

package csrfbench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"

	"github.com/bulwark-go/bulwark/csrf"
)

// UploadSizes are the file sizes the upload scenario is measured at: the
// time target is judged at 1 GiB, and 1 MiB shows that bytes and
// allocations per request do not grow with the size.
var UploadSizes = []struct {
	Name string
	Size int64
}{{"1MiB", 1 << 20}, {"1GiB", 1 << 30}}

// Upload is one handler serving the upload request over and over.
type Upload struct {
	handler  http.Handler
	base     *http.Request // the request; each Serve gives a copy a fresh body
	body     uploadBody
	w        discardWriter
	streamed int64 // bytes of file parts the handler read in the last Serve
}

// NewUploads returns the bare streaming handler and the same handler
// behind a Full-mode Protector, ready to serve an upload of size bytes
// with a valid token and cookie.
func NewUploads(size int64) (bare, protected *Upload, err error) {
	p, err := csrf.New(csrf.Config{Key: benchKey, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, err
	}
	w := httptest.NewRecorder()
	p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, csrf.Token(r))
	})).ServeHTTP(w, httptest.NewRequest("GET", Origin+"/upload", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		return nil, nil, fmt.Errorf("upload: the token GET set %d cookies", len(cookies))
	}
	base, body, err := uploadRequest(w.Body.String(), size)
	if err != nil {
		return nil, nil, err
	}
	base.AddCookie(cookies[0])
	bare = &Upload{base: base, body: body, w: discardWriter{h: http.Header{}}}
	bare.handler = http.HandlerFunc(bare.stream)
	protected = &Upload{base: base, body: body, w: discardWriter{h: http.Header{}}}
	protected.handler = p.Handler(http.HandlerFunc(protected.stream))
	return bare, protected, nil
}

// uploadRequest is a same-origin browser POST of a form holding the token
// field and then a file of size bytes.
func uploadRequest(token string, size int64) (*http.Request, uploadBody, error) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if err := mw.WriteField("csrf_token", token); err != nil {
		return nil, uploadBody{}, err
	}
	if _, err := mw.CreateFormFile("upload", "big.bin"); err != nil {
		return nil, uploadBody{}, err
	}
	n := head.Len()
	if err := mw.Close(); err != nil {
		return nil, uploadBody{}, err
	}
	body := uploadBody{head: head.Bytes()[:n:n], tail: head.Bytes()[n:], size: size}
	r := httptest.NewRequest("POST", Origin+"/upload", nil)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Origin", Origin)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.ContentLength = int64(len(body.head)) + size + int64(len(body.tail))
	return r, body, nil
}

// Serve sends the upload once and returns the status code.
func (u *Upload) Serve() int {
	clear(u.w.h)
	u.w.code, u.streamed = 0, 0
	u.body.off = 0
	r := *u.base
	r.Body = &u.body
	u.handler.ServeHTTP(&u.w, &r)
	if u.w.code == 0 {
		return http.StatusOK
	}
	return u.w.code
}

// Streamed returns the bytes of file parts the handler read in the last
// Serve.
func (u *Upload) Streamed() int64 { return u.streamed }

// stream is the app: it reads every part of the form as a stream.
func (u *Upload) stream(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, "not a multipart form", http.StatusBadRequest)
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			http.Error(w, "bad upload", http.StatusBadRequest)
			return
		}
		n, err := io.Copy(io.Discard, part)
		if err != nil {
			http.Error(w, "bad upload", http.StatusBadRequest)
			return
		}
		if part.FileName() != "" {
			u.streamed += n
		}
	}
}

// uploadBody generates the form: head (the token field and the file
// part's header), size bytes of file content, then tail (the closing
// boundary).
type uploadBody struct {
	head, tail []byte
	size, off  int64
}

// filler is the file content, repeated; it holds no boundary.
var filler = bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), 1820) // 65520 bytes

func (b *uploadBody) Read(p []byte) (int, error) {
	h, n := int64(len(b.head)), 0
	switch {
	case b.off < h:
		n = copy(p, b.head[b.off:])
	case b.off < h+b.size:
		pos := b.off - h
		chunk := filler[pos%int64(len(filler)):]
		n = copy(p[:min(int64(len(p)), b.size-pos)], chunk)
	case b.off < h+b.size+int64(len(b.tail)):
		n = copy(p, b.tail[b.off-h-b.size:])
	default:
		return 0, io.EOF
	}
	b.off += int64(n)
	return n, nil
}

func (b *uploadBody) Close() error { return nil }
