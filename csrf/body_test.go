package csrf

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// After a valid urlencoded POST the handler sees exactly what its own
// ParseForm would have produced, and can still read the raw body.
func TestHandlerSeesParsedFormAndRawBody(t *testing.T) {
	hs := newHarness(t, Config{})
	cookie, token := hs.mint(t, "http://example.com/", "")
	body := url.Values{"name": {"alice", "bob"}, "note": {"a&b=c+d é"}, DefaultFieldName: {token}}.Encode()

	var gotForm, gotPost url.Values
	var gotBody string
	h := hs.p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		gotForm, gotPost = r.Form, r.PostForm
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
	}))
	r := newRequest("POST", "http://example.com/submit?q=1&name=query", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", cookie)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}

	// What net/http itself parses from the same request.
	want := httptest.NewRequest("POST", "http://example.com/submit?q=1&name=query", strings.NewReader(body))
	want.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := want.ParseForm(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotPost, want.PostForm) {
		t.Errorf("PostForm = %v, want %v", gotPost, want.PostForm)
	}
	if !reflect.DeepEqual(gotForm, want.Form) {
		t.Errorf("Form = %v, want %v", gotForm, want.Form)
	}
	if gotBody != body {
		t.Errorf("raw body = %q, want %q", gotBody, body)
	}
}

// The form the Protector hands over is exactly what net/http's ParseForm
// would give the handler for the same request: ParseForm reads the body
// only for POST, PUT and PATCH (method spelled exactly), and only when
// mime.ParseMediaType says the Content-Type is urlencoded (a duplicate
// parameter makes it say nothing; a malformed one makes ParseForm fail).
func TestPreparsedFormIsWhatParseFormGives(t *testing.T) {
	hs := newHarness(t, Config{})
	cookie, token := hs.mint(t, "http://example.com/", "")
	body := url.Values{"name": {"body"}, DefaultFieldName: {token}}.Encode()
	cases := []struct{ name, method, ct string }{
		{"POST", "POST", "application/x-www-form-urlencoded"},
		{"PUT", "PUT", "application/x-www-form-urlencoded"},
		{"PATCH", "PATCH", "application/x-www-form-urlencoded"},
		{"POST with charset", "POST", "application/x-www-form-urlencoded;charset=UTF-8"},
		{"POST upper-case type", "POST", "Application/X-WWW-Form-Urlencoded"},
		{"DELETE", "DELETE", "application/x-www-form-urlencoded"},
		{"custom method", "PURGE", "application/x-www-form-urlencoded"},
		{"lower-case post", "post", "application/x-www-form-urlencoded"},
		{"duplicate media parameter", "POST", "application/x-www-form-urlencoded; a=1; a=2"},
		{"malformed media parameter", "POST", "application/x-www-form-urlencoded; charset"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var gotForm, gotPost url.Values
			var gotErr error
			h := hs.p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotErr = r.ParseForm()
				gotForm, gotPost = r.Form, r.PostForm
			}))
			r := newRequest(tc.method, "http://example.com/submit?name=query", strings.NewReader(body))
			r.Header.Set("Content-Type", tc.ct)
			r.Header.Set("Cookie", cookie)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", w.Code)
			}
			want := httptest.NewRequest(tc.method, "http://example.com/submit?name=query", strings.NewReader(body))
			want.Header.Set("Content-Type", tc.ct)
			wantErr := want.ParseForm()
			if (gotErr == nil) != (wantErr == nil) {
				t.Errorf("ParseForm error %v, net/http gives %v", gotErr, wantErr)
			}
			if !reflect.DeepEqual(gotPost, want.PostForm) {
				t.Errorf("PostForm = %v, want %v", gotPost, want.PostForm)
			}
			if !reflect.DeepEqual(gotForm, want.Form) {
				t.Errorf("Form = %v, want %v", gotForm, want.Form)
			}
		})
	}
}

// In ReportOnly mode a request whose token fails still reaches the
// handler, but the Protector must not hand it a form it pretends to have
// checked: the handler parses the body itself.
func TestReportOnlyRejectedTokenGetsNoPreparsedForm(t *testing.T) {
	hs := newHarness(t, Config{ReportOnly: true})
	cookie, _ := hs.mint(t, "http://example.com/", "")
	body := url.Values{"name": {"body"}, DefaultFieldName: {"wrong"}}.Encode()
	var preset bool
	var gotPost url.Values
	h := hs.p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		preset = r.PostForm != nil
		_ = r.ParseForm()
		gotPost = r.PostForm
	}))
	r := newRequest("POST", "http://example.com/submit", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", cookie)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200 (report-only)", w.Code)
	}
	if preset {
		t.Error("handler was handed r.PostForm for a request whose token failed")
	}
	if gotPost.Get("name") != "body" {
		t.Errorf("handler's own ParseForm got %v; the body must still be readable", gotPost)
	}
}

// lyingBody claims (via the request's ContentLength) far more than it
// holds, and records the largest buffer it was asked to fill.
type lyingBody struct {
	r       io.Reader
	largest int
}

func (b *lyingBody) Read(p []byte) (int, error) {
	b.largest = max(b.largest, len(p))
	return b.r.Read(p)
}

func (b *lyingBody) Close() error { return nil }

// A client that declares a large Content-Length but sends a few bytes must
// not make the Protector allocate the declared size up front: memory has
// to follow the bytes that actually arrive.
func TestBodyMemoryFollowsArrivingBytes(t *testing.T) {
	hs := newHarness(t, Config{})
	cookie, tok := hs.mint(t, "http://example.com/", "")
	body := &lyingBody{r: strings.NewReader("name=alice&csrf_token=" + tok)}
	r := newRequest("POST", "http://example.com/submit", nil)
	r.Body = body
	r.ContentLength = DefaultMaxBodyBytes
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", cookie)
	hs.expect(t, hs.do(r), ErrBadBody)
	if body.largest > 1<<20 {
		t.Fatalf("the Protector handed the body a %d-byte buffer for a %d-byte body", body.largest, len("name=alice&csrf_token=")+len(tok))
	}
}

// In ReportOnly mode a request the Protector would have rejected still
// reaches the handler — and must reach it with its body intact, even when
// the Protector stopped reading it half-way (too large, malformed).
func TestReportOnlyHandlerSeesWholeBody(t *testing.T) {
	big := "name=alice&pad=" + strings.Repeat("x", 4096) + "&last=yes"
	mp := func(t *testing.T, truncate int) (string, string) {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("name", "alice")
		mw.WriteField("pad", strings.Repeat("x", 4096))
		mw.WriteField("last", "yes")
		mw.Close()
		s := b.String()
		return s[:len(s)-truncate], mw.FormDataContentType()
	}
	cases := []struct {
		name    string
		body    func(t *testing.T) (string, string)
		chunked bool
		max     int64
		want    error
	}{
		{"urlencoded chunked over the limit", func(*testing.T) (string, string) {
			return big, "application/x-www-form-urlencoded"
		}, true, 1024, ErrBodyTooLarge},
		{"multipart chunked over the limit", func(t *testing.T) (string, string) { return mp(t, 0) }, true, 1024, ErrBodyTooLarge},
		{"multipart malformed", func(t *testing.T) (string, string) {
			s, ct := mp(t, 0)
			return strings.Replace(s, "\r\n\r\n", "\r\n", 1), ct
		}, false, 0, ErrBadBody},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs testlog.Buffer
			p := mustNew(t, Config{Key: testKey, ReportOnly: true, MaxBodyBytes: c.max, Logger: logs.Logger()})
			var got []byte
			h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
			}))
			body, ct := c.body(t)
			r := newRequest("POST", "http://example.com/submit", strings.NewReader(body))
			r.Header.Set("Content-Type", ct)
			r.Header.Set("Cookie", "csrf="+mintCookie(t, p))
			if c.chunked {
				r.ContentLength = -1
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("status %d; report-only must let the request through", w.Code)
			}
			if !strings.Contains(logs.String(), c.want.Error()) {
				t.Fatalf("log %q does not name %v", logs.String(), c.want)
			}
			if string(got) != body {
				t.Fatalf("handler read %d bytes of the %d-byte body (starting %.40q)", len(got), len(body), got)
			}
		})
	}
}

// A request with a nil Body (possible for requests built by hand or by
// other middleware) is a 403 with a reason, never a panic.
func TestNilBodyIsRejectedNotPanic(t *testing.T) {
	for _, c := range []struct {
		ct   string
		want error
	}{
		{"application/x-www-form-urlencoded", ErrNoToken},
		{"multipart/form-data; boundary=x", ErrBadBody},
	} {
		t.Run(c.ct, func(t *testing.T) {
			hs := newHarness(t, Config{})
			cookie, _ := hs.mint(t, "http://example.com/", "")
			r := newRequest("POST", "http://example.com/submit", nil)
			r.Body = nil
			r.ContentLength = -1
			r.Header.Set("Content-Type", c.ct)
			r.Header.Set("Cookie", cookie)
			hs.expect(t, hs.do(r), c.want)
		})
	}
}
