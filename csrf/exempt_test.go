package csrf

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestExemptAsOuterWrapper(t *testing.T) {
	p := mustNew(t, Config{})
	h := Exempt(p.Handler(http.HandlerFunc(renderNothing)))
	r := newRequest("POST", "http://example.com/hook", strings.NewReader("{}"))
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
}

// isExempt skips its lookup until Exempt has been called (exemptUsed): that
// is sound only because Exempt is the one way to make an exempt handler or
// the context mark, so calling it must record the fact.
func TestExemptRecordsUse(t *testing.T) {
	exemptUsed.Store(false)
	t.Cleanup(func() { exemptUsed.Store(true) })
	p := mustNew(t, Config{})
	mux := http.NewServeMux()
	r := newRequest("POST", "http://example.com/hook", nil)
	if p.isExempt(r, mux) || exemptUsed.Load() {
		t.Fatal("exempt before any Exempt call")
	}
	mux.Handle("/hook", Exempt(http.NotFoundHandler()))
	if !exemptUsed.Load() || !p.isExempt(r, mux) {
		t.Fatal("Exempt did not record its use, or its handler is not found")
	}
}
