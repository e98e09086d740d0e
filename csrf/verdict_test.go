package csrf

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

// want is one layer's expected verdict: "pass", "n/a", or the reason it
// fails for.
type want struct {
	outcome Outcome
	reason  error
}

var (
	pass = want{outcome: Pass}
	na   = want{outcome: NotApplicable}
)

func fails(err error) want { return want{outcome: Fail, reason: err} }

// verdictCase is one request and every layer's expected verdict, in
// enforcement order (exemption, Fetch Metadata, Origin, Referer, token,
// form binding), with the layer that decides (numLayers: none).
type verdictCase struct {
	name    string
	cfg     Config
	method  string // default POST
	target  string // default http://example.com/submit
	headers []string
	token   string // "" the client's token; "none"; "form:<path>": FormToken for POST <path>
	layers  [numLayers]want
	decided Layer
}

func verdictCases() []verdictCase {
	crossSelf := []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://example.com"}
	evil := []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}
	return []verdictCase{
		{name: "same-origin with the token passes everything that applies", headers: sameOrigin,
			layers: [numLayers]want{na, pass, pass, na, pass, na}, decided: numLayers},
		{name: "Fetch Metadata and token refuse, Origin passes", headers: crossSelf, token: "none",
			layers: [numLayers]want{na, fails(ErrCrossSite), pass, na, fails(ErrNoToken), na}, decided: LayerFetchMetadata},
		{name: "a cross-site request is judged by every layer, even with a valid token", headers: evil,
			layers: [numLayers]want{na, fails(ErrCrossSite), fails(ErrBadOrigin), na, pass, na}, decided: LayerFetchMetadata},
		{name: "an old browser over https: Referer and token", target: "https://example.com/submit",
			headers: []string{"Referer", "https://evil.example/"}, token: "none",
			layers: [numLayers]want{na, na, na, fails(ErrRefererMismatch), fails(ErrNoToken), na}, decided: LayerReferer},
		{name: "the token decides when it is the only failure", headers: sameOrigin, token: "none",
			layers: [numLayers]want{na, pass, pass, na, fails(ErrNoToken), na}, decided: LayerToken},
		{name: "an exempt path skips every other layer", cfg: Config{ExemptPaths: []string{"POST /hook"}},
			target: "http://example.com/hook", headers: evil, token: "none",
			layers: [numLayers]want{pass, na, na, na, na, na}, decided: LayerExempt},
		{name: "this form's token passes the binding", cfg: Config{PerFormTokens: true}, target: "http://example.com/a",
			headers: sameOrigin, token: "form:/a", layers: [numLayers]want{na, pass, pass, na, pass, pass}, decided: numLayers},
		{name: "a global token is not bound to a form", cfg: Config{PerFormTokens: true}, headers: sameOrigin,
			layers: [numLayers]want{na, pass, pass, na, pass, na}, decided: numLayers},
		{name: "another form's token fails the token layer", cfg: Config{PerFormTokens: true},
			target: "http://example.com/b", headers: sameOrigin, token: "form:/a",
			layers: [numLayers]want{na, pass, pass, na, fails(ErrTokenMismatch), na}, decided: LayerToken},
		{name: "Tokenless has no token layer", cfg: Config{Mode: Tokenless}, headers: evil, token: "none",
			layers: [numLayers]want{na, fails(ErrCrossSite), fails(ErrBadOrigin), na, na, na}, decided: LayerFetchMetadata},
		{name: "Tokenless without any metadata", cfg: Config{Mode: Tokenless}, token: "none",
			layers: [numLayers]want{na, fails(ErrNoMetadata), na, na, na, na}, decided: LayerFetchMetadata},
		{name: "a failing secret store fails the token", cfg: Config{Secrets: &memStore{err: errors.New("down")}},
			headers: sameOrigin, token: "none", layers: [numLayers]want{na, pass, pass, na, fails(ErrSecretStore), na}, decided: LayerToken},
		{name: "a cross-site WebSocket handshake", method: "GET",
			headers: append([]string{"Upgrade", "websocket"}, evil...), token: "none",
			layers: [numLayers]want{na, fails(ErrCrossSite), fails(ErrBadOrigin), na, na, na}, decided: LayerFetchMetadata},
		{name: "a handshake without Origin is decided by the missing Origin", method: "GET",
			headers: []string{"Upgrade", "websocket", "Sec-Fetch-Site", "cross-site"}, token: "none",
			layers: [numLayers]want{na, fails(ErrCrossSite), fails(ErrWebSocketNoOrigin), na, na, na}, decided: LayerOrigin},
	}
}

// TestVerdicts pins every layer's verdict on each request, the layer that
// decides, and that the Protector refuses for exactly that layer's reason.
func TestVerdicts(t *testing.T) {
	for _, c := range verdictCases() {
		t.Run(c.name, func(t *testing.T) {
			var seen []Verdicts
			cfg := c.cfg
			cfg.Observe = func(_ *http.Request, v Verdicts) { seen = append(seen, v) }
			hs := newHarness(t, cfg)
			r := c.request(t, hs)
			seen = nil
			hs.do(r)
			if len(seen) != 1 {
				t.Fatalf("Observe called %d times, want 1", len(seen))
			}
			v := seen[0]
			for l, w := range c.layers {
				got := v.Layer(Layer(l))
				if got.Layer != Layer(l) || got.Outcome != w.outcome || !errors.Is(got.Reason, w.reason) || (w.reason == nil) != (got.Reason == nil) {
					t.Errorf("%s: %v, want %v %v", Layer(l), got, w.outcome, w.reason)
				}
				if got.Outcome != Fail && got.Note == "" {
					t.Errorf("%s: %v has no note", Layer(l), got)
				}
			}
			d, ok := v.Decided()
			if c.decided == numLayers {
				if ok || v.Err() != nil || hs.failed {
					t.Fatalf("decided by %v (err %v, refused %v), want no layer", d, v.Err(), hs.failed)
				}
				return
			}
			if !ok || d.Layer != c.decided {
				t.Fatalf("decided by %v (%v), want %v", d, ok, c.decided)
			}
			if v.Err() != hs.reason {
				t.Fatalf("verdicts decide %v, the Protector refused for %v", v.Err(), hs.reason)
			}
		})
	}
}

// request builds c's request, with a cookie and token minted by hs.
func (c verdictCase) request(t *testing.T, hs *harness) *http.Request {
	t.Helper()
	target := c.target
	if target == "" {
		target = "http://example.com/submit"
	}
	u, _ := url.Parse(target)
	base := u.Scheme + "://" + u.Host
	var cookie, token string
	if hs.p.mode == Full {
		cookie, token = hs.mint(t, base+"/token", "")
	}
	switch {
	case c.token == "none":
		token = ""
	case strings.HasPrefix(c.token, "form:"):
		_, token = hs.mint(t, "GET "+base+"/formtoken?m=POST&a="+url.QueryEscape(strings.TrimPrefix(c.token, "form:")), cookie)
	}
	method := c.method
	if method == "" {
		method = "POST"
	}
	r := buildRequest(t, hs.p, method, target, "form", token)
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	for i := 0; i+1 < len(c.headers); i += 2 {
		r.Header.Add(c.headers[i], c.headers[i+1])
	}
	return r
}

// TestReportOnlyLogsEveryLayer: one line names every layer that would
// refuse and every one that passes, and the request goes through with its
// form intact.
func TestReportOnlyLogsEveryLayer(t *testing.T) {
	var log testlog.Buffer
	p := mustNew(t, Config{Logger: log.Logger(), ReportOnly: true})
	r := newRequest("POST", "http://example.com/", strings.NewReader("name=alice"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", "http://example.com")
	w := serve(p, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.PostFormValue("name"))) }, r)
	if w.Code != 200 || w.Body.String() != "alice" {
		t.Fatalf("status %d body %q, want 200 alice", w.Code, w.Body.String())
	}
	l := log.String()
	for _, s := range []string{
		"would be rejected (report-only)",
		`layers="Fetch Metadata and token would refuse; Origin passes; exemption, Referer and form binding do not apply"`,
		`reason="csrf: cross-site request (Sec-Fetch-Site: cross-site)"`,
		`verdicts.token="fail: csrf: csrf cookie not set"`,
		`verdicts.origin="pass: `,
	} {
		if !strings.Contains(l, s) {
			t.Errorf("log lacks %s:\n%s", s, l)
		}
	}
	if n := strings.Count(l, "\n"); n != 1 {
		t.Errorf("%d log lines, want 1:\n%s", n, l)
	}
}

// TestObserveNotCalledForSafeRequests: a GET is never judged, so Observe
// does not see it, and it still gets its token.
func TestObserveNotCalledForSafeRequests(t *testing.T) {
	called := false
	p := mustNew(t, Config{Observe: func(*http.Request, Verdicts) { called = true }})
	w := serve(p, renderToken, newRequest("GET", "http://example.com/", nil))
	if called || w.Code != 200 || len(w.Body.String()) < len("<p></p>")+tokenLen {
		t.Fatalf("Observe called %v; status %d body %q", called, w.Code, w.Body.String())
	}
}

// TestVerdictStrings pins the words the log line and the demo show.
func TestVerdictStrings(t *testing.T) {
	var names []string
	for _, l := range Layers() {
		names = append(names, l.String())
	}
	if got := strings.Join(names, ", "); got != "exemption, Fetch Metadata, Origin, Referer, token, form binding" {
		t.Errorf("layers %s", got)
	}
	for o, s := range map[Outcome]string{NotApplicable: "not applicable", Pass: "pass", Fail: "fail", 9: "Outcome(9)"} {
		if o.String() != s {
			t.Errorf("%d: %q, want %q", o, o.String(), s)
		}
	}
	if s := Layer(9).String(); s != "Layer(9)" {
		t.Errorf("Layer(9) = %q", s)
	}
	var v Verdicts
	if got := v.Layer(9); got.Outcome != NotApplicable || got.Layer != 9 {
		t.Errorf("unknown layer: %+v", got)
	}
	if _, ok := v.Decided(); ok || v.Err() != nil || len(v.Failed()) != 0 || len(v.All()) != int(numLayers) {
		t.Errorf("zero Verdicts: decided %v, err %v, failed %v", ok, v.Err(), v.Failed())
	}
}

// TestObserveCannotTouchTheSecret: the request Observe gets carries no
// CSRF state, so Token and Rotate do nothing on it, and a request about
// to be refused keeps its client's secret.
func TestObserveCannotTouchTheSecret(t *testing.T) {
	store := &memStore{secret: bytes.Repeat([]byte{7}, secretLen)}
	var token string
	var rotateErr error
	p := mustNew(t, Config{Secrets: store, Observe: func(r *http.Request, _ Verdicts) {
		token, rotateErr = Token(r), Rotate(httptest.NewRecorder(), r)
	}})
	w := serve(p, renderNothing, crossSitePost("http://example.com/notes"))
	if w.Code != http.StatusForbidden || token != "" || !errors.Is(rotateErr, ErrNoProtector) {
		t.Fatalf("status %d; Token in Observe %q, Rotate %v; want 403, \"\", ErrNoProtector", w.Code, token, rotateErr)
	}
	if !bytes.Equal(store.secret, bytes.Repeat([]byte{7}, secretLen)) {
		t.Fatal("the secret changed")
	}
}

// TestObservedFailureHandlerGetsTheBody: a FailureHandler reads the form of
// a request an origin layer refused as it does without Observe, though the
// token layer has read the body meanwhile (the token is invalid, or the
// body cannot be read whole).
func TestObservedFailureHandlerGetsTheBody(t *testing.T) {
	multi, multiType := multipartBody(t, "csrf_token", "")
	bodies := map[string]func() *http.Request{
		"urlencoded": func() *http.Request {
			r := crossSitePost("http://example.com/notes")
			r.Body = io.NopCloser(strings.NewReader("name=alice&csrf_token=x"))
			r.ContentLength = -1
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		},
		"truncated urlencoded": func() *http.Request {
			r := crossSitePost("http://example.com/notes")
			r.Body = io.NopCloser(strings.NewReader("name=alice"))
			r.ContentLength = 100
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		},
		"multipart, file first": func() *http.Request {
			r := crossSitePost("http://example.com/notes")
			r.Body = io.NopCloser(bytes.NewReader(multi.Bytes()))
			r.ContentLength = int64(multi.Len())
			r.Header.Set("Content-Type", multiType)
			return r
		},
	}
	for name, mk := range bodies {
		t.Run(name, func(t *testing.T) {
			seen := map[bool]string{}
			for _, observed := range []bool{false, true} {
				cfg := Config{FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
						seen[observed] = "error " + err.Error()
						return
					}
					seen[observed] = r.FormValue("name")
				})}
				if observed {
					cfg.Observe = func(*http.Request, Verdicts) {}
				}
				hs := newHarness(t, cfg)
				cookie, _ := hs.mint(t, "http://example.com/token", "")
				r := mk() // with the cookie, the token layer reads the body
				r.Header.Set("Cookie", cookie)
				hs.do(r)
			}
			if seen[false] != seen[true] {
				t.Fatalf("the FailureHandler read %q without Observe, %q with it", seen[false], seen[true])
			}
		})
	}
}
