package csrf

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
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
