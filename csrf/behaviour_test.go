package csrf

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// behaviour is one row of the behaviour table. The zero row is a valid
// same-origin-less urlencoded POST over plain HTTP with a fresh cookie and
// token: it must pass.
type behaviour struct {
	name        string
	cfg         Config
	method      string   // default POST
	target      string   // default http://example.com/submit
	headers     []string // name, value pairs added to the request
	cookie      string   // "": the minted cookie; "none"; "tampered"; "raw:<Cookie header>"
	token       string   // "": the minted token; "none"; "other" (another client's); "raw:<token>"; "form:<METHOD>:<action>"
	in          string   // where the token goes: "form" (default), "header", "multipart", "json", "text", "both-bad-header"
	mintWith    string   // extra cookies sent when minting (session cookie)
	sendWith    string   // extra cookies sent with the request instead of mintWith
	mintHeaders []string
	want        error
}

var (
	sameOrigin  = []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"}
	sameOriginS = []string{"Sec-Fetch-Site", "same-origin", "Origin", "https://example.com"}
	refererS    = []string{"Referer", "https://example.com/form"}
)

func behaviours() []behaviour {
	trusted := Config{TrustedOrigins: []string{"https://partner.example.org", "https://*.example.com", "http://localhost:3000"}}
	big := strings.Repeat("a", 1<<20)
	return []behaviour{
		// Safe methods are never checked (Django: test_get_*; OWASP: GET must not change state).
		{name: "GET without token passes", method: "GET", cookie: "none", token: "none"},
		{name: "HEAD without token passes", method: "HEAD", cookie: "none", token: "none"},
		{name: "OPTIONS without token passes", method: "OPTIONS", cookie: "none", token: "none"},
		{name: "TRACE without token passes", method: "TRACE", cookie: "none", token: "none"},
		{name: "GET cross-site passes", method: "GET", cookie: "none", token: "none", headers: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},

		// Token layer.
		{name: "valid form token over http passes"},
		{name: "valid token same-origin browser passes", headers: sameOrigin},
		{name: "missing token", token: "none", want: ErrNoToken},
		{name: "missing cookie", cookie: "none", want: ErrNoCookie},
		{name: "tampered cookie", cookie: "tampered", want: ErrBadCookie},
		{name: "garbage cookie", cookie: "raw:csrf=%%%garbage", want: ErrBadCookie},
		{name: "megabyte cookie", cookie: "raw:csrf=" + big, want: ErrBadCookie},
		{name: "token of another client", token: "other", want: ErrTokenMismatch},
		{name: "token non-base64 of the right length", token: "raw:" + strings.Repeat("*", tokenLen), want: ErrBadToken},
		{name: "token too short", token: "raw:abc", want: ErrBadToken},
		{name: "token megabyte", token: "raw:" + big, want: ErrBadToken},
		{name: "token megabyte in header", token: "raw:" + big, in: "header", want: ErrBadToken},
		{name: "token with padding", token: "raw:" + strings.Repeat("A", tokenLen-2) + "==", want: ErrBadToken},
		{name: "token percent-encoded passes", in: "form-escaped"},
		{name: "PUT with header token passes", method: "PUT", in: "header"},
		{name: "PATCH with header token passes", method: "PATCH", in: "header"},
		{name: "DELETE with header token passes", method: "DELETE", in: "header"},
		{name: "DELETE without token", method: "DELETE", in: "header", token: "none", want: ErrNoToken},
		{name: "custom method is checked", method: "PROPFIND", in: "header", token: "none", want: ErrNoToken},
		{name: "repeated token header", in: "header-twice", want: ErrRepeatedHeader},
		{name: "header wins over form", in: "both-bad-header", want: ErrBadToken},
		{name: "JSON body with header token passes", in: "json"},
		{name: "JSON body without header", in: "json", token: "none", want: ErrNoToken},
		{name: "text/plain body is never parsed", in: "text", want: ErrNoToken},
		{name: "multipart form passes", in: "multipart"},
		{name: "multipart without token", in: "multipart", token: "none", want: ErrNoToken},
		{name: "multipart cut off inside the token part", in: "multipart-cut-token", want: ErrBadBody},
		{name: "multipart cut off after the token passes (the handler sees the truncation)", in: "multipart-truncated"},
		{name: "multipart too large", in: "multipart", cfg: Config{MaxBodyBytes: 64}, want: ErrBodyTooLarge},
		{name: "urlencoded too large", cfg: Config{MaxBodyBytes: 64}, want: ErrBodyTooLarge},
		{name: "urlencoded chunked too large", in: "form-chunked", cfg: Config{MaxBodyBytes: 64}, want: ErrBodyTooLarge},
		{name: "urlencoded chunked passes", in: "form-chunked"},
		{name: "urlencoded truncated", in: "form-truncated", want: ErrBadBody},
		{name: "token in the query string is ignored", in: "query", want: ErrNoToken},
		{name: "lower-case method is not safe", method: "get", in: "header", token: "none", want: ErrNoToken},
		{name: "Origin with trailing slash", headers: []string{"Origin", "http://example.com/"}, want: ErrMalformedOrigin},
		{name: "Origin list", headers: []string{"Origin", "http://example.com http://evil.example"}, want: ErrMalformedOrigin},
		{name: "custom field and header names", cfg: Config{FieldName: "authenticity_token", HeaderName: "X-Token"}},
		{name: "custom header name", cfg: Config{HeaderName: "X-Token"}, in: "header"},

		// Fetch Metadata.
		{name: "cross-site rejected despite valid token", headers: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, want: ErrCrossSite},
		{name: "cross-site without origin", headers: []string{"Sec-Fetch-Site", "cross-site"}, want: ErrCrossSite},
		{name: "same-site untrusted", headers: []string{"Sec-Fetch-Site", "same-site", "Origin", "http://evil.example.com"}, want: ErrSameSite},
		{name: "same-site trusted wildcard passes", cfg: trusted, target: "https://example.com/submit", headers: []string{"Sec-Fetch-Site", "same-site", "Origin", "https://app.example.com"}},
		{name: "cross-site trusted origin passes", cfg: trusted, target: "https://example.com/submit", headers: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://partner.example.org"}},
		{name: "Sec-Fetch-Site none passes to token", headers: []string{"Sec-Fetch-Site", "none"}},
		{name: "Sec-Fetch-Site none still needs token", headers: []string{"Sec-Fetch-Site", "none"}, token: "none", want: ErrNoToken},
		{name: "Sec-Fetch-Site unknown falls through", headers: []string{"Sec-Fetch-Site", "future-value", "Origin", "http://example.com"}},
		{name: "Sec-Fetch-Site repeated", headers: []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Site", "same-origin"}, want: ErrRepeatedHeader},
		{name: "same-origin but Origin mismatch", headers: []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://evil.example"}, want: ErrBadOrigin},

		// Origin.
		{name: "Origin null", headers: []string{"Origin", "null"}, want: ErrNullOrigin},
		{name: "Origin empty", headers: []string{"Origin", ""}, want: ErrMalformedOrigin},
		{name: "Origin without host", headers: []string{"Origin", "http://"}, want: ErrMalformedOrigin},
		{name: "Origin with path", headers: []string{"Origin", "http://example.com/x"}, want: ErrMalformedOrigin},
		{name: "Origin with userinfo", headers: []string{"Origin", "http://user@example.com"}, want: ErrMalformedOrigin},
		{name: "Origin non-ascii", headers: []string{"Origin", "http://exämple.com"}, want: ErrMalformedOrigin},
		{name: "Origin bad port", headers: []string{"Origin", "http://example.com:99999"}, want: ErrMalformedOrigin},
		{name: "Origin megabyte", headers: []string{"Origin", "http://" + big}, want: ErrMalformedOrigin},
		{name: "Origin repeated", headers: []string{"Origin", "http://example.com", "Origin", "http://example.com"}, want: ErrRepeatedHeader},
		{name: "Origin other host", headers: []string{"Origin", "http://evil.example"}, want: ErrBadOrigin},
		{name: "Origin other port", headers: []string{"Origin", "http://example.com:8080"}, want: ErrBadOrigin},
		{name: "Origin https on http request", headers: []string{"Origin", "https://example.com"}, want: ErrBadOrigin},
		{name: "Origin http on https request", target: "https://example.com/submit", headers: []string{"Origin", "http://example.com"}, want: ErrBadOrigin},
		{name: "Origin default port normalised", target: "https://example.com/submit", headers: []string{"Origin", "https://example.com:443"}},
		{name: "Host default port normalised", target: "https://example.com:443/submit", headers: []string{"Origin", "https://example.com"}},
		{name: "Origin case-insensitive", target: "https://example.com/submit", headers: []string{"Origin", "HTTPS://EXAMPLE.COM"}},
		{name: "Origin IPv6 passes", target: "http://[::1]:8000/submit", headers: []string{"Origin", "http://[::1]:8000"}},
		{name: "trusted exact origin", cfg: trusted, headers: []string{"Origin", "http://localhost:3000"}},
		{name: "trusted wildcard subdomain", cfg: trusted, target: "https://example.com/submit", headers: []string{"Origin", "https://a.b.example.com"}},
		{name: "trusted wildcard excludes apex", cfg: Config{TrustedOrigins: []string{"https://*.example.com"}}, target: "https://api.example.com/submit", headers: []string{"Origin", "https://example.com"}, want: ErrBadOrigin},
		{name: "trusted wildcard enforces scheme", cfg: trusted, target: "https://example.com/submit", headers: []string{"Origin", "http://app.example.com"}, want: ErrBadOrigin},
		{name: "Origin with trailing dot is not the host", target: "https://example.com/submit", headers: []string{"Origin", "https://example.com."}, want: ErrBadOrigin},
		{name: "trusted wildcard does not match a longer registrable domain", cfg: trusted, target: "https://example.com/submit", headers: []string{"Origin", "https://a.example.com.evil.com"}, want: ErrBadOrigin},
		{name: "two origins in one header are malformed", target: "https://example.com/submit", headers: []string{"Origin", "https://example.com, https://evil.com"}, want: ErrMalformedOrigin},
		{name: "Origin on another port", target: "https://example.com/submit", headers: []string{"Origin", "https://example.com:8443"}, want: ErrBadOrigin},
		{name: "trusted wildcard is not a suffix match", cfg: trusted, target: "https://example.com/submit", headers: []string{"Origin", "https://evilexample.com"}, want: ErrBadOrigin},
		{name: "trusted origin enforces port", cfg: trusted, headers: []string{"Origin", "http://localhost:3001"}, want: ErrBadOrigin},
		{name: "trusted origin does not replace token", cfg: trusted, headers: []string{"Origin", "http://localhost:3000"}, token: "none", want: ErrNoToken},

		// Referer (HTTPS without Origin; Django's rules).
		{name: "https without Origin or Referer", target: "https://example.com/submit", want: ErrNoReferer},
		{name: "https Referer same origin passes", target: "https://example.com/submit", headers: refererS},
		{name: "https Referer malformed", target: "https://example.com/submit", headers: []string{"Referer", "not a url"}, want: ErrBadReferer},
		{name: "https Referer with userinfo", target: "https://example.com/submit", headers: []string{"Referer", "https://evil@example.com/"}, want: ErrBadReferer},
		{name: "https Referer megabyte", target: "https://example.com/submit", headers: []string{"Referer", "https://example.com/" + big}, want: ErrBadReferer},
		{name: "https Referer insecure", target: "https://example.com/submit", headers: []string{"Referer", "http://example.com/form"}, want: ErrInsecureReferer},
		{name: "https Referer other host", target: "https://example.com/submit", headers: []string{"Referer", "https://evil.example/form"}, want: ErrRefererMismatch},
		{name: "https Referer other port", target: "https://example.com/submit", headers: []string{"Referer", "https://example.com:8443/form"}, want: ErrRefererMismatch},
		{name: "https Referer trusted", cfg: trusted, target: "https://example.com/submit", headers: []string{"Referer", "https://app.example.com/x?y#z"}},
		{name: "https Referer repeated", target: "https://example.com/submit", headers: []string{"Referer", "https://example.com/", "Referer", "https://example.com/"}, want: ErrRepeatedHeader},
		{name: "http Referer cross-site not checked in Full mode", headers: []string{"Referer", "http://evil.example/"}},
		{name: "https Origin present ignores a repeated Referer", target: "https://example.com/submit", headers: []string{"Origin", "https://example.com", "Referer", "https://evil.example/", "Referer", "https://example.com/"}},
		{name: "https Origin present skips Referer", target: "https://example.com/submit", headers: []string{"Origin", "https://example.com", "Referer", "https://evil.example/"}},

		// Proxy settings.
		{name: "trusted proxy https", cfg: Config{TrustProxyHeaders: true}, headers: []string{"X-Forwarded-Proto", "https", "Origin", "https://example.com"}, mintHeaders: []string{"X-Forwarded-Proto", "https"}},
		{name: "untrusted proxy header ignored", headers: []string{"X-Forwarded-Proto", "https", "Origin", "https://example.com"}, want: ErrBadOrigin},
		{name: "trusted Forwarded needs Referer", cfg: Config{TrustProxyHeaders: true}, headers: []string{"Forwarded", "proto=https"}, mintHeaders: []string{"Forwarded", "proto=https"}, want: ErrNoReferer},
		{name: "http cookie not accepted on https", target: "https://example.com/submit", mintHeaders: nil, headers: sameOriginS, cookie: "http", want: ErrNoCookie},

		// Modes.
		{name: "tokenless same-origin passes", cfg: Config{Mode: Tokenless}, cookie: "none", token: "none", headers: sameOrigin},
		{name: "tokenless cross-site", cfg: Config{Mode: Tokenless}, cookie: "none", token: "none", headers: []string{"Sec-Fetch-Site", "cross-site"}, want: ErrCrossSite},
		{name: "tokenless Origin mismatch", cfg: Config{Mode: Tokenless}, cookie: "none", token: "none", headers: []string{"Origin", "http://evil.example"}, want: ErrBadOrigin},
		{name: "tokenless no metadata fails closed", cfg: Config{Mode: Tokenless}, cookie: "none", token: "none", want: ErrNoMetadata},
		{name: "tokenless no metadata allowed", cfg: Config{Mode: Tokenless, AllowMissingMetadata: true}, cookie: "none", token: "none"},
		{name: "tokenless no metadata allowed over https", cfg: Config{Mode: Tokenless, AllowMissingMetadata: true}, target: "https://example.com/submit", cookie: "none", token: "none"},
		{name: "full no metadata allowed over https still needs the token", cfg: Config{AllowMissingMetadata: true}, target: "https://example.com/submit", token: "none", want: ErrNoToken},
		{name: "full no metadata allowed over https with the token passes", cfg: Config{AllowMissingMetadata: true}, target: "https://example.com/submit"},
		{name: "AllowMissingMetadata: Sec-Fetch-Site without Referer over https refused", cfg: Config{AllowMissingMetadata: true}, target: "https://example.com/submit", headers: []string{"Sec-Fetch-Site", "same-origin"}, want: ErrNoReferer},
		{name: "tokenless http Referer same origin", cfg: Config{Mode: Tokenless}, cookie: "none", token: "none", headers: []string{"Referer", "http://example.com/page"}},
		{name: "tokenless http Referer cross", cfg: Config{Mode: Tokenless}, cookie: "none", token: "none", headers: []string{"Referer", "http://evil.example/page"}, want: ErrRefererMismatch},
		{name: "report-only passes cross-site", cfg: Config{ReportOnly: true}, headers: []string{"Sec-Fetch-Site", "cross-site"}},
		{name: "report-only passes missing token", cfg: Config{ReportOnly: true}, token: "none"},
		{name: "report-only tokenless passes", cfg: Config{Mode: Tokenless, ReportOnly: true}, cookie: "none", token: "none"},

		// Exemptions.
		{name: "exempt path pattern", cfg: Config{ExemptPaths: []string{"/hooks/"}}, target: "http://example.com/hooks/github", cookie: "none", token: "none", headers: []string{"Sec-Fetch-Site", "cross-site"}},
		{name: "exempt method pattern other method", cfg: Config{ExemptPaths: []string{"POST /hook"}}, method: "PUT", target: "http://example.com/hook", in: "form", cookie: "none", token: "none", want: ErrNoCookie},
		{name: "exempt handler on mux", target: "http://example.com/exempt-handler", cookie: "none", token: "none", headers: []string{"Sec-Fetch-Site", "cross-site"}},
		{name: "exempt does not cover dot-dot path", cfg: Config{ExemptPaths: []string{"/hooks/"}}, target: "http://example.com/hooks/../admin", token: "none", want: ErrNoToken},
		{name: "exempt does not cover double slash", cfg: Config{ExemptPaths: []string{"/hooks/"}}, target: "http://example.com//hooks/x", token: "none", want: ErrNoToken},
		{name: "exempt does not cover trailing-slash redirect", cfg: Config{ExemptPaths: []string{"/hooks/"}}, target: "http://example.com/hooks", token: "none", want: ErrNoToken},
		{name: "exempt multipart body left intact", cfg: Config{ExemptPaths: []string{"/hooks/"}}, target: "http://example.com/hooks/x", in: "multipart", cookie: "none", token: "none"},

		// Session binding (OWASP signed double-submit).
		{name: "session-bound cookie same session", cfg: Config{SessionCookie: "sid"}, mintWith: "sid=one"},
		{name: "session-bound cookie moved to another session", cfg: Config{SessionCookie: "sid"}, mintWith: "sid=one", sendWith: "sid=two", want: ErrBadCookie},
		{name: "session-bound cookie session appeared", cfg: Config{SessionCookie: "sid"}, sendWith: "sid=new", want: ErrBadCookie},
		{name: "unbound cookie ignores session cookie", mintWith: "sid=one", sendWith: "sid=two"},

		// Per-form tokens.
		{name: "per-form token on its form", cfg: Config{PerFormTokens: true}, target: "http://example.com/a", token: "form:POST:/a"},
		{name: "per-form token relative action", cfg: Config{PerFormTokens: true}, target: "http://example.com/a", token: "form:post:a?x=1"},
		{name: "per-form token on another path", cfg: Config{PerFormTokens: true}, target: "http://example.com/b", token: "form:POST:/a", want: ErrTokenMismatch},
		{name: "per-form token with another method", cfg: Config{PerFormTokens: true}, method: "DELETE", in: "header", target: "http://example.com/a", token: "form:POST:/a", want: ErrTokenMismatch},
		{name: "per-form tokens still accept the global token", cfg: Config{PerFormTokens: true}},
		{name: "per-form token refused without PerFormTokens", target: "http://example.com/b", token: "form-forged:POST:/b", want: ErrTokenMismatch},

		// Secret store.
		{name: "secret store passes", cfg: Config{Secrets: &memStore{}}, cookie: "none"},
		{name: "secret store empty", cfg: Config{Secrets: &memStore{}}, cookie: "none", token: "raw:" + strings.Repeat("A", tokenLen), want: ErrNoSecret},
		{name: "secret store failure", cfg: Config{Secrets: &memStore{err: errors.New("db down")}}, cookie: "none", token: "raw:" + strings.Repeat("A", tokenLen), want: ErrSecretStore},
	}
}

// TestBehaviour runs every row twice: as configured, and with
// Config.Observe set, which judges every layer. The outcome must be the
// same, and the observed verdicts must decide for the very reason the
// Protector gave.
func TestBehaviour(t *testing.T) {
	for _, c := range behaviours() {
		for _, observed := range []bool{false, true} {
			name := c.name
			if observed {
				name += " (observed)"
			}
			t.Run(name, func(t *testing.T) { runBehaviour(t, c, observed) })
		}
	}
}

func runBehaviour(t *testing.T, c behaviour, observed bool) {
	cfg := c.cfg
	var seen []Verdicts
	if observed {
		cfg.Observe = func(_ *http.Request, v Verdicts) { seen = append(seen, v) }
	}
	hs := newHarness(t, cfg)
	seen = nil // minting is a GET: never judged
	method := c.method
	if method == "" {
		method = "POST"
	}
	target := c.target
	if target == "" {
		target = "http://example.com/submit"
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	base := u.Scheme + "://" + u.Host

	var cookie, token string
	if c.cookie != "none" || c.token == "" || c.token == "other" || strings.HasPrefix(c.token, "form") {
		mintBase := base
		if c.cookie == "http" {
			mintBase = "http://" + u.Host
		}
		cookie, token = hs.mint(t, mintBase+"/token", c.mintWith, c.mintHeaders...)
	}
	switch {
	case c.token == "none":
		token = ""
	case c.token == "other":
		_, token = newHarness(t, c.cfg).mint(t, base+"/token", "")
	case strings.HasPrefix(c.token, "raw:"):
		token = strings.TrimPrefix(c.token, "raw:")
	case strings.HasPrefix(c.token, "form:"):
		parts := strings.SplitN(c.token, ":", 3)
		_, token = hs.mint(t, "GET "+base+"/formtoken?m="+url.QueryEscape(parts[1])+"&a="+url.QueryEscape(parts[2]), cookie)
	case strings.HasPrefix(c.token, "form-forged:"):
		// A per-form token minted by a PerFormTokens protector with
		// the same key, replayed where per-form tokens are off.
		var secret [secretLen]byte
		dec := strings.Split(cookie, "=")[1]
		var raw [cookieRawLen]byte
		decodeBase64(raw[:], dec)
		copy(secret[:], raw[:secretLen])
		var fs [secretLen]byte
		formSecret(&fs, &secret, "POST", "/b")
		token = maskToken(&fs)
	}
	switch {
	case c.cookie == "none":
		cookie = ""
	case c.cookie == "tampered":
		b := []byte(cookie)
		i := strings.IndexByte(cookie, '=') + 5
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		cookie = string(b)
	case strings.HasPrefix(c.cookie, "raw:"):
		cookie = strings.TrimPrefix(c.cookie, "raw:")
	}
	if c.sendWith != "" {
		if c.mintWith == "" {
			cookie = strings.Trim(cookie+"; "+c.sendWith, "; ")
		} else {
			cookie = strings.Replace(cookie, c.mintWith, c.sendWith, 1)
		}
	}

	r := buildRequest(t, hs.p, method, target, c.in, token)
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	for i := 0; i+1 < len(c.headers); i += 2 {
		r.Header.Add(c.headers[i], c.headers[i+1])
	}
	w := hs.do(r)
	hs.expect(t, w, c.want)
	if observed && !c.cfg.ReportOnly { // a ReportOnly Protector refuses nothing
		checkObserved(t, r, seen, hs.reason)
	}
	if c.want == nil && method != "HEAD" && c.in == "multipart" && !strings.Contains(w.Body.String(), "alice") {
		t.Fatalf("handler could not read the multipart form: %q", w.Body.String())
	}
	if c.want == nil && (c.in == "" || c.in == "form") && method == "POST" && !strings.Contains(target, "exempt") && !strings.Contains(w.Body.String(), "alice") {
		t.Fatalf("handler could not read the form: %q", w.Body.String())
	}
}

// checkObserved checks what Observe saw of r: nothing for a safe request
// that is not a handshake, else one set of verdicts whose Err is the very
// reason the Protector refused r for (nil when it passed).
func checkObserved(t *testing.T, r *http.Request, seen []Verdicts, reason error) {
	t.Helper()
	if safeMethod(r.Method) && !isWebSocketHandshake(r) {
		if len(seen) != 0 {
			t.Fatalf("Observe saw a safe request: %v", seen)
		}
		return
	}
	if len(seen) != 1 {
		t.Fatalf("Observe called %d times, want 1", len(seen))
	}
	if got := seen[0].Err(); got != reason {
		t.Fatalf("observed verdicts decide %v, the Protector refused for %v (verdicts %v)", got, reason, seen[0].Summary())
	}
}

// buildRequest places token as c.in says.
func buildRequest(t *testing.T, p *Protector, method, target, in, token string) *http.Request {
	t.Helper()
	switch in {
	case "", "form", "form-escaped", "form-chunked", "form-truncated":
		v := url.Values{"name": {"alice"}}
		if token != "" {
			v.Set(p.fieldName, token)
		}
		body := v.Encode()
		if in == "form-escaped" {
			body = "name=alice&" + p.fieldName + "=" + strings.ReplaceAll(url.QueryEscape(token), "A", "%41")
		}
		if in == "form-truncated" {
			r := newRequest(method, target, strings.NewReader(body[:len(body)/2]))
			r.ContentLength = int64(len(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}
		r := newRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
		if in == "form-chunked" {
			r.ContentLength = -1
		}
		return r
	case "query":
		r := newRequest(method, target+"?"+p.fieldName+"="+token, strings.NewReader("name=alice"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	case "header", "header-twice":
		r := newRequest(method, target, nil)
		if token != "" {
			r.Header.Set(p.headerName, token)
			if in == "header-twice" {
				r.Header.Add(p.headerName, token)
			}
		}
		return r
	case "both-bad-header":
		r := newRequest(method, target, formBody(p.fieldName, token))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set(p.headerName, "*"+token[1:])
		return r
	case "json":
		r := newRequest(method, target, strings.NewReader(`{"name":"alice"}`))
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set(p.headerName, token)
		}
		return r
	case "text":
		r := newRequest(method, target, strings.NewReader(p.fieldName+"="+token))
		r.Header.Set("Content-Type", "text/plain")
		return r
	case "multipart", "multipart-truncated", "multipart-cut-token":
		b, ct := multipartBody(t, p.fieldName, token)
		body := b.String()
		switch in {
		case "multipart-truncated":
			body = body[:len(body)-20]
		case "multipart-cut-token":
			body = body[:strings.Index(body, token)+tokenLen/2]
		}
		r := newRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		return r
	}
	t.Fatalf("unknown token placement %q", in)
	return nil
}
