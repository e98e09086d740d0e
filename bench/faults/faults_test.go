package faults

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
	"github.com/bulwark-go/bulwark/session/memstore"
)

// TestMain lets the SQLite test run this test binary as the app's child
// process.
func TestMain(m *testing.M) {
	if db := os.Getenv("BULWARK_FAULTS_SERVE"); db != "" {
		if err := ServeSQLite(db, os.Stdout, slog.New(slog.NewTextHandler(os.Stderr, nil))); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

var errDown = errors.New("switchable: server down")

// switchable is a memstore that can be taken down (every call fails, as
// with a server that refuses connections) and, optionally, come back
// empty (a server that lost its data).
type switchable struct {
	mu   sync.Mutex
	st   *memstore.Store
	down atomic.Bool
}

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{}
	s.reset(t)
	return s
}

func (s *switchable) reset(t *testing.T) {
	st, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s.mu.Lock()
	s.st = st
	s.mu.Unlock()
}

func (s *switchable) store() (*memstore.Store, error) {
	if s.down.Load() {
		return nil, errDown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, nil
}

func (s *switchable) Find(ctx context.Context, key string) (session.Record, bool, error) {
	st, err := s.store()
	if err != nil {
		return session.Record{}, false, err
	}
	return st.Find(ctx, key)
}

func (s *switchable) Commit(ctx context.Context, key string, rec session.Record) (uint64, error) {
	st, err := s.store()
	if err != nil {
		return 0, err
	}
	return st.Commit(ctx, key, rec)
}

func (s *switchable) Delete(ctx context.Context, key string) error {
	st, err := s.store()
	if err != nil {
		return err
	}
	return st.Delete(ctx, key)
}

func (s *switchable) UserSessions(ctx context.Context, userID string) ([]string, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	return st.UserSessions(ctx, userID)
}

func (s *switchable) DeleteUserSessions(ctx context.Context, userID, keep string) (int, error) {
	st, err := s.store()
	if err != nil {
		return 0, err
	}
	return st.DeleteUserSessions(ctx, userID, keep)
}

var quick = Options{Clients: 8, Warm: 300 * time.Millisecond, Hold: 300 * time.Millisecond, After: 500 * time.Millisecond}

// memScenario serves the app on a switchable store; wrap, if set, wraps
// the app's handler (to inject a bad status).
func memScenario(t *testing.T, s *switchable, restore func(), wrap func(http.Handler) http.Handler) Scenario {
	t.Helper()
	tally := NewTally()
	h, err := NewApp(s, slog.New(tally))
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		h = wrap(h)
	}
	base, stop := serveHandler(t, h)
	t.Cleanup(stop)
	return Scenario{
		Name:    "memory",
		Base:    func() string { return base },
		Break:   func() error { s.down.Store(true); return nil },
		Restore: func() error { restore(); s.down.Store(false); return nil },
		Ready:   func() bool { return !s.down.Load() },
		Tally:   tally,
	}
}

func serveHandler(t *testing.T, h http.Handler) (string, func()) {
	t.Helper()
	srv := &http.Server{Handler: h}
	ln, err := listenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }
}

func TestOutageOnlyUnavailable(t *testing.T) {
	s := newSwitchable(t)
	r, err := Run(memScenario(t, s, func() {}, nil), quick)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s; outage %s; first 200 after %v, all after %v; acked %d", Statuses(r.ByStatus), Statuses(r.Outage), r.FirstOK, r.AllOK, r.Acked)
	if !r.OnlyUnavailable() || !r.Recovered() || !r.NoneLost() {
		t.Errorf("verdicts: only 503 %v, recovered %v, none lost %v; samples %q, lost %q", r.OnlyUnavailable(), r.Recovered(), r.NoneLost(), r.Samples, r.LostDetails)
	}
	if r.Outage[http.StatusServiceUnavailable] == 0 || r.Acked == 0 || r.ByStatus[http.StatusOK] == 0 {
		t.Errorf("the load saw no outage or no success: %s, acked %d", Statuses(r.ByStatus), r.Acked)
	}
	if len(r.Logs) == 0 {
		t.Error("no store-fault log lines tallied")
	}
}

func TestLostWritesCounted(t *testing.T) {
	s := newSwitchable(t)
	r, err := Run(memScenario(t, s, func() { s.reset(t) }, nil), quick)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lost != quick.Clients {
		t.Errorf("a store that came back empty: %d clients lost writes, want %d (%q)", r.Lost, quick.Clients, r.LostDetails)
	}
	if r.Reborn == 0 || r.NoneLost() {
		t.Errorf("reborn sessions %d, none lost %v: the loss went unnoticed during the load", r.Reborn, r.NoneLost())
	}
}

func TestServerErrorCounted(t *testing.T) {
	s := newSwitchable(t)
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.down.Load() && r.Method == http.MethodGet {
				http.Error(w, "boom", http.StatusInternalServerError)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	r, err := Run(memScenario(t, s, func() {}, wrap), quick)
	if err != nil {
		t.Fatal(err)
	}
	if r.OnlyUnavailable() || r.ByStatus[http.StatusInternalServerError] == 0 || r.Unexpected != r.ByStatus[http.StatusInternalServerError] {
		t.Errorf("500s during the outage: %s, unexpected %d, only 503 %v", Statuses(r.ByStatus), r.Unexpected, r.OnlyUnavailable())
	}
}

// TestSQLiteKill9 is the real SQLite scenario, shortened: the app runs as
// this test binary in a child process and is killed mid-writes.
func TestSQLiteKill9(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(t.TempDir(), "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	c := &Child{
		DB:  filepath.Join(t.TempDir(), "sessions.db"),
		Log: log,
		Command: func(db string) *exec.Cmd {
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), "BULWARK_FAULTS_SERVE="+db)
			return cmd
		},
	}
	sc, done, err := SQLiteScenario(c)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	r, err := Run(sc, quick)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s; outage %s; integrity %s; first 200 after %v, all after %v; acked %d, lost %d", Statuses(r.ByStatus), Statuses(r.Outage), r.Check, r.FirstOK, r.AllOK, r.Acked, r.Lost)
	if r.Check != "ok" {
		t.Errorf("integrity_check after kill -9: %q", r.Check)
	}
	if !r.OnlyUnavailable() || !r.NoneLost() || r.Acked == 0 || len(r.Samples) > 0 {
		t.Errorf("unexpected %d (%q), lost %d (%q), stale %d, acked %d", r.Unexpected, r.Samples, r.Lost, r.LostDetails, r.Stale, r.Acked)
	}
}

func TestWriteSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	if err := os.WriteFile(path, []byte("# Benchmarks\n\ntable"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"first\n", "second\n"} {
		if err := WriteSection(path, section); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, append(must(os.ReadFile(path)), "\nafter\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteSection(path, "third\n"); err != nil {
		t.Fatal(err)
	}
	want := "# Benchmarks\n\ntable\n\n" + BeginMarker + "\nthird\n" + EndMarker + "\n\nafter\n"
	if got := string(must(os.ReadFile(path))); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
