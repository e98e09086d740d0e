package csrf

import (
	"bytes"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// uploadSecret is the client's secret in the upload tests. The Protector
// keeps it in a memStore, so the requests need no cookie.
var uploadSecret = [secretLen]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}

func newUploadHarness(t *testing.T, cfg Config) (*harness, string) {
	t.Helper()
	cfg.Secrets = &memStore{secret: uploadSecret[:]}
	return newHarness(t, cfg), maskToken(&uploadSecret)
}

// serveWith serves r through hs's Protector around h.
func (hs *harness) serveWith(h http.HandlerFunc, r *http.Request) *httptest.ResponseRecorder {
	hs.failed, hs.reason = false, nil
	w := httptest.NewRecorder()
	hs.p.Handler(h).ServeHTTP(w, r)
	return w
}

// part is one part of a test form: a field, or a file when file is set.
type part struct{ name, file, value string }

// buildForm encodes parts as multipart/form-data.
func buildForm(t *testing.T, parts ...part) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.file != "" {
			w, err = mw.CreateFormFile(p.name, p.file)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.value)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

func uploadRequest(body io.Reader, ct string) *http.Request {
	r := newRequest("POST", "http://example.com/upload", body)
	r.Header.Set("Content-Type", ct)
	return r
}

// countingBody counts the bytes read from it.
type countingBody struct {
	r io.Reader
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingBody) Close() error { return nil }

// readParts reads every part of a multipart stream: name, file name and
// content, in order.
func readParts(mr *multipart.Reader) ([]part, error) {
	var out []part
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return out, err
		}
		out = append(out, part{p.FormName(), p.FileName(), string(b)})
	}
}

// The handler sees the whole form, unchanged, whichever way it reads it:
// streaming, parsing, or the raw bytes.
func TestMultipartHandlerSeesWholeForm(t *testing.T) {
	hs, tok := newUploadHarness(t, Config{})
	file := "binary\x00\xff\r\n--not-the-boundary\r\n" + strings.Repeat("z", 10000)
	body, ct := buildForm(t, part{name: "name", value: "alice"}, part{name: DefaultFieldName, value: tok},
		part{name: "upload", file: "a.bin", value: file}, part{name: "note", value: "after the file"})
	want, err := readParts(multipart.NewReader(bytes.NewReader(body), ct[strings.Index(ct, "=")+1:]))
	if err != nil {
		t.Fatal(err)
	}
	reads := map[string]func(t *testing.T, r *http.Request){
		"MultipartReader": func(t *testing.T, r *http.Request) {
			mr, err := r.MultipartReader()
			if err != nil {
				t.Fatal(err)
			}
			got, err := readParts(mr)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("parts %q (err %v), want %q", got, err, want)
			}
		},
		"ParseMultipartForm": func(t *testing.T, r *http.Request) {
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				t.Fatal(err)
			}
			wantValues := map[string][]string{"name": {"alice"}, DefaultFieldName: {tok}, "note": {"after the file"}}
			if !reflect.DeepEqual(r.MultipartForm.Value, wantValues) {
				t.Errorf("values %q, want %q", r.MultipartForm.Value, wantValues)
			}
			f, fh, err := r.FormFile("upload")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, _ := io.ReadAll(f)
			if string(got) != file || fh.Filename != "a.bin" {
				t.Errorf("file %q (%d bytes), want a.bin (%d bytes)", fh.Filename, len(got), len(file))
			}
		},
		"raw body": func(t *testing.T, r *http.Request) {
			if got, _ := io.ReadAll(r.Body); !bytes.Equal(got, body) {
				t.Fatalf("body differs: %d bytes, want %d", len(got), len(body))
			}
		},
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			ran := false
			w := hs.serveWith(func(w http.ResponseWriter, r *http.Request) {
				ran = true
				if r.MultipartForm != nil || r.Form != nil {
					t.Error("the handler was given a parsed form; it must get the stream")
				}
				read(t, r)
			}, uploadRequest(bytes.NewReader(body), ct))
			if !ran || w.Code != 200 {
				t.Fatalf("status %d, reason %v; want the handler to run", w.Code, hs.reason)
			}
		})
	}
}

// patternReader yields n bytes of a repeating pattern that never holds a
// boundary.
type patternReader struct{ n, off int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n)]
	for i := range b {
		b[i] = byte('a' + (p.off+int64(i))%26)
	}
	p.n -= int64(len(b))
	p.off += int64(len(b))
	return len(b), nil
}

// bigUpload is a form of fields, then one file part of size generated
// bytes, produced as it is read (never stored).
func bigUpload(t *testing.T, size int64, fields ...part) (io.Reader, string) {
	t.Helper()
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	for _, f := range fields {
		mw.WriteField(f.name, f.value)
	}
	if _, err := mw.CreateFormFile("upload", "big.bin"); err != nil {
		t.Fatal(err)
	}
	n := head.Len()
	mw.Close()
	tail := bytes.Clone(head.Bytes()[n:])
	return io.MultiReader(bytes.NewReader(head.Bytes()[:n]), &patternReader{n: size}, bytes.NewReader(tail)), mw.FormDataContentType()
}

// A token field first lets an upload far larger than MaxBodyBytes through:
// the Protector reads no more than MaxBodyBytes, creates no temporary
// file, and the handler streams the whole file.
func TestMultipartTokenFirstStreamsPastMaxBody(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	const maxBody, size = 64 << 10, 16 << 20
	hs, tok := newUploadHarness(t, Config{MaxBodyBytes: maxBody})
	src, ct := bigUpload(t, size, part{name: DefaultFieldName, value: tok}, part{name: "title", value: "big"})
	body := &countingBody{r: src}
	r := uploadRequest(nil, ct)
	r.Body, r.ContentLength = body, -1
	var readBefore, got int64
	var sum uint32
	w := hs.serveWith(func(w http.ResponseWriter, r *http.Request) {
		readBefore = body.n
		mr, err := r.MultipartReader()
		if err != nil {
			t.Fatal(err)
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.FileName() == "" {
				continue
			}
			h := crc32.NewIEEE()
			got, err = io.Copy(h, p)
			if err != nil {
				t.Fatal(err)
			}
			sum = h.Sum32()
		}
	}, r)
	if w.Code != 200 {
		t.Fatalf("status %d, reason %v", w.Code, hs.reason)
	}
	if readBefore > maxBody+1 {
		t.Errorf("the Protector read %d bytes before the handler; MaxBodyBytes is %d", readBefore, maxBody)
	}
	h := crc32.NewIEEE()
	io.Copy(h, &patternReader{n: size})
	if got != size || sum != h.Sum32() {
		t.Errorf("handler streamed %d bytes (crc %x), want %d (crc %x)", got, sum, size, h.Sum32())
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary files were created: %v", left)
	}
}

// A token after a file part is found by parsing the whole form, within
// MaxBodyBytes; the handler gets the parsed form.
func TestMultipartTokenAfterFile(t *testing.T) {
	const maxBody = 64 << 10
	hs, tok := newUploadHarness(t, Config{MaxBodyBytes: maxBody})
	form := func(size int) ([]byte, string) {
		return buildForm(t, part{name: "upload", file: "a.bin", value: strings.Repeat("f", size)},
			part{name: DefaultFieldName, value: tok})
	}
	for _, c := range []struct {
		name    string
		size    int
		chunked bool
		want    error
	}{
		{"within the limit", 1000, false, nil},
		{"within the limit, chunked", 1000, true, nil},
		{"over the limit", 2 * maxBody, false, ErrBodyTooLarge},
		{"over the limit, chunked", 2 * maxBody, true, ErrBodyTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, ct := form(c.size)
			r := uploadRequest(bytes.NewReader(body), ct)
			if c.chunked {
				r.ContentLength = -1
			}
			var value string
			var fileSize int64
			w := hs.serveWith(func(w http.ResponseWriter, r *http.Request) {
				value = r.PostFormValue(DefaultFieldName)
				if _, fh, err := r.FormFile("upload"); err == nil {
					fileSize = fh.Size
				}
			}, r)
			hs.expect(t, w, c.want)
			if c.want == nil && (value != tok || fileSize != int64(c.size)) {
				t.Errorf("handler saw token %v and a %d-byte file; want the parsed form", value == tok, fileSize)
			}
		})
	}
}

// The token must be among the first 1000 parts (net/http's own limit).
func TestMultipartPartsBeforeToken(t *testing.T) {
	hs, tok := newUploadHarness(t, Config{})
	for _, c := range []struct {
		before int
		want   error
	}{{999, nil}, {1000, ErrTooManyParts}, {10000, ErrTooManyParts}} {
		t.Run(sprintf("%d parts", c.before), func(t *testing.T) {
			parts := make([]part, c.before, c.before+1)
			for i := range parts {
				parts[i] = part{name: "f", value: "x"}
			}
			body, ct := buildForm(t, append(parts, part{name: DefaultFieldName, value: tok})...)
			hs.expect(t, hs.serveWith(func(http.ResponseWriter, *http.Request) {}, uploadRequest(bytes.NewReader(body), ct)), c.want)
		})
	}
}

// A megabyte token part is malformed, found so after reading a few KiB.
func TestMultipartHugeTokenPart(t *testing.T) {
	hs, _ := newUploadHarness(t, Config{})
	body, ct := buildForm(t, part{name: DefaultFieldName, value: strings.Repeat("A", 1<<20)})
	cb := &countingBody{r: bytes.NewReader(body)}
	r := uploadRequest(nil, ct)
	r.Body = cb
	hs.expect(t, hs.serveWith(func(http.ResponseWriter, *http.Request) { t.Error("handler ran") }, r), ErrBadToken)
	if cb.n > 16<<10 {
		t.Errorf("read %d bytes of a 1 MiB token part to refuse it", cb.n)
	}
}

// A body cut off before the token part is complete is refused; one cut
// off after a complete, valid token part reaches the handler, which sees
// the truncation itself.
func TestMultipartCutOff(t *testing.T) {
	hs, tok := newUploadHarness(t, Config{})
	body, ct := buildForm(t, part{name: "name", value: "alice"}, part{name: DefaultFieldName, value: tok},
		part{name: "upload", file: "a.bin", value: "file content"})
	at := bytes.Index(body, []byte(tok))
	boundary := "\r\n--" + ct[strings.Index(ct, "=")+1:]
	for _, c := range []struct {
		name string
		cut  int
		want error
	}{
		// net/http's multipart reader takes a body cut off inside a
		// part's header for the end of the form (so does ReadForm).
		{"inside the token part's header", at - 10, ErrNoToken},
		{"inside the token", at + tokenLen/2, ErrBadBody},
		{"right after the token", at + tokenLen, ErrBadBody},
		{"inside the boundary after the token", at + tokenLen + 5, ErrBadBody},
		{"right after the boundary after the token", at + tokenLen + len(boundary), nil},
		{"inside the file", len(body) - 30, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ran := false
			w := hs.serveWith(func(w http.ResponseWriter, r *http.Request) {
				ran = true
				mr, err := r.MultipartReader()
				if err == nil {
					_, err = readParts(mr)
				}
				if err != nil {
					http.Error(w, "bad upload", http.StatusBadRequest)
				}
			}, uploadRequest(bytes.NewReader(body[:c.cut]), ct))
			if c.want != nil {
				hs.expect(t, w, c.want)
				return
			}
			if !ran || w.Code != http.StatusBadRequest || hs.failed {
				t.Fatalf("ran %v, status %d, reason %v; want the handler to see the truncation (400)", ran, w.Code, hs.reason)
			}
		})
	}
}

// A wrong or malformed token is refused before the handler runs.
func TestMultipartWrongToken(t *testing.T) {
	hs, _ := newUploadHarness(t, Config{})
	other := [secretLen]byte{9}
	for _, c := range []struct {
		name, tok string
		want      error
	}{
		{"another client's token", maskToken(&other), ErrTokenMismatch},
		{"malformed token", "abc", ErrBadToken},
		{"empty token", "", ErrNoToken},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, ct := buildForm(t, part{name: DefaultFieldName, value: c.tok}, part{name: "upload", file: "a", value: "x"})
			hs.expect(t, hs.serveWith(func(http.ResponseWriter, *http.Request) { t.Error("handler ran") }, uploadRequest(bytes.NewReader(body), ct)), c.want)
		})
	}
}

// In ReportOnly mode the handler gets the body intact whatever stopped the
// token layer.
func TestMultipartReportOnlyBodyIntact(t *testing.T) {
	const maxBody = 256 << 10
	_, tok := newUploadHarness(t, Config{})
	other := [secretLen]byte{9}
	many := make([]part, 1001)
	for i := range many {
		many[i] = part{name: "f", value: "x"}
	}
	cases := []struct {
		name  string
		parts []part
		cut   int
		want  error
	}{
		{"wrong token", []part{{name: DefaultFieldName, value: maskToken(&other)}, {name: "upload", file: "a", value: "data"}}, 0, ErrTokenMismatch},
		{"no token", []part{{name: "name", value: "alice"}}, 0, ErrNoToken},
		{"too many parts", append(many, part{name: DefaultFieldName, value: tok}), 0, ErrTooManyParts},
		{"field over the limit before the token", []part{{name: "pad", value: strings.Repeat("p", 2*maxBody)}, {name: DefaultFieldName, value: tok}}, 0, ErrBodyTooLarge},
		{"token after a file over the limit", []part{{name: "upload", file: "a", value: strings.Repeat("f", 2*maxBody)}, {name: DefaultFieldName, value: tok}}, 0, ErrBodyTooLarge},
		{"cut off inside the token", []part{{name: DefaultFieldName, value: tok}}, 40, ErrBadBody},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs testlog.Buffer
			hs, _ := newUploadHarness(t, Config{ReportOnly: true, MaxBodyBytes: maxBody, Logger: logs.Logger()})
			body, ct := buildForm(t, c.parts...)
			body = body[:len(body)-c.cut]
			r := uploadRequest(bytes.NewReader(body), ct)
			r.ContentLength = -1
			var got []byte
			w := hs.serveWith(func(w http.ResponseWriter, r *http.Request) { got, _ = io.ReadAll(r.Body) }, r)
			if w.Code != 200 {
				t.Fatalf("status %d; report-only must let the request through", w.Code)
			}
			if !strings.Contains(logs.String(), c.want.Error()) {
				t.Fatalf("log %q does not name %v", logs.String(), c.want)
			}
			if !bytes.Equal(got, body) {
				t.Fatalf("handler read %d bytes of the %d-byte body", len(got), len(body))
			}
		})
	}
}

// A token in the header is checked first: the multipart body is not read
// at all, so its token field may be anywhere (or missing).
func TestMultipartHeaderTokenSkipsBody(t *testing.T) {
	hs, tok := newUploadHarness(t, Config{MaxBodyBytes: 1024})
	body, ct := buildForm(t, part{name: "upload", file: "a", value: strings.Repeat("f", 4096)})
	cb := &countingBody{r: bytes.NewReader(body)}
	r := uploadRequest(nil, ct)
	r.Body = cb
	r.Header.Set(DefaultHeaderName, tok)
	var before int64
	var got []byte
	w := hs.serveWith(func(w http.ResponseWriter, r *http.Request) {
		before = cb.n
		got, _ = io.ReadAll(r.Body)
	}, r)
	hs.expect(t, w, nil)
	if before != 0 || !bytes.Equal(got, body) {
		t.Fatalf("the Protector read %d bytes; handler got %d of %d", before, len(got), len(body))
	}
}

// FuzzMultipartToken: for any body ("{tok}" stands for a valid token), the
// Protector answers 200 or 403, never panics; whenever it lets a request
// through without a parsed form, the handler reads exactly the original
// bytes; and it accepts a form exactly when net/http's ReadForm of the
// same body (when it succeeds, within MaxBodyBytes) finds a valid token.
// In ReportOnly mode the handler always gets the original bytes or a
// parsed form.
func FuzzMultipartToken(f *testing.F) {
	tok := maskToken(&uploadSecret)
	const boundary = "XyZ"
	seed := func(parts ...string) string {
		return "--" + boundary + "\r\n" + strings.Join(parts, "\r\n--"+boundary+"\r\n") + "\r\n--" + boundary + "--\r\n"
	}
	field := func(name, v string) string {
		return `Content-Disposition: form-data; name="` + name + "\"\r\n\r\n" + v
	}
	file := `Content-Disposition: form-data; name="up"; filename="a.txt"` + "\r\nContent-Type: text/plain\r\n\r\nfile\r\n--data"
	f.Add(seed(field(DefaultFieldName, "{tok}"), file))
	f.Add(seed(field("name", "alice"), field(DefaultFieldName, "{tok}"), file))
	f.Add(seed(file, field(DefaultFieldName, "{tok}")))
	f.Add(seed(field("name", "alice"), file))
	f.Add(seed(field(DefaultFieldName, ""), field(DefaultFieldName, "{tok}")))
	f.Add(seed(field(DefaultFieldName, strings.Repeat("A", 200))))
	f.Add(seed(`Content-Disposition: form-data; filename="x"`+"\r\n\r\nv", field(DefaultFieldName, "{tok}")))
	f.Add(seed(`Content-Disposition: form-data; name="up"; filename=""`+"\r\n\r\nv", field(DefaultFieldName, "{tok}")))
	f.Add(seed("Content-Transfer-Encoding: quoted-printable\r\n" + field(DefaultFieldName, "{tok}")))
	f.Add(seed(field(DefaultFieldName, "{tok}"))[:60])
	f.Add("--" + boundary + "\r\n" + field(DefaultFieldName, "{tok}") + "\r\n--" + boundary)
	const maxBody = 4 << 10
	newP := func(reportOnly bool) *Protector {
		p, err := New(Config{Key: testKey, Logger: quietLogger(), MaxBodyBytes: maxBody, ReportOnly: reportOnly,
			Secrets: &memStore{secret: uploadSecret[:]}})
		if err != nil {
			f.Fatal(err)
		}
		return p
	}
	enforce, report := newP(false), newP(true)
	f.Fuzz(func(t *testing.T, tmpl string) {
		body := []byte(strings.ReplaceAll(tmpl, "{tok}", tok))
		accepted, parsed, intact := serveFuzz(t, enforce, body, boundary)
		if accepted && !parsed && !intact {
			t.Fatal("accepted a stream the handler does not see unchanged")
		}
		if form, err := multipart.NewReader(bytes.NewReader(body), boundary).ReadForm(1 << 20); err == nil {
			defer form.RemoveAll()
			v := form.Value[DefaultFieldName]
			valid := len(v) > 0 && v[0] == tok
			if accepted && !valid {
				t.Fatalf("accepted a form whose token ReadForm finds invalid (%q)", v)
			}
			if !accepted && valid && len(body) <= maxBody {
				t.Fatal("refused a form whose token ReadForm finds valid")
			}
		}
		if _, parsed, intact := serveFuzz(t, report, body, boundary); !parsed && !intact {
			t.Fatal("report-only: the handler did not get the body back unchanged")
		}
	})
}

// serveFuzz serves body through p, reporting whether the handler ran,
// whether it got a parsed form, and whether its r.Body read back body.
func serveFuzz(t *testing.T, p *Protector, body []byte, boundary string) (accepted, parsed, intact bool) {
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accepted, parsed = true, r.MultipartForm != nil
		got, err := io.ReadAll(r.Body)
		intact = err == nil && bytes.Equal(got, body)
	}))
	r := uploadRequest(bytes.NewReader(body), "multipart/form-data; boundary="+boundary)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 && w.Code != 403 {
		t.Fatalf("status %d", w.Code)
	}
	if accepted != (w.Code == 200) && !p.reportOnly {
		t.Fatalf("status %d but handler ran %v", w.Code, accepted)
	}
	return accepted, parsed, intact
}
