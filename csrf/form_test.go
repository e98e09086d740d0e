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
