package csrf

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// quietLogger discards everything; a testlog.Buffer keeps the lines.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

var testKey = bytes.Repeat([]byte("k"), 32)

// memStore is a SecretStore for one client.
type memStore struct {
	mu     sync.Mutex
	secret []byte
	err    error
}

func (m *memStore) LoadSecret(*http.Request) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.secret, m.err
}

func (m *memStore) SaveSecret(_ http.ResponseWriter, _ *http.Request, s []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.secret = s
	return nil
}

// app is the handler behind the Protector in most tests.
func app() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /token", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, Token(r))
	})
	mux.HandleFunc("GET /formtoken", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, FormToken(r, r.URL.Query().Get("m"), r.URL.Query().Get("a")))
	})
	mux.Handle("/exempt-handler", Exempt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "exempt ok")
	})))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// The handler can still read the form the Protector looked at.
		io.WriteString(w, "ok "+r.FormValue("name"))
	})
	return mux
}

// harness is a Protector around app with a recording failure handler.
type harness struct {
	p      *Protector
	h      http.Handler
	reason error
	failed bool
}

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	hs := &harness{}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	if cfg.Key == nil {
		cfg.Key = testKey
	}
	if cfg.FailureHandler == nil {
		cfg.FailureHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hs.failed = true
			hs.reason = Reason(r)
			w.WriteHeader(http.StatusForbidden)
		})
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs.p = p
	hs.h = p.Handler(app())
	return hs
}

// newRequest builds a request to target; "https://" targets get r.TLS.
func newRequest(method, target string, body io.Reader) *http.Request {
	r := httptest.NewRequest(method, target, body)
	if strings.HasPrefix(target, "https://") {
		r.TLS = &tls.ConnectionState{}
	} else {
		r.TLS = nil
	}
	return r
}

// mint does a GET through the Protector and returns the Cookie header
// value (csrf cookie plus any extra cookies) and a token.
func (hs *harness) mint(t testing.TB, target string, extraCookies string, headers ...string) (cookie, token string) {
	t.Helper()
	var u *url.URL
	if strings.HasPrefix(target, "GET ") {
		u, _ = url.Parse(strings.TrimPrefix(target, "GET "))
	} else {
		u, _ = url.Parse(target)
		u.Path, u.RawQuery = "/token", ""
	}
	r := newRequest("GET", u.String(), nil)
	if extraCookies != "" {
		r.Header.Set("Cookie", extraCookies)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("mint: GET %s: status %d", u, w.Code)
	}
	token = w.Body.String()
	var parts []string
	if extraCookies != "" {
		parts = append(parts, extraCookies)
	}
	for _, c := range w.Result().Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if hs.p.secrets == nil && hs.p.mode == Full && len(parts) == 0 {
		t.Fatalf("mint: no cookie issued")
	}
	return strings.Join(parts, "; "), token
}

func (hs *harness) do(r *http.Request) *httptest.ResponseRecorder {
	hs.failed, hs.reason = false, nil
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, r)
	return w
}

// formBody is an urlencoded body with the token and a name field.
func formBody(field, token string) *strings.Reader {
	v := url.Values{"name": {"alice"}}
	if token != "" {
		v.Set(field, token)
	}
	return strings.NewReader(v.Encode())
}

// multipartBody returns a multipart body and its content type.
func multipartBody(t *testing.T, field, token string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("name", "alice")
	if token != "" {
		mw.WriteField(field, token)
	}
	fw, _ := mw.CreateFormFile("upload", "a.txt")
	fw.Write([]byte("file content"))
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

// expect checks the outcome: want nil means the handler ran (200).
func (hs *harness) expect(t *testing.T, w *httptest.ResponseRecorder, want error) {
	t.Helper()
	if want == nil {
		if w.Code != http.StatusOK || hs.failed {
			t.Fatalf("status %d, reason %v; want pass", w.Code, hs.reason)
		}
		return
	}
	if w.Code != http.StatusForbidden || !hs.failed {
		t.Fatalf("status %d; want 403 with %v", w.Code, want)
	}
	if !errors.Is(hs.reason, want) {
		t.Fatalf("reason %v; want %v", hs.reason, want)
	}
	if sc := w.Header().Values("Set-Cookie"); len(sc) > 0 {
		t.Fatalf("rejected request got Set-Cookie %q", sc)
	}
}

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }

// mintCookie returns a valid csrf cookie value from p.
func mintCookie(t *testing.T, p *Protector) string {
	t.Helper()
	w := serve(p, renderToken, newRequest("GET", "http://example.com/", nil))
	for _, c := range w.Result().Cookies() {
		if c.Name == "csrf" {
			return c.Value
		}
	}
	t.Fatal("no csrf cookie issued")
	return ""
}
