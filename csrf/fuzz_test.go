package csrf

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzUnmaskToken: string and []byte tokens decode alike, exactly the
// tokens encoding/base64's strict decoder accepts as 64 bytes are accepted
// ('\r' and '\n', which it skips, are refused), never a panic, and a
// masked token round-trips.
func FuzzUnmaskToken(f *testing.F) {
	var secret [secretLen]byte
	copy(secret[:], "0123456789abcdef0123456789abcdef")
	f.Add(maskToken(&secret))
	f.Add(strings.Repeat("A", tokenLen))
	f.Add(strings.Repeat("A", tokenLen-1) + "B") // non-zero trailing bits
	f.Add(strings.Repeat("_", tokenLen))
	f.Add(strings.Repeat("A", tokenLen-2) + "==")
	f.Add("")
	f.Add("%41")
	f.Fuzz(func(t *testing.T, tok string) {
		var got [secretLen]byte
		ok := unmaskToken(&got, tok)
		okBytes := unmaskToken(&got, []byte(tok))
		if ok != okBytes {
			t.Fatalf("string and []byte decoders disagree on %q", tok)
		}
		raw, err := b64.Strict().DecodeString(tok)
		// encoding/base64 skips '\r' and '\n'; the token decoder refuses them.
		std := err == nil && len(raw) == tokenRawLen && !strings.ContainsAny(tok, "\r\n")
		if ok != std {
			t.Fatalf("decoder says %v, encoding/base64 strict says %v (err %v) for %q", ok, std, err, tok)
		}
		if ok {
			var want [secretLen]byte
			for i := range want {
				want[i] = raw[i] ^ raw[secretLen+i]
			}
			if got != want {
				t.Fatalf("unmask mismatch for %q", tok)
			}
		}
		// Any secret survives mask/unmask.
		var s [secretLen]byte
		copy(s[:], tok)
		var back [secretLen]byte
		if !unmaskToken(&back, maskToken(&s)) || back != s {
			t.Fatal("mask/unmask round trip failed")
		}
	})
}

// FuzzDecodeCookie: arbitrary cookie and session values never panic and
// never verify unless they were produced by the signer; a signer rotating
// from that key to another (Config.PreviousKeys) accepts exactly the
// cookies either key produced, reporting stale those of the old key.
func FuzzDecodeCookie(f *testing.F) {
	sg := newCookieSigner(testKey)
	rot := newCookieSigner(bytes.Repeat([]byte("n"), 32), testKey)
	var secret [secretLen]byte
	f.Add(sg.encode(&secret, ""), "")
	f.Add(sg.encode(&secret, "sid"), "sid")
	f.Add(sg.encode(&secret, "sid"), "other")
	f.Add(rot.encode(&secret, "sid"), "sid")
	f.Add(strings.Repeat("A", cookieValueLen), "")
	f.Add("", strings.Repeat("s", 5000))
	f.Fuzz(func(t *testing.T, value, session string) {
		var got [secretLen]byte
		if ok, _ := sg.verify(&got, value, session); ok {
			if sg.encode(&got, session) != value {
				t.Fatalf("verified a cookie the signer did not produce: %q", value)
			}
		}
		for range 2 { // verifying twice decides alike
			ok, stale := rot.verify(&got, value, session)
			switch {
			case !ok && stale:
				t.Fatal("stale without ok")
			case ok && stale && sg.encode(&got, session) != value:
				t.Fatalf("stale cookie not produced by the previous key: %q", value)
			case ok && !stale && rot.encode(&got, session) != value:
				t.Fatalf("verified a cookie the current key did not produce: %q", value)
			}
		}
	})
}

// FuzzParseOrigin: never panics; accepted origins agree with net/url about
// scheme and host, have no path, and re-serialise to an equal origin.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"https://example.com", "http://localhost:8000", "https://EXAMPLE.com:443",
		"http://[::1]:8000", "null", "", "http://", "https://a@b", "https://a/b", "http://a:99999", "HTTP://A:080",
		"chrome-extension://abcdef", "https://xn--bcher-kva.example", "http://[::1", "http://a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := parseOrigin(s)
		if !ok {
			return
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("accepted %q that net/url rejects: %v", s, err)
		}
		if !strings.EqualFold(u.Scheme, o.scheme) || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			t.Fatalf("accepted %q: url says scheme %q path %q user %v", s, u.Scheme, u.Path, u.User)
		}
		if !strings.EqualFold(u.Hostname(), strings.Trim(o.host, "[]")) {
			t.Fatalf("host %q, net/url says %q", o.host, u.Hostname())
		}
		re := o.scheme + "://" + o.host
		if o.port != "" {
			re += ":" + o.port
		}
		o2, ok := parseOrigin(re)
		if !ok || !o2.equal(o) {
			t.Fatalf("%q re-serialised as %q does not parse equal", s, re)
		}
	})
}

// FuzzParseReferer: never panics; an accepted Referer's origin matches the
// one net/url finds.
func FuzzParseReferer(f *testing.F) {
	for _, s := range []string{"https://example.com/form?x=1#y", "https://example.com", "http://a:8080/",
		"not a url", "https://evil@example.com/", "https://example.com\\@evil.example/", "//example.com/",
		"https://example.com:443/p", "https://[::1]/x", "javascript:alert(1)", "https://a/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := parseReferer(s)
		if !ok {
			return
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("accepted %q that net/url rejects: %v", s, err)
		}
		if u.User != nil || !strings.EqualFold(u.Scheme, o.scheme) || !strings.EqualFold(u.Hostname(), strings.Trim(o.host, "[]")) {
			t.Fatalf("accepted %q as %+v; net/url says scheme %q host %q", s, o, u.Scheme, u.Hostname())
		}
	})
}

// FuzzProtector: arbitrary Origin, Referer, Sec-Fetch-Site, token and body
// always give 200 or 403, never a panic or another status; a cross-site
// request never passes.
func FuzzProtector(f *testing.F) {
	f.Add("http://example.com", "", "same-origin", "", "csrf_token=abc", true)
	f.Add("null", "https://example.com/", "cross-site", strings.Repeat("A", tokenLen), "", false)
	f.Add("", "", "", "", "csrf_token=%zz&csrf_token=", true)
	f.Add("https://example.com", "http://example.com/", "none", "*", strings.Repeat("a=b&", 100), false)
	p, err := New(Config{Key: testKey, Logger: quietLogger(), MaxBodyBytes: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { r.ParseForm() }))
	f.Fuzz(func(t *testing.T, origin, referer, sfs, token, body string, secure bool) {
		target := "http://example.com/x"
		if secure {
			target = "https://example.com/x"
		}
		r := newRequest("POST", target, bytes.NewBufferString(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range map[string]string{"Origin": origin, "Referer": referer, "Sec-Fetch-Site": sfs, "X-CSRF-Token": token} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 && w.Code != 403 {
			t.Fatalf("status %d", w.Code)
		}
		if w.Code == 200 {
			// No cookie was sent, so nothing may pass.
			t.Fatalf("request without a csrf cookie passed")
		}
		if sfs == "cross-site" && w.Code != 403 {
			t.Fatal("cross-site passed")
		}
	})
}

// FuzzForEachCookie: the first session cookie value forEachCookie finds is
// the one net/http's Request.Cookie returns, so the csrf cookie is bound to
// the session the app actually runs in.
func FuzzForEachCookie(f *testing.F) {
	for _, s := range []string{"session=a; csrf=b", `session=evil\x; session=victim`, `session="q"; session=r`,
		"session; session=v", " session =v ;session=w", "session=a b", "\tsession\t=\tv\t", "session=\"", "x=1;;session=\x7f;session=ok"} {
		f.Add(s, "")
	}
	f.Add("session=a", "session=b")
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		lines := []string{line1}
		if line2 != "" {
			lines = append(lines, line2)
		}
		if strings.Count(line1+line2, ";") > 2000 {
			return // net/http ignores every cookie past its count limit
		}
		var got string
		found := false
		forEachCookie(lines, "session", func(v string) bool { got, found = v, true; return false })
		r := &http.Request{Header: http.Header{"Cookie": lines}}
		c, err := r.Cookie("session")
		if (err == nil) != found || (found && c.Value != got) {
			t.Fatalf("forEachCookie found %v %q; net/http found %v", found, got, c)
		}
	})
}

// FuzzSelfOrigin: the Origin fast path (a string compare against the Host
// header) accepts a request only when the full path would: the Origin
// parses, the Host is a valid authority, and the two origins are equal. So
// the origin layers decide the same with or without the fast path.
func FuzzSelfOrigin(f *testing.F) {
	for _, s := range [][2]string{{"https://example.com", "example.com"}, {"http://localhost:8000", "localhost:8000"},
		{"https://example.com:443", "example.com:443"}, {"http://[::1]:80", "[::1]:80"}, {"https://a/b", "a/b"},
		{"https://a?", "a?"}, {"https://a#", "a#"}, {"http://", ""}, {"https://a:99999", "a:99999"},
		{"https://a@b", "a@b"}, {"https://[::1", "[::1"}, {"https://EXAMPLE.com", "EXAMPLE.com"}, {"https://a:", "a:"}} {
		f.Add(s[0], s[1], strings.HasPrefix(s[0], "https"))
	}
	f.Fuzz(func(t *testing.T, origin, host string, secure bool) {
		checkSelfOrigin(t, origin, host, secure)
		// The fuzzer seldom makes the two agree by chance: also try the
		// Origin the fast path looks for.
		prefix := "http://"
		if secure {
			prefix = "https://"
		}
		checkSelfOrigin(t, prefix+host, host, secure)
	})
}

func checkSelfOrigin(t *testing.T, origin, host string, secure bool) {
	t.Helper()
	if !isSelfOrigin(origin, host, secure) {
		return
	}
	o, ok := parseOrigin(origin)
	if !ok {
		t.Fatalf("fast path accepted Origin %q (Host %q) that parseOrigin rejects", origin, host)
	}
	self, ok := requestOrigin(host, secure)
	if !ok || !self.equal(o) {
		t.Fatalf("fast path accepted Origin %q for Host %q; full path: host ok %v, equal %v", origin, host, ok, self.equal(o))
	}
	// And the whole layer agrees, with and without a benign Sec-Fetch-Site.
	p := &Protector{}
	for _, sfs := range []string{"", "same-origin", "none"} {
		r := &http.Request{Host: host, Header: http.Header{"Origin": {origin}}}
		if sfs != "" {
			r.Header.Set("Sec-Fetch-Site", sfs)
		}
		if err := p.checkOrigins(r, secure); err != nil {
			t.Fatalf("Origin %q Host %q Sec-Fetch-Site %q: %v", origin, host, sfs, err)
		}
	}
}

// FuzzVerdicts: with Config.Observe set the Protector answers every request
// as it does without (status, reason, Set-Cookie, what the handler read),
// and the observed verdicts decide for the very reason it refuses for:
// judging every layer never changes enforcement.
func FuzzVerdicts(f *testing.F) {
	f.Add("http://example.com", "", "same-origin", "", "csrf_token=abc", false, uint8(0), false, true)
	f.Add("https://evil.example", "https://evil.example/", "cross-site", "", "name=x&csrf_token=TOKEN", true, uint8(0), false, true)
	f.Add("", "https://example.com/a", "", "", "", true, uint8(1), false, false)
	f.Add("null", "", "same-site", "", "", false, uint8(0), true, true)
	f.Add("", "", "cross-site", "", "", false, uint8(0), true, false)
	f.Add("", "", "", "TOKEN", "", true, uint8(3), false, true)
	f.Add("", "", "", "", "", true, uint8(4), false, false)
	f.Add("http://example.com", "", "", "", "csrf_token=TOKEN", false, uint8(2), false, true)
	configs := []Config{{}, {Mode: Tokenless}, {PerFormTokens: true}, {AllowMissingMetadata: true},
		{Mode: Tokenless, AllowMissingMetadata: true}, {ExemptPaths: []string{"POST /x"}}}
	var plain, observed []*harness
	var seen []Verdicts
	for _, cfg := range configs {
		cfg.MaxBodyBytes = 1 << 16
		plain = append(plain, newHarness(f, cfg))
		cfg.Observe = func(_ *http.Request, v Verdicts) { seen = append(seen, v) }
		observed = append(observed, newHarness(f, cfg))
	}
	cookie, token := plain[0].mint(f, "http://example.com/token", "")
	f.Fuzz(func(t *testing.T, origin, referer, sfs, hdrToken, body string, secure bool, config uint8, handshake, withCookie bool) {
		i := int(config) % len(configs)
		build := func() *http.Request {
			target := "http://example.com/x"
			if secure {
				target = "https://example.com/x"
			}
			method := "POST"
			if handshake {
				method = "GET"
			}
			r := newRequest(method, target, strings.NewReader(strings.ReplaceAll(body, "TOKEN", token)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if handshake {
				r.Header.Set("Upgrade", "websocket")
			}
			if withCookie {
				r.Header.Set("Cookie", cookie)
			}
			for k, v := range map[string]string{"Origin": origin, "Referer": referer, "Sec-Fetch-Site": sfs, "X-CSRF-Token": strings.ReplaceAll(hdrToken, "TOKEN", token)} {
				if v != "" {
					r.Header.Set(k, v)
				}
			}
			return r
		}
		w1 := plain[i].do(build())
		seen = nil
		w2 := observed[i].do(build())
		if w1.Code != w2.Code || plain[i].reason != observed[i].reason || w1.Body.String() != w2.Body.String() {
			t.Fatalf("without Observe %d %v %q, with Observe %d %v %q", w1.Code, plain[i].reason, w1.Body, w2.Code, observed[i].reason, w2.Body)
		}
		if c1, c2 := len(w1.Header()["Set-Cookie"]), len(w2.Header()["Set-Cookie"]); c1 != c2 {
			t.Fatalf("Set-Cookie: %d without Observe, %d with it", c1, c2)
		}
		if len(seen) != 1 {
			t.Fatalf("Observe called %d times", len(seen))
		}
		if got := seen[0].Err(); got != observed[i].reason {
			t.Fatalf("verdicts decide %v, the Protector refused for %v", got, observed[i].reason)
		}
	})
}
