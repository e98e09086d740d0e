// This file holds the shared headless Chromium and the demo servers the
// end-to-end tests drive.

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/bulwark-go/bulwark/auth"
	"github.com/bulwark-go/bulwark/cmd/bulwark/internal/demo"
)

// caseTimeout bounds one test case's browser work.
const caseTimeout = 60 * time.Second

// browser is one headless Chromium shared by the test binary. Each test
// case gets its own browser context (an isolated cookie jar) in it.
type browser struct {
	once   sync.Once
	ctx    context.Context // the chromedp context holding the browser
	cancel func()
	dir    string
	err    error
}

var (
	// defaultBrowser has a fresh default profile: third-party cookies
	// blocked, as a headless Chromium ships.
	defaultBrowser browser
	// thirdPartyBrowser allows third-party cookies, so that every attack
	// can carry a SameSite=None cookie and only the server can stop it.
	thirdPartyBrowser browser
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, b := range []*browser{&defaultBrowser, &thirdPartyBrowser} {
		if b.cancel != nil {
			b.cancel()
		}
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}
	os.Exit(code)
}

// chromiumPath returns the browser binary, or skips the test (fails it
// when CI=true) when there is none.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("BULWARK_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("no Chromium at %s (set BULWARK_CHROMIUM, or run ./scripts/test, which installs it): %v", path, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

func (b *browser) start(path string, thirdPartyCookies bool) {
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "bulwark-e2e-chromium-")
		if b.err != nil {
			return
		}
		if thirdPartyCookies {
			// The only switch that lifts the block here (see
			// shared/BROWSER.md): the profile preference, before launch.
			prefs := filepath.Join(b.dir, "Default", "Preferences")
			if b.err = os.MkdirAll(filepath.Dir(prefs), 0o700); b.err != nil {
				return
			}
			if b.err = os.WriteFile(prefs, []byte(`{"profile":{"cookie_controls_mode":0}}`), 0o600); b.err != nil {
				return
			}
		}
		actx, acancel := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.NoSandbox,
			chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.UserDataDir(b.dir),
		)
		bctx, bcancel := chromedp.NewContext(actx)
		b.ctx = bctx
		b.cancel = func() { bcancel(); acancel() }
		b.err = chromedp.Do(bctx) // starts the browser, bound to bctx
	})
}

// newTab returns a chromedp context for a new tab in a fresh browser
// context (no cookies) of the shared browser, closed when the test ends.
func newTab(t *testing.T, thirdPartyCookies bool) context.Context {
	t.Helper()
	path := chromiumPath(t)
	b := &defaultBrowser
	if thirdPartyCookies {
		b = &thirdPartyBrowser
	}
	b.start(path, thirdPartyCookies)
	if b.err != nil {
		t.Fatalf("start Chromium %s: %v", path, b.err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, caseTimeout)
	tab, _ := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(func() {
		chromedp.Cancel(tab)
		cancel()
	})
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return tab
}

// site is a demo app and its attacker site, served on loopback.
type site struct {
	d        *demo.Demo
	victim   string // http://localhost:PORT
	attacker string // http://127.0.0.1:PORT
}

// testParams makes password hashing cheap. Tests only.
var testParams = auth.Params{Memory: 64, Iterations: 1, Parallelism: 1}

// syncBuffer collects the demo's logs, shown when a test fails.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDemo serves a demo with cfg: the app on localhost, the attacker on
// 127.0.0.1 (two sites for the browser), each on a free port.
func startDemo(t *testing.T, cfg demo.Config) *site {
	t.Helper()
	vln, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg.VictimURL = fmt.Sprintf("http://localhost:%d", vln.Addr().(*net.TCPAddr).Port)
	cfg.AttackerURL = "http://" + aln.Addr().String()
	cfg.DataDir = t.TempDir()
	cfg.PasswordParams = testParams
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	d, err := demo.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx, vln, aln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("demo logs:\n%s", logs.String())
		}
	})
	return &site{d: d, victim: cfg.VictimURL, attacker: cfg.AttackerURL}
}

// addUser creates a user with a known password.
func (s *site) addUser(t *testing.T, name string) {
	t.Helper()
	if _, err := s.d.Accounts().Create(context.Background(), name, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
}

// login logs name in through the login form.
func (s *site) login(t *testing.T, tab context.Context, name string) {
	t.Helper()
	err := chromedp.Do(tab,
		chromedp.Navigate(s.victim+"/login"),
		chromedp.SendKeys("#username-input", name),
		chromedp.SendKeys("#password-input", "correct horse battery"),
		chromedp.Click("#login-form button"),
		chromedp.WaitVisible("#username"),
	)
	if err != nil {
		t.Fatalf("log in as %s: %v", name, err)
	}
	got, err := chromedp.Run(tab, chromedp.Text("#username"))
	if err != nil || got != name {
		t.Fatalf("after login the page says signed in as %q (%v), want %q", got, err, name)
	}
	if n := s.liveSessions(t, name); n != 1 {
		t.Fatalf("after login %s has %d live sessions on the server, want 1", name, n)
	}
}

func (s *site) liveSessions(t *testing.T, name string) int {
	t.Helper()
	n, err := s.d.LiveSessions(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *site) notes(t *testing.T, name string) []demo.Note {
	t.Helper()
	list, err := s.d.Notes(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// startNavigation starts loading url in the tab without waiting for the
// page's load event (attack pages navigate away on their own).
func startNavigation(t *testing.T, tab context.Context, url string) {
	t.Helper()
	if _, err := chromedp.Call(tab, page.Navigate, page.NavigateParams{URL: url}); err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
}

// waitAttack waits until the app has answered the request of attack id to
// path, and returns its attack log entry.
func (s *site) waitAttack(t *testing.T, id, path string) demo.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	e, err := s.d.AttackLog().Wait(ctx, func(e demo.Entry) bool { return e.Attack == id && e.Path == path })
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("attack (%s): the app never saw its request to %s; attack log: %+v", id, path, s.d.AttackLog().Entries())
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// screenshot saves a PNG of the tab's page under e2e/artifacts/ and
// returns its path.
func screenshot(t *testing.T, tab context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	if err := os.MkdirAll("artifacts", 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("artifacts", name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// copyFile copies src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
