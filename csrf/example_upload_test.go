package csrf_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/bulwark-go/bulwark/csrf"
)

// An upload handler streams the file with r.MultipartReader: the form puts
// the token field first, so the Protector reads only up to it, and
// MaxBodyBytes does not bound the upload (the handler bounds it itself).
func Example_upload() {
	p, err := csrf.New(csrf.Config{Key: key, Logger: quiet, MaxBodyBytes: 64 << 10})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /upload", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, csrf.Token(r))
	})
	// snippet:upload (the README's "Uploads")
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<30)
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, "not a multipart form", http.StatusBadRequest)
			return
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, "bad upload", http.StatusBadRequest)
				return
			}
			if part.FileName() != "" {
				n, err := io.Copy(io.Discard, part) // or to storage
				if err != nil {
					http.Error(w, "bad upload", http.StatusBadRequest)
					return
				}
				fmt.Println("stored", part.FileName(), n, "bytes")
			}
		}
	})
	// end snippet
	h := p.Handler(mux)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:8000/upload", nil))
	token, cookie := w.Body.String(), w.Result().Cookies()[0]

	// The form: the token field first, then the file (1 MiB, larger than
	// MaxBodyBytes).
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", token)
	fw, _ := mw.CreateFormFile("upload", "photo.jpg")
	io.Copy(fw, strings.NewReader(strings.Repeat("x", 1<<20)))
	mw.Close()

	r := httptest.NewRequest("POST", "http://localhost:8000/upload", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Origin", "http://localhost:8000")
	r.AddCookie(cookie)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// stored photo.jpg 1048576 bytes
	// 200
}
