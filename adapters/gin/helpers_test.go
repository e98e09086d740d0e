package bulwarkgin

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/auth/sqliteusers"
	"github.com/bulwark-go/bulwark/csrf"
	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
	"github.com/bulwark-go/bulwark/session/sqlitestore"
)

func init() { gin.SetMode(gin.TestMode) }

const password = "correct horse battery"

// fixture is Bulwark's three components with user "alice", logging into
// logs.
type fixture struct {
	sessions *session.Manager
	csrf     *csrf.Protector
	auth     *auth.Authenticator
	logs     syncBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{}
	logger := slog.New(slog.NewTextHandler(&f.logs, nil))
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, err := sqliteusers.New(t.Context(), sqliteusers.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := auth.NewAccounts(auth.AccountsConfig{Users: users, Params: auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Create(t.Context(), "alice", password); err != nil {
		t.Fatal(err)
	}
	store, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if f.sessions, err = session.New(session.Config{Store: store, Logger: logger}); err != nil {
		t.Fatal(err)
	}
	if f.csrf, err = csrf.New(csrf.Config{Secrets: f.sessions.CSRFSecrets(), Logger: logger}); err != nil {
		t.Fatal(err)
	}
	if f.auth, err = auth.New(auth.Config{Accounts: accounts, Sessions: f.sessions, Logger: logger}); err != nil {
		t.Fatal(err)
	}
	return f
}

// serve starts r and returns a client for it.
func serve(t *testing.T, r *gin.Engine) *client {
	t.Helper()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return newClient(t, srv.URL)
}

// tokenPage renders the request's CSRF token as the whole body.
func tokenPage(c *gin.Context) { c.String(http.StatusOK, csrf.Token(c.Request)) }

// client keeps cookies and does not follow redirects.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t, base, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, path string, form url.Values, header map[string]string) response {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(form.Encode()))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func (c *client) get(path string) response {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, nil)
}

// post sends form from the app's own origin.
func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	return c.do(http.MethodPost, path, form, map[string]string{"Origin": c.base, "Sec-Fetch-Site": "same-origin"})
}

var crossSite = map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}

// token fetches a token from path, which renders it as the whole body.
func (c *client) token(path string) string {
	c.t.Helper()
	res := c.get(path)
	if res.status != http.StatusOK || res.body == "" {
		c.t.Fatalf("GET %s: status %d, body %q", path, res.status, res.body)
	}
	return res.body
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
