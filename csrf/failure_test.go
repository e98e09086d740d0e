package csrf

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bulwark-go/bulwark/internal/testlog"
)

func TestFailureLogsOneLine(t *testing.T) {
	var log testlog.Buffer
	p := mustNew(t, Config{Logger: log.Logger()})
	hs := &harness{p: p, h: p.Handler(app())}
	cookie, token := hs.mint(t, "http://example.com/token", "")
	r := newRequest("POST", "http://example.com/pay?x=1", formBody("csrf_token", token[:10]))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", cookie)
	w := hs.do(r)
	if w.Code != http.StatusForbidden {
		t.Fatalf("status %d", w.Code)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines: %q", len(lines), lines)
	}
	l := lines[0]
	for _, want := range []string{"level=WARN", `reason="csrf: token is malformed"`, "method=POST", "path=/pay"} {
		if !strings.Contains(l, want) {
			t.Errorf("log line %q lacks %q", l, want)
		}
	}
	value := strings.SplitN(cookie, "=", 2)[1]
	if strings.Contains(l, value) || strings.Contains(l, token[:10]) {
		t.Error("log line contains a cookie or token value")
	}
}

func TestReportOnlyLogs(t *testing.T) {
	var log testlog.Buffer
	p := mustNew(t, Config{Logger: log.Logger(), ReportOnly: true})
	r := newRequest("POST", "http://example.com/", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := serve(p, renderNothing, r)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if l := log.String(); !strings.Contains(l, "report-only") || !strings.Contains(l, "cross-site") || strings.Count(l, "\n") != 1 {
		t.Fatalf("log %q", l)
	}
}

func TestDefaultFailurePage(t *testing.T) {
	cases := []struct {
		name  string
		debug bool
		want  []string
		not   []string
	}{
		{"production", false, []string{"403 Forbidden", "CSRF verification failed"}, []string{"Reason", "cross-site"}},
		{"debug", true, []string{"Reason:", "cross-site request", "TrustedOrigins", "Likely causes"}, []string{"<script"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustNew(t, Config{Debug: c.debug})
			r := newRequest("POST", "http://example.com/<script>alert(1)</script>", nil)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.Header.Set("Origin", "http://<script>")
			w := serve(p, renderNothing, r)
			if w.Code != 403 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("status %d headers %v", w.Code, w.Header())
			}
			for _, s := range c.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range c.not {
				if strings.Contains(w.Body.String(), s) {
					t.Errorf("page contains %q", s)
				}
			}
		})
	}
}

// Every reason has a checklist entry of its own and a distinct message.
func TestEveryReasonHasChecklist(t *testing.T) {
	reasons := []error{ErrCrossSite, ErrSameSite, ErrNullOrigin, ErrMalformedOrigin, ErrBadOrigin, ErrNoReferer,
		ErrBadReferer, ErrInsecureReferer, ErrRefererMismatch, ErrRepeatedHeader, ErrNoMetadata, ErrNoCookie,
		ErrBadCookie, ErrNoSecret, ErrSecretStore, ErrClientGone, ErrNoToken, ErrBadToken, ErrTokenMismatch, ErrBodyTooLarge, ErrBadBody}
	seen := map[string]bool{}
	for _, r := range reasons {
		if seen[r.Error()] || !strings.HasPrefix(r.Error(), "csrf: ") {
			t.Errorf("reason %q duplicated or unprefixed", r)
		}
		seen[r.Error()] = true
		if len(checklist(r, nil)) < 2 {
			t.Errorf("%v: no specific checklist entry", r)
		}
	}
	if len(checklist(errors.New("other"), nil)) != 1 {
		t.Error("unknown reason got a specific entry")
	}
}

func TestReasonOutsideFailure(t *testing.T) {
	if Reason(httptest.NewRequest("GET", "/", nil)) != nil {
		t.Fatal("Reason without protector")
	}
	p := mustNew(t, Config{})
	var got error = errors.New("unset")
	serve(p, func(w http.ResponseWriter, r *http.Request) { got = Reason(r) }, newRequest("GET", "http://example.com/", nil))
	if got != nil {
		t.Fatalf("Reason on a passed request: %v", got)
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"short key", Config{Key: make([]byte, 16)}, "Key is 16 bytes"},
		{"bad mode", Config{Mode: 7}, "Mode 7"},
		{"scheme-less origin", Config{TrustedOrigins: []string{"example.com"}}, `"example.com": scheme is required`},
		{"origin with path", Config{TrustedOrigins: []string{"https://example.com/app"}}, "path, query and fragment"},
		{"origin trailing slash", Config{TrustedOrigins: []string{"https://example.com/"}}, "trailing slash"},
		{"wildcard too broad", Config{TrustedOrigins: []string{"https://*.com"}}, "two labels"},
		{"wildcard in middle", Config{TrustedOrigins: []string{"https://a.*.example.com"}}, "leftmost label"},
		{"bad origin host", Config{TrustedOrigins: []string{"https://exa mple.com"}}, "invalid host"},
		{"cookie prefix", Config{CookieName: "__Host-csrf"}, "leave out the prefix"},
		{"cookie name", Config{CookieName: "a b"}, "not a valid cookie name"},
		{"field name", Config{FieldName: "a\"b"}, "FieldName"},
		{"header name", Config{HeaderName: "X Token"}, "HeaderName"},
		{"negative body", Config{MaxBodyBytes: -1}, "MaxBodyBytes -1"},
		{"bad exempt pattern", Config{ExemptPaths: []string{"/a/{x"}}, `ExemptPaths pattern "/a/{x"`},
		{"conflicting exempt patterns", Config{ExemptPaths: []string{"/a/", "/a/"}}, "ExemptPaths pattern"},
		{"per-form tokenless", Config{Mode: Tokenless, PerFormTokens: true}, "PerFormTokens"},
		{"store tokenless", Config{Mode: Tokenless, Secrets: &memStore{}}, "Secrets needs Mode Full"},
		{"store and session cookie", Config{Secrets: &memStore{}, SessionCookie: "sid"}, "not both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Logger = quietLogger()
			_, err := New(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "csrf: ") {
				t.Fatalf("err %v; want %q", err, c.want)
			}
		})
	}
}

func TestNilKeyLoggedOnce(t *testing.T) {
	var log testlog.Buffer
	if _, err := New(Config{Logger: log.Logger()}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "Key is not set"); n != 1 {
		t.Fatalf("logged %d times", n)
	}
}

// An Origin-layer rejection is handled before any request state exists
// when the default page is used; every failure configuration must still
// give a 403 (or, report-only, the handler), one WARN line, no Set-Cookie,
// and the reason to those that show it.
func TestOriginRejectionInEveryFailureMode(t *testing.T) {
	var custom error
	cases := []struct {
		name     string
		cfg      Config
		wantCode int
		check    func(t *testing.T, body string)
	}{
		{"default page", Config{}, http.StatusForbidden, func(t *testing.T, body string) {
			if strings.Contains(body, "cross-site") {
				t.Error("default page shows the reason")
			}
		}},
		{"debug page", Config{Debug: true}, http.StatusForbidden, func(t *testing.T, body string) {
			if !strings.Contains(body, ErrCrossSite.Error()) {
				t.Errorf("debug page lacks the reason: %q", body)
			}
		}},
		{"custom handler", Config{FailureHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			custom = Reason(r)
			w.WriteHeader(http.StatusTeapot)
		})}, http.StatusTeapot, func(t *testing.T, _ string) {
			if !errors.Is(custom, ErrCrossSite) {
				t.Errorf("Reason = %v, want ErrCrossSite", custom)
			}
		}},
		{"report-only", Config{ReportOnly: true}, http.StatusOK, nil},
	}
	for _, tc := range cases {
		for _, mode := range []Mode{Full, Tokenless} {
			t.Run(sprintf("%s/mode %d", tc.name, mode), func(t *testing.T) {
				var log testlog.Buffer
				cfg := tc.cfg
				cfg.Logger, cfg.Mode = log.Logger(), mode
				p := mustNew(t, cfg)
				h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write([]byte(TemplateField(r))) // would set a cookie if one were allowed
				}))
				r := newRequest("POST", "https://example.com/pay", formBody("csrf_token", "x"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Origin", "https://evil.example")
				r.Header.Set("Sec-Fetch-Site", "cross-site")
				w := httptest.NewRecorder()
				custom = nil
				h.ServeHTTP(w, r)
				if w.Code != tc.wantCode {
					t.Fatalf("status %d, want %d", w.Code, tc.wantCode)
				}
				if tc.wantCode != http.StatusOK && w.Header().Get("Set-Cookie") != "" {
					t.Errorf("rejected request got Set-Cookie %q", w.Header().Get("Set-Cookie"))
				}
				if l := log.String(); strings.Count(l, "\n") != 1 || !strings.Contains(l, "level=WARN") || !strings.Contains(l, "cross-site") {
					t.Errorf("want one WARN line with the reason, got %q", l)
				}
				if tc.check != nil {
					tc.check(t, w.Body.String())
				}
			})
		}
	}
}
