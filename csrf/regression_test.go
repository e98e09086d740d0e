package csrf

import (
	"net/http"
	"strings"
	"testing"
)

// CVE-2025-24358 (gorilla/csrf): the Referer check never ran because it
// looked at r.URL.Scheme, which is empty on a server. Here an HTTPS request
// without Origin and with a cross-site Referer must fail, even with a valid
// token.
func TestRegressionCVE2025_24358RefererChecked(t *testing.T) {
	hs := newHarness(t, Config{})
	cookie, token := hs.mint(t, "https://example.com/token", "")
	for _, ref := range []string{"https://evil.example/", "http://example.com/", ""} {
		r := newRequest("POST", "https://example.com/transfer", formBody("csrf_token", token))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Cookie", cookie)
		if ref != "" {
			r.Header.Set("Referer", ref)
		}
		if r.URL.Scheme != "" {
			r.URL.Scheme = "" // as on a real server
		}
		if w := hs.do(r); w.Code != http.StatusForbidden {
			t.Errorf("Referer %q: status %d; want 403", ref, w.Code)
		}
	}
}

// CVE-2025-47909 (gorilla/csrf): trusted origins were compared by host only,
// so http://trusted.example passed where https://trusted.example was
// configured. Scheme (and port) must match.
func TestRegressionCVE2025_47909TrustedOriginScheme(t *testing.T) {
	hs := newHarness(t, Config{TrustedOrigins: []string{"https://trusted.example", "https://*.example.com"}, Mode: Tokenless})
	for origin, want := range map[string]error{
		"https://trusted.example":      nil,
		"http://trusted.example":       ErrBadOrigin,
		"https://trusted.example:8443": ErrBadOrigin,
		"http://a.example.com":         ErrBadOrigin,
		"https://a.example.com":        nil,
	} {
		r := newRequest("POST", "https://example.com/", nil)
		r.Header.Set("Origin", origin)
		hs.expect(t, hs.do(r), want)
	}
	if _, err := New(Config{TrustedOrigins: []string{"trusted.example"}}); err == nil ||
		!strings.Contains(err.Error(), `"trusted.example": scheme is required`) {
		t.Fatalf("scheme-less trusted origin: %v", err)
	}
}

// CVE-2025-46721 (nosurf): the same-origin check compared against a scheme
// it could not know. The request's scheme comes from TLS (or a trusted
// proxy), and an Origin with the other scheme is cross-origin.
func TestRegressionCVE2025_46721SchemeKnown(t *testing.T) {
	hs := newHarness(t, Config{Mode: Tokenless})
	cases := []struct {
		target, origin string
		want           error
	}{
		{"https://example.com/", "https://example.com", nil},
		{"https://example.com/", "http://example.com", ErrBadOrigin},
		{"http://example.com/", "https://example.com", ErrBadOrigin},
		{"http://example.com/", "http://example.com", nil},
	}
	for _, c := range cases {
		r := newRequest("POST", c.target, nil)
		r.Header.Set("Origin", c.origin)
		hs.expect(t, hs.do(r), c.want)
	}
}

// CVE-2025-47910 (net/http.CrossOriginProtection): a request whose path
// ServeMux would redirect (cleaned or trailing slash) matched a bypass
// pattern and reached another handler unprotected.
func TestRegressionCVE2025_47910ExemptRedirect(t *testing.T) {
	hs := newHarness(t, Config{ExemptPaths: []string{"/exempt/", "POST /hook"}})
	for target, exempt := range map[string]bool{
		"http://example.com/exempt/x":            true,
		"http://example.com/hook":                true,
		"http://example.com/exempt/../admin":     false,
		"http://example.com/exempt/%2e%2e/admin": false,
		"http://example.com//exempt/x":           false,
		"http://example.com/exempt":              false,
		"http://example.com/exempt/./x":          false,
		"http://example.com/hook/":               false,
		"http://example.com/exempt%2F..%2Fadmin": false,
	} {
		r := newRequest("POST", target, nil)
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		w := hs.do(r)
		if got := w.Code == http.StatusOK; got != exempt {
			t.Errorf("%s: status %d; want exempt=%v", target, w.Code, exempt)
		}
	}
}

// gorilla/csrf 1.7.3 assumed HTTPS and broke plain-HTTP development on
// localhost. A browser form on http://localhost:8000 must work out of the box.
func TestRegressionPlainHTTPLocalhostWorks(t *testing.T) {
	p, err := New(Config{Logger: quietLogger()}) // zero config, random key
	if err != nil {
		t.Fatal(err)
	}
	hs := &harness{p: p, h: p.Handler(app())}
	cookie, token := hs.mint(t, "http://localhost:8000/token", "")
	if strings.Contains(cookie, "__Host-") {
		t.Fatalf("plain-HTTP cookie has a __Host- prefix (browsers would drop it): %q", cookie)
	}
	r := newRequest("POST", "http://localhost:8000/submit", formBody("csrf_token", token))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", cookie)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", "http://localhost:8000")
	r.Header.Set("Referer", "http://localhost:8000/")
	if w := hs.do(r); w.Code != http.StatusOK {
		t.Fatalf("status %d, reason %v", w.Code, hs.reason)
	}
}

// net/http.CrossOriginProtection lets a request through when it has neither
// Sec-Fetch-Site nor Origin. Tokenless mode must fail closed; Full mode
// still demands the token.
func TestRegressionFailsOpenWithoutMetadata(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want error
	}{
		{Config{Mode: Tokenless}, ErrNoMetadata},
		{Config{}, ErrNoCookie},
	} {
		hs := newHarness(t, c.cfg)
		r := newRequest("POST", "http://example.com/transfer", strings.NewReader("to=mallory"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		hs.expect(t, hs.do(r), c.want)
	}
}
