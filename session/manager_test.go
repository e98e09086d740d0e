package session_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session"
)

func TestNewRejectsBadConfig(t *testing.T) {
	store := &countingStore{}
	cases := []struct {
		name string
		cfg  session.Config
		want string
	}{
		{"no store", session.Config{}, "Store is required"},
		{"bad cookie name", session.Config{Store: store, CookieName: "a b"}, `"a b"`},
		{"host prefix", session.Config{Store: store, CookieName: "__Host-s"}, "leave out the prefix"},
		{"negative lifetime", session.Config{Store: store, Lifetime: -time.Second}, "-1s"},
		{"unknown security", session.Config{Store: store, Secure: 7}, "7 is unknown"},
		{"unknown samesite", session.Config{Store: store, SameSite: 9}, "9 is unknown"},
		{"none without secure", session.Config{Store: store, SameSite: http.SameSiteNoneMode, Secure: session.SecureNever}, "requires a Secure"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := session.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "session: ") {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLazyLoad(t *testing.T) {
	f := newFixture(t, nil)
	c := f.start(t, "k", "v")
	cases := []struct {
		name   string
		cookie *http.Cookie
	}{
		{"no cookie", nil},
		{"with cookie", c},
		{"garbage cookie", &http.Cookie{Name: "session", Value: "not-an-id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.store.reset()
			w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte("hello"))
			}, tc.cookie)
			if n := f.store.finds.Load() + f.store.commits.Load() + f.store.deletes.Load(); n != 0 {
				t.Errorf("untouched session did %d store calls", n)
			}
			if got := w.Header().Values("Set-Cookie"); len(got) != 0 {
				t.Errorf("untouched session set cookies %v", got)
			}
		})
	}
}

func TestReadOnlyRequestDoesNotWrite(t *testing.T) {
	f := newFixture(t, nil)
	c := f.start(t, "k", "v")
	f.store.reset()
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
		f.m.GetString(r.Context(), "k")
		f.m.UserID(r.Context())
		f.m.Keys(r.Context())
	}, c)
	if got := f.store.commits.Load(); got != 0 {
		t.Errorf("read-only request committed %d times", got)
	}
	if got := f.store.finds.Load(); got != 1 {
		t.Errorf("read-only request loaded %d times, want 1", got)
	}
	if sc := sessionCookie(t, w); sc != nil {
		t.Errorf("read-only request set cookie %v", sc)
	}
}

func TestTypedValues(t *testing.T) {
	f := newFixture(t, nil)
	when := time.Date(2029, 5, 6, 7, 8, 9, 10, time.FixedZone("X", 3600))
	type payload struct{ A int }
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		f.m.PutString(ctx, "s", "text")
		f.m.PutInt64(ctx, "i", -42)
		f.m.PutBool(ctx, "b", true)
		f.m.PutTime(ctx, "t", when)
		raw := []byte{0, 1, 2}
		f.m.PutBytes(ctx, "y", raw)
		raw[0] = 9 // the session must have copied it
		if err := f.m.PutJSON(ctx, "j", payload{A: 7}); err != nil {
			t.Error(err)
		}
		if err := f.m.PutJSON(ctx, "bad", func() {}); err == nil {
			t.Error("PutJSON of a func: no error")
		}
		f.m.PutString(ctx, "\x00meta", "reserved keys are ignored")
	})
	c := sessionCookie(t, w)
	f.do(t, func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		checks := []struct {
			name string
			ok   bool
		}{}
		add := func(name string, ok bool) {
			checks = append(checks, struct {
				name string
				ok   bool
			}{name, ok})
		}
		s, ok := f.m.GetString(ctx, "s")
		add("string", ok && s == "text")
		i, ok := f.m.GetInt64(ctx, "i")
		add("int64", ok && i == -42)
		b, ok := f.m.GetBool(ctx, "b")
		add("bool", ok && b)
		tm, ok := f.m.GetTime(ctx, "t")
		add("time", ok && tm.Equal(when) && tm.Format(time.RFC3339Nano) == when.Format(time.RFC3339Nano))
		y, ok := f.m.GetBytes(ctx, "y")
		add("bytes", ok && bytes.Equal(y, []byte{0, 1, 2}))
		var p payload
		found, err := f.m.GetJSON(ctx, "j", &p)
		add("json", found && err == nil && p.A == 7)
		_, ok = f.m.GetInt64(ctx, "s")
		add("wrong type is not found", !ok)
		_, ok = f.m.GetString(ctx, "\x00meta")
		add("reserved key hidden", !ok)
		keys := f.m.Keys(ctx)
		add("keys", strings.Join(keys, ",") == "b,i,j,s,t,y")
		for _, c := range checks {
			if !c.ok {
				t.Errorf("%s: failed", c.name)
			}
		}
	}, c)
}

func TestCookieAttributes(t *testing.T) {
	cases := []struct {
		name       string
		edit       func(*session.Config)
		tls        bool
		remember   *bool
		wantName   string
		wantSecure bool
		wantSite   http.SameSite
		persistent bool
	}{
		{"http default", nil, false, nil, "session", false, http.SameSiteLaxMode, false},
		{"https default", nil, true, nil, "__Host-session", true, http.SameSiteLaxMode, false},
		{"always secure", func(c *session.Config) { c.Secure = session.SecureAlways }, false, nil, "__Host-session", true, http.SameSiteLaxMode, false},
		{"never secure", func(c *session.Config) { c.Secure = session.SecureNever }, true, nil, "session", false, http.SameSiteLaxMode, false},
		{"strict", func(c *session.Config) { c.SameSite = http.SameSiteStrictMode }, false, nil, "session", false, http.SameSiteStrictMode, false},
		{"persist default", func(c *session.Config) { c.Persist = true }, false, nil, "session", false, http.SameSiteLaxMode, true},
		{"remember me", nil, false, ptr(true), "session", false, http.SameSiteLaxMode, true},
		{"forget me", func(c *session.Config) { c.Persist = true }, false, ptr(false), "session", false, http.SameSiteLaxMode, false},
		{"custom name", func(c *session.Config) { c.CookieName = "sid" }, true, nil, "__Host-sid", true, http.SameSiteLaxMode, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.edit)
			r := httptest.NewRequest("GET", "/", nil)
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f.m.PutString(r.Context(), "k", "v")
				if tc.remember != nil {
					f.m.RememberMe(r.Context(), *tc.remember)
				}
			})).ServeHTTP(w, r)
			cookies := w.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("got cookies %v", w.Header()["Set-Cookie"])
			}
			c := cookies[0]
			if c.Name != tc.wantName || c.Secure != tc.wantSecure || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.SameSite != tc.wantSite {
				t.Errorf("cookie %q: got %+v", w.Header().Get("Set-Cookie"), c)
			}
			if len(c.Value) != 43 {
				t.Errorf("ID %d characters long, want 43", len(c.Value))
			}
			if persistent := c.MaxAge > 0; persistent != tc.persistent {
				t.Errorf("persistent = %v (Max-Age %d), want %v", persistent, c.MaxAge, tc.persistent)
			}
			if tc.persistent && c.MaxAge != int((24*time.Hour).Seconds()) {
				t.Errorf("Max-Age %d, want the 24h lifetime", c.MaxAge)
			}
			if f.store.sessions(t) != 1 {
				t.Fatalf("store holds %d sessions", f.store.sessions(t))
			}
			if _, found, _ := f.mem.Find(r.Context(), session.HashID(c.Value)); !found {
				t.Error("session not stored under the hashed ID")
			}
			if _, found, _ := f.mem.Find(r.Context(), c.Value); found {
				t.Error("session stored under the raw ID")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestUnknownIDIsNotAdopted(t *testing.T) {
	f := newFixture(t, nil)
	planted := &http.Cookie{Name: "session", Value: strings.Repeat("A", 43)}
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
		f.m.PutString(r.Context(), "k", "v")
	}, planted)
	c := sessionCookie(t, w)
	if c == nil || c.Value == planted.Value {
		t.Fatalf("planted ID adopted: %v", c)
	}
}

func TestCommitBeforeResponseStarts(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1<<20)
	cases := []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated) }},
		{"Write", func(w http.ResponseWriter) { _, _ = w.Write([]byte("hi")) }},
		{"large Write", func(w http.ResponseWriter) { _, _ = w.Write(big) }},
		{"ReadFrom", func(w http.ResponseWriter) { _, _ = w.(io.ReaderFrom).ReadFrom(bytes.NewReader(big)) }},
		{"WriteString", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "hi") }},
		{"Flush", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }},
		{"ResponseController Flush", func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() }},
		{"no write", func(w http.ResponseWriter) {}},
		{"redirect", func(w http.ResponseWriter) {
			http.Redirect(w, httptest.NewRequest("GET", "/", nil), "/next", http.StatusSeeOther)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			rec := &probeWriter{ResponseRecorder: httptest.NewRecorder(), f: f, t: t}
			f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f.m.PutString(r.Context(), "k", "v")
				tc.write(w)
			})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if !rec.checked {
				rec.check() // "no write": the server writes the header after the handler
			}
			if rec.sawCookie == "" || !rec.sawStored {
				t.Errorf("at the first byte: cookie %q, stored %v", rec.sawCookie, rec.sawStored)
			}
		})
	}
}

// probeWriter records, when the response starts, whether the cookie was
// set and the session was stored.
type probeWriter struct {
	*httptest.ResponseRecorder
	f         *fixture
	t         *testing.T
	checked   bool
	sawCookie string
	sawStored bool
}

func (p *probeWriter) check() {
	if p.checked {
		return
	}
	p.checked = true
	p.sawCookie = p.Header().Get("Set-Cookie")
	p.sawStored = p.f.store.sessions(p.t) == 1
}

func (p *probeWriter) WriteHeader(code int) { p.check(); p.ResponseRecorder.WriteHeader(code) }
func (p *probeWriter) Write(b []byte) (int, error) {
	p.check()
	return p.ResponseRecorder.Write(b)
}
func (p *probeWriter) Flush() { p.check(); p.ResponseRecorder.Flush() }

func TestNoLostUpdates(t *testing.T) {
	f := newFixture(t, nil)
	c := f.start(t, "seed", "x")
	const n = 64
	h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Query().Get("k")
		f.m.GetString(r.Context(), "seed") // load first, so all start from one version
		f.m.PutString(r.Context(), key, key)
	}))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			r := httptest.NewRequest("GET", "/?k=key"+string(rune('A'+i/26))+string(rune('a'+i%26)), nil)
			r.AddCookie(c)
			w := httptest.NewRecorder()
			<-start
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Errorf("request %d: status %d", i, w.Code)
			}
		})
	}
	close(start)
	wg.Wait()
	var keys []string
	f.do(t, func(w http.ResponseWriter, r *http.Request) { keys = f.m.Keys(r.Context()) }, c)
	if len(keys) != n+1 {
		t.Fatalf("got %d keys, want %d: lost %d updates", len(keys), n+1, n+1-len(keys))
	}
}

// TestSameKeyLaterCommitWins runs two requests that both load the session
// before either commits; the one committing last wins, and a key only the
// first changed survives.
func TestSameKeyLaterCommitWins(t *testing.T) {
	f := newFixture(t, nil)
	c := f.start(t, "k", "old")
	loadedA, loadedB := make(chan struct{}), make(chan struct{})
	doneA := make(chan struct{})
	h := func(val string, loaded chan struct{}, wait chan struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			f.m.GetString(r.Context(), "k")
			close(loaded)
			<-wait
			f.m.PutString(r.Context(), "k", val)
			if val == "A" {
				f.m.PutString(r.Context(), "onlyA", "yes")
			}
		}
	}
	gate := make(chan struct{})
	go func() {
		f.do(t, h("A", loadedA, gate), c)
		close(doneA)
	}()
	<-loadedA
	go func() { <-loadedB; close(gate) }()
	f.do(t, h("B", loadedB, doneA), c) // B loads, lets A commit, then commits
	if v, _ := f.get(t, c, "k"); v != "B" {
		t.Errorf("k = %q, want the later commit's B", v)
	}
	if v, _ := f.get(t, c, "onlyA"); v != "yes" {
		t.Errorf("onlyA = %q, want A's change kept", v)
	}
}

func TestRenewAndBindUser(t *testing.T) {
	ops := []struct {
		name     string
		op       func(*session.Manager, *http.Request) error
		wantUser string
	}{
		{"Renew", func(m *session.Manager, r *http.Request) error { return m.Renew(r.Context()) }, ""},
		{"BindUser", func(m *session.Manager, r *http.Request) error { return m.BindUser(r.Context(), "alice") }, "alice"},
	}
	for _, tc := range ops {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			old := f.start(t, "cart", "3 apples")
			f.clock.Advance(time.Hour)
			w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
				if err := tc.op(f.m, r); err != nil {
					t.Fatal(err)
				}
			}, old)
			nc := sessionCookie(t, w)
			if nc == nil || nc.Value == old.Value {
				t.Fatalf("ID not renewed: %v", nc)
			}
			if _, ok := f.get(t, old, "cart"); ok {
				t.Error("old ID still works")
			}
			if v, _ := f.get(t, nc, "cart"); v != "3 apples" {
				t.Errorf("data lost: %q", v)
			}
			var user string
			f.do(t, func(w http.ResponseWriter, r *http.Request) { user = f.m.UserID(r.Context()) }, nc)
			if user != tc.wantUser {
				t.Errorf("user %q, want %q", user, tc.wantUser)
			}
			if tc.wantUser != "" {
				keys, _ := f.mem.UserSessions(t.Context(), tc.wantUser)
				if len(keys) != 1 || keys[0] != session.HashID(nc.Value) {
					t.Errorf("user index %v", keys)
				}
			}
			if f.store.sessions(t) != 1 {
				t.Errorf("%d sessions stored, want 1", f.store.sessions(t))
			}
		})
	}
}

func TestDestroy(t *testing.T) {
	f := newFixture(t, nil)
	c := f.start(t, "k", "v")
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
		if err := f.m.Destroy(r.Context()); err != nil {
			t.Fatal(err)
		}
	}, c)
	if f.store.finds.Load() != 0 || f.store.deletes.Load() != 1 {
		t.Errorf("finds=%d deletes=%d, want 0 and 1", f.store.finds.Load(), f.store.deletes.Load())
	}
	gone := sessionCookie(t, w)
	if gone == nil || gone.MaxAge >= 0 || gone.Value != "" {
		t.Errorf("cookie not expired: %v", w.Header()["Set-Cookie"])
	}
	if _, ok := f.get(t, c, "k"); ok || f.store.sessions(t) != 0 {
		t.Error("destroyed session still usable")
	}

	t.Run("then write", func(t *testing.T) {
		c := f.start(t, "k", "v")
		w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
			_ = f.m.Destroy(r.Context())
			f.m.PutString(r.Context(), "flash", "bye")
		}, c)
		nc := sessionCookie(t, w)
		if nc == nil || nc.Value == "" || nc.Value == c.Value {
			t.Fatalf("want a new session cookie, got %v", w.Header()["Set-Cookie"])
		}
		if _, ok := f.get(t, nc, "k"); ok {
			t.Error("old data carried into the new session")
		}
		if v, _ := f.get(t, nc, "flash"); v != "bye" {
			t.Errorf("flash %q", v)
		}
	})
}

func TestDestroyUserSessions(t *testing.T) {
	cases := []struct {
		name        string
		keepCurrent bool
		wantN       int
		wantCurrent bool
	}{
		{"keep current", true, 2, true},
		{"everywhere", false, 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			login := func() *http.Cookie {
				w := f.do(t, func(w http.ResponseWriter, r *http.Request) { _ = f.m.BindUser(r.Context(), "bob") })
				return sessionCookie(t, w)
			}
			devices := []*http.Cookie{login(), login(), login()}
			other := f.do(t, func(w http.ResponseWriter, r *http.Request) { _ = f.m.BindUser(r.Context(), "carol") })
			var n int
			w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
				var err error
				n, err = f.m.DestroyUserSessions(r.Context(), "bob", tc.keepCurrent)
				if err != nil {
					t.Fatal(err)
				}
			}, devices[0])
			if n != tc.wantN {
				t.Errorf("destroyed %d, want %d", n, tc.wantN)
			}
			var user string
			f.do(t, func(w http.ResponseWriter, r *http.Request) { user = f.m.UserID(r.Context()) }, devices[0])
			if (user == "bob") != tc.wantCurrent {
				t.Errorf("current session user %q", user)
			}
			if !tc.wantCurrent {
				if c := sessionCookie(t, w); c == nil || c.MaxAge >= 0 {
					t.Errorf("current cookie not expired: %v", w.Header()["Set-Cookie"])
				}
			}
			f.do(t, func(w http.ResponseWriter, r *http.Request) { user = f.m.UserID(r.Context()) }, devices[1])
			if user != "" {
				t.Error("another device survived")
			}
			f.do(t, func(w http.ResponseWriter, r *http.Request) { user = f.m.UserID(r.Context()) }, sessionCookie(t, other))
			if user != "carol" {
				t.Error("another user's session was destroyed")
			}
		})
	}
	t.Run("outside a request", func(t *testing.T) {
		f := newFixture(t, nil)
		f.do(t, func(w http.ResponseWriter, r *http.Request) { _ = f.m.BindUser(r.Context(), "dan") })
		n, err := f.m.DestroyUserSessions(t.Context(), "dan", true)
		if err != nil || n != 1 {
			t.Fatalf("n=%d err=%v", n, err)
		}
		if _, err := f.m.DestroyUserSessions(t.Context(), "", false); err == nil {
			t.Error("empty user ID accepted")
		}
	})
}

func TestExpiry(t *testing.T) {
	cases := []struct {
		name  string
		steps []time.Duration // reads at these intervals
		alive bool
	}{
		{"active within idle", []time.Duration{90 * time.Minute, 90 * time.Minute, 90 * time.Minute}, true},
		{"idle too long", []time.Duration{2*time.Hour + time.Second}, false},
		{"lifetime is absolute", []time.Duration{time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour}, false},
		{"just inside lifetime", []time.Duration{time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, time.Hour, 59 * time.Minute}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			c := f.start(t, "k", "v")
			var ok bool
			for _, d := range tc.steps {
				f.clock.Advance(d)
				_, ok = f.get(t, c, "k")
			}
			if ok != tc.alive {
				t.Errorf("alive = %v, want %v", ok, tc.alive)
			}
		})
	}
}

func TestIdleRefreshRule(t *testing.T) {
	f := newFixture(t, nil) // idle 2h: refresh after min(12m, 1m) = 1m
	c := f.start(t, "k", "v")
	steps := []struct {
		advance     time.Duration
		wantCommits int64
	}{
		{30 * time.Second, 0},
		{20 * time.Second, 0},
		{15 * time.Second, 1}, // 65s since the last write
		{10 * time.Second, 0},
	}
	for i, s := range steps {
		f.clock.Advance(s.advance)
		f.store.reset()
		w := f.do(t, func(w http.ResponseWriter, r *http.Request) { f.m.GetString(r.Context(), "k") }, c)
		if got := f.store.commits.Load(); got != s.wantCommits {
			t.Errorf("step %d: %d commits, want %d", i, got, s.wantCommits)
		}
		if sessionCookie(t, w) != nil {
			t.Errorf("step %d: a refresh set a cookie", i)
		}
	}
}

func TestCorruptMetadataIsNoSession(t *testing.T) {
	f := newFixture(t, nil)
	c := f.start(t, "k", "v")
	key := session.HashID(c.Value)
	rec, _, _ := f.mem.Find(t.Context(), key)
	rec.Values["\x00meta"] = []byte("garbage")
	if _, err := f.mem.Commit(t.Context(), key, rec); err != nil {
		t.Fatal(err)
	}
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := f.m.GetString(r.Context(), "k"); ok {
			t.Error("corrupt session served")
		}
		if err := f.m.Err(r.Context()); err != nil {
			t.Errorf("corruption reported as fault: %v", err)
		}
	}, c)
	if w.Code != http.StatusOK {
		t.Errorf("status %d", w.Code)
	}
	if !strings.Contains(f.logs.String(), "corrupt") {
		t.Errorf("corruption not logged: %s", f.logs)
	}
}

func TestSessionEndedDuringRequestIsNotResurrected(t *testing.T) {
	f := newFixture(t, nil)
	c := f.start(t, "k", "v")
	w := f.do(t, func(w http.ResponseWriter, r *http.Request) {
		f.m.GetString(r.Context(), "k")
		// Another request logs out meanwhile.
		f.do(t, func(w http.ResponseWriter, r *http.Request) { _ = f.m.Destroy(r.Context()) }, c)
		f.m.PutString(r.Context(), "late", "x")
	}, c)
	if f.store.sessions(t) != 0 {
		t.Errorf("destroyed session resurrected (%d stored)", f.store.sessions(t))
	}
	// The logout's own response expired the cookie. This one must leave
	// the cookie alone: by the time it arrives the browser may hold the
	// cookie of a session begun since (a new login).
	if sc := sessionCookie(t, w); sc != nil {
		t.Errorf("a request whose session ended elsewhere sets the cookie: %v", w.Header()["Set-Cookie"])
	}
}

func TestNotThroughHandler(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	f.m.PutString(ctx, "k", "v")
	if _, ok := f.m.GetString(ctx, "k"); ok {
		t.Error("value outside a request")
	}
	for name, err := range map[string]error{
		"Err":      f.m.Err(ctx),
		"Renew":    f.m.Renew(ctx),
		"Destroy":  f.m.Destroy(ctx),
		"BindUser": f.m.BindUser(ctx, "x"),
	} {
		if !errors.Is(err, session.ErrNoHandler) {
			t.Errorf("%s: got %v, want ErrNoHandler", name, err)
		}
	}
}

func TestNestedHandlersShareOneSession(t *testing.T) {
	f := newFixture(t, nil)
	w := httptest.NewRecorder()
	inner := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.m.PutString(r.Context(), "k", "v")
	}))
	f.m.Handler(inner).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if n := len(w.Header().Values("Set-Cookie")); n != 1 {
		t.Errorf("%d Set-Cookie headers", n)
	}
}
