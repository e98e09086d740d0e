// Package sessionbench compares Bulwark's session manager and stores with
// alexedwards/scs v2 on the same backends (memory, Redis, PostgreSQL,
// SQLite), through each library's own middleware and identical requests.
//
// Two operations are measured per backend and library:
//
//   - load: a request with an existing session cookie reads one value;
//   - modify: the same request reads the value, writes another key (a new
//     value each time), and the session is committed before the response.
//
// The lost-update check sends 64 concurrent requests of one session, each
// writing a different key, and counts the keys missing afterwards.
package sessionbench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Origin is the app's origin; requests are HTTPS so both libraries set
// Secure cookies.
const Origin = "https://example.com"

// Session timeouts used for both libraries so they do the same work.
const (
	IdleTimeout = 2 * time.Hour
	Lifetime    = 24 * time.Hour
)

// Impl is one session library bound to one backend.
type Impl struct {
	// Lib is "bulwark" or "scs".
	Lib string
	// Backend is "memory", "redis", "postgres" or "sqlite".
	Backend string
	// Wrap is the library's middleware.
	Wrap func(http.Handler) http.Handler
	// Get and Put access string values of the request's session.
	Get func(ctx context.Context, key string) string
	Put func(ctx context.Context, key, val string)
	// Close releases the backend (tables, keys, connections).
	Close func()
}

// Name is "backend/lib".
func (im *Impl) Name() string { return im.Backend + "/" + im.Lib }

// Op names, in table order.
const (
	OpLoad   = "load"
	OpModify = "modify"
)

// Ops lists the operations in table order.
var Ops = []string{OpLoad, OpModify}

// Case is a prepared operation: a handler and a request carrying a live
// session cookie.
type Case struct {
	Impl    *Impl
	Op      string
	Handler http.Handler
	base    *http.Request
	req     http.Request
}

// Serve runs the request once and returns the response.
func (c *Case) Serve() *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	c.req = *c.base
	c.Handler.ServeHTTP(rec, &c.req)
	return rec
}

func newRequest(path string, cookies []*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, Origin+path, nil)
	for _, c := range cookies {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return r
}

// login creates a session holding user=alice and returns its cookies.
func login(im *Impl) ([]*http.Cookie, error) {
	h := im.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		im.Put(r.Context(), "user", "alice")
		io.WriteString(w, "hello")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newRequest("/login", nil))
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("%s: login answered %d: %s", im.Name(), rec.Code, rec.Body.String())
	}
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		return nil, fmt.Errorf("%s: login set no session cookie", im.Name())
	}
	return cookies, nil
}

// Prepare builds the load and modify cases for im and verifies them: the
// load request sees the stored value, and a modify request's write is seen
// by the next load.
func Prepare(im *Impl) (map[string]*Case, error) {
	cookies, err := login(im)
	if err != nil {
		return nil, err
	}
	load := &Case{Impl: im, Op: OpLoad, base: newRequest("/", cookies)}
	load.Handler = im.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, im.Get(r.Context(), "user"))
	}))
	var n atomic.Int64
	modify := &Case{Impl: im, Op: OpModify, base: newRequest("/visit", cookies)}
	modify.Handler = im.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		user := im.Get(ctx, "user")
		im.Put(ctx, "visit", strconv.FormatInt(n.Add(1), 10))
		io.WriteString(w, user)
	}))
	check := &Case{Impl: im, base: newRequest("/check", cookies)}
	check.Handler = im.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, im.Get(r.Context(), "user")+" "+im.Get(r.Context(), "visit"))
	}))

	if rec := load.Serve(); rec.Code != http.StatusOK || rec.Body.String() != "alice" {
		return nil, fmt.Errorf("%s: load answered %d %q, want 200 \"alice\"", im.Name(), rec.Code, rec.Body.String())
	}
	for i := 1; i <= 2; i++ {
		if rec := modify.Serve(); rec.Code != http.StatusOK || rec.Body.String() != "alice" {
			return nil, fmt.Errorf("%s: modify answered %d %q, want 200 \"alice\"", im.Name(), rec.Code, rec.Body.String())
		}
		want := "alice " + strconv.Itoa(i)
		if rec := check.Serve(); rec.Body.String() != want {
			return nil, fmt.Errorf("%s: after modify #%d the session holds %q, want %q: the commit was lost", im.Name(), i, rec.Body.String(), want)
		}
	}
	return map[string]*Case{OpLoad: load, OpModify: modify}, nil
}

// LostUpdates sends n concurrent requests of one fresh session, each
// writing its own key, and returns how many keys are missing afterwards and
// how many requests failed (non-200). When barrier is true every request
// reads the session before any of them writes, the worst interleaving for a
// read-modify-write commit; otherwise they run freely.
func LostUpdates(im *Impl, n int, barrier bool) (lost, failed int, err error) {
	cookies, err := login(im)
	if err != nil {
		return 0, 0, err
	}
	// A barrier with a safety timeout: a library that serialised the
	// requests of one session would otherwise deadlock here.
	var arrivedN atomic.Int64
	allArrived := make(chan struct{})
	bctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := im.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		im.Get(ctx, "user") // load the session
		if barrier {
			if arrivedN.Add(1) == int64(n) {
				close(allArrived)
			}
			select {
			case <-allArrived:
			case <-bctx.Done():
			}
		}
		im.Put(ctx, "k"+r.URL.Query().Get("i"), "v")
		io.WriteString(w, "ok")
	}))
	var done sync.WaitGroup
	var failures atomic.Int64
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, newRequest("/set?i="+strconv.Itoa(i), cookies))
			if rec.Code != http.StatusOK {
				failures.Add(1)
			}
		}()
	}
	done.Wait()

	var got string
	read := im.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sb strings.Builder
		for i := range n {
			if im.Get(r.Context(), "k"+strconv.Itoa(i)) == "v" {
				sb.WriteByte('1')
			} else {
				sb.WriteByte('0')
			}
		}
		got = sb.String()
	}))
	rec := httptest.NewRecorder()
	read.ServeHTTP(rec, newRequest("/read", cookies))
	if rec.Code != http.StatusOK {
		return 0, 0, fmt.Errorf("%s: reading the session back answered %d", im.Name(), rec.Code)
	}
	return strings.Count(got, "0"), int(failures.Load()), nil
}
