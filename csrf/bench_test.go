package csrf

import (
	"net/http"
	"strings"
	"testing"
)

// Micro-benchmarks of the hot paths. The side-by-side comparison with peer
// libraries lives in the bench/ module.

func benchServe(b *testing.B, h http.Handler, mk func() *http.Request) {
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(&discardWriter{h: http.Header{}}, mk())
	}
}

func crossSiteRequest() *http.Request {
	r := newRequest("POST", "https://example.com/submit", strings.NewReader("name=alice"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", "https://evil.example")
	return r
}

func BenchmarkCrossSiteRejection(b *testing.B) {
	b.Run("bare", func(b *testing.B) { benchServe(b, http.HandlerFunc(bareApp), crossSiteRequest) })
	b.Run("CrossOriginProtection", func(b *testing.B) {
		benchServe(b, http.NewCrossOriginProtection().Handler(http.HandlerFunc(bareApp)), crossSiteRequest)
	})
	b.Run("full", func(b *testing.B) {
		p, _ := New(Config{Key: testKey, Logger: quietLogger()})
		benchServe(b, p.Handler(http.HandlerFunc(bareApp)), crossSiteRequest)
	})
	b.Run("tokenless", func(b *testing.B) {
		p, _ := New(Config{Mode: Tokenless, Logger: quietLogger()})
		benchServe(b, p.Handler(http.HandlerFunc(bareApp)), crossSiteRequest)
	})
	// Observe judges every layer: the rejected request's token is read too.
	b.Run("full-observed", func(b *testing.B) {
		p, _ := New(Config{Key: testKey, Logger: quietLogger(), Observe: func(*http.Request, Verdicts) {}})
		benchServe(b, p.Handler(http.HandlerFunc(bareApp)), crossSiteRequest)
	})
}

func BenchmarkValidPOST(b *testing.B) {
	p, _ := New(Config{Key: testKey, Logger: quietLogger()})
	var secret [secretLen]byte
	newSecret(&secret)
	cookie := "__Host-csrf=" + p.signer.encode(&secret, "")
	body := "name=alice&csrf_token=" + maskToken(&secret)
	mk := func() *http.Request {
		r := newRequest("POST", "https://example.com/submit", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Cookie", cookie)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Origin", "https://example.com")
		return r
	}
	b.Run("bare", func(b *testing.B) { benchServe(b, http.HandlerFunc(bareApp), mk) })
	b.Run("full", func(b *testing.B) { benchServe(b, p.Handler(http.HandlerFunc(bareApp)), mk) })
	observed, _ := New(Config{Key: testKey, Logger: quietLogger(), Observe: func(*http.Request, Verdicts) {}})
	b.Run("full-observed", func(b *testing.B) { benchServe(b, observed.Handler(http.HandlerFunc(bareApp)), mk) })
	tl, _ := New(Config{Mode: Tokenless, Logger: quietLogger()})
	b.Run("tokenless", func(b *testing.B) { benchServe(b, tl.Handler(http.HandlerFunc(bareApp)), mk) })
	b.Run("CrossOriginProtection", func(b *testing.B) {
		benchServe(b, http.NewCrossOriginProtection().Handler(http.HandlerFunc(bareApp)), mk)
	})
}
