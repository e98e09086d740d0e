// This file holds the load: concurrent clients, each with its own session
// cookie, writing a counter that only grows and reading it back, and the
// record of every response.

package faults

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// retryPause is how long a client waits after a failed request before the
// next, as a real client honouring Retry-After would (briefly): without it
// the clients spin on instant 503s and starve the restarting server of CPU.
const retryPause = 10 * time.Millisecond

// Event is one request and its outcome.
type Event struct {
	Start, End time.Time
	Write      bool
	Status     int    // 0: no HTTP response (Err says why)
	Err        string // transport error, or a harness finding on a 200
}

// client is one simulated browser with its own session.
type client struct {
	id     int
	cookie string // "name=value" of its session, once a write created it
	next   int64  // value of the next write
	acked  int64  // last value a write acknowledged with a 200
	writes int    // acknowledged writes
	stale  int    // 200 reads that returned less than acked
	reborn int    // 200 writes that started a new session over ours
	events []Event
	holds  atomic.Bool // cookie is set (read by the scenario while the load runs)
}

func (c *client) hasCookie() bool { return c.holds.Load() }

// Load runs Clients concurrent clients against the app at Base().
type Load struct {
	Clients int
	// Base returns the app's current base URL ("http://host:port"); it may
	// change while the load runs (a restarted child process).
	Base func() string
	HTTP *http.Client

	clients []*client
}

// NewHTTPClient returns a client whose transport keeps a connection per
// load client.
func NewHTTPClient(clients int) *http.Client {
	return &http.Client{
		Timeout: 15 * time.Second, // above the Manager's 5 s store timeout
		Transport: &http.Transport{
			MaxIdleConns:        clients * 2,
			MaxIdleConnsPerHost: clients * 2,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// init makes the clients; Run calls it unless the caller did.
func (l *Load) init() {
	if l.clients != nil {
		return
	}
	l.clients = make([]*client, l.Clients)
	for i := range l.clients {
		l.clients[i] = &client{id: i, next: 1}
	}
}

// Run drives the load until ctx is done. A client then finishes its
// request in flight (so every outcome is recorded and none is cut off by
// the harness itself) and stops.
func (l *Load) Run(ctx context.Context) {
	l.init()
	var wg sync.WaitGroup
	for _, c := range l.clients {
		wg.Go(func() { l.drive(ctx, c) })
	}
	wg.Wait()
}

func (l *Load) drive(ctx context.Context, c *client) {
	for ctx.Err() == nil {
		okW := l.write(ctx, c)
		okR := ctx.Err() != nil || l.read(ctx, c)
		if !okW || !okR {
			select {
			case <-ctx.Done():
			case <-time.After(retryPause):
			}
		}
	}
}

// do sends one request and records it. It returns the status (0 on a
// transport error), the body and the response's Set-Cookie values.
func (l *Load) do(ctx context.Context, c *client, method, path string) (int, string, []*http.Cookie, *Event) {
	ev := Event{Start: time.Now(), Write: method == http.MethodPost}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), method, l.Base()+path, nil)
	if err != nil {
		panic(err)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
	resp, err := l.HTTP.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	ev.End = time.Now()
	if err != nil {
		ev.Err = err.Error()
		c.events = append(c.events, ev)
		return 0, "", nil, &c.events[len(c.events)-1]
	}
	ev.Status = resp.StatusCode
	c.events = append(c.events, ev)
	return resp.StatusCode, string(body), resp.Cookies(), &c.events[len(c.events)-1]
}

func (l *Load) write(ctx context.Context, c *client) bool {
	v := c.next
	c.next++
	status, _, cookies, ev := l.do(ctx, c, http.MethodPost, "/write?n="+strconv.FormatInt(v, 10))
	if status != http.StatusOK {
		return false
	}
	c.acked, c.writes = v, c.writes+1
	for _, ck := range cookies {
		switch {
		case ck.MaxAge < 0 || ck.Value == "":
		case c.cookie == "":
			c.cookie = ck.Name + "=" + ck.Value
			c.holds.Store(true)
		case c.cookie != ck.Name+"="+ck.Value:
			// The Manager found no session under our cookie and started
			// a new one: everything acknowledged before is gone. Keep the
			// old cookie, so the final read-back counts the loss too.
			c.reborn++
			ev.Err = "acknowledged write started a new session: the old one was lost"
		}
	}
	return true
}

func (l *Load) read(ctx context.Context, c *client) bool {
	if c.cookie == "" {
		return true
	}
	status, body, _, ev := l.do(ctx, c, http.MethodGet, "/read")
	if status != http.StatusOK {
		return false
	}
	n, ok := parseCounter(body)
	if !ok || n < c.acked {
		c.stale++
		ev.Err = fmt.Sprintf("read %q after write %d was acknowledged", body, c.acked)
	}
	return true
}

func parseCounter(body string) (int64, bool) {
	s, ok := strings.CutPrefix(body, "n=")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Verify reads every client's counter back once the load is over, polling
// through 503s for up to wait, and returns the number of clients whose
// last acknowledged write is missing (read-back below it, or no session),
// with one line per such client.
func (l *Load) Verify(wait time.Duration) (lost int, details []string) {
	for _, c := range l.clients {
		if c.writes == 0 {
			continue
		}
		got, err := l.readBack(c, wait)
		if err != nil || got < c.acked {
			lost++
			details = append(details, fmt.Sprintf("client %d: acknowledged %d, read back %d (%v)", c.id, c.acked, got, err))
		}
	}
	return lost, details
}

func (l *Load) readBack(c *client, wait time.Duration) (int64, error) {
	deadline := time.Now().Add(wait)
	for {
		req, _ := http.NewRequest(http.MethodGet, l.Base()+"/read", nil)
		req.Header.Set("Cookie", c.cookie)
		resp, err := l.HTTP.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				n, ok := parseCounter(string(body))
				if !ok {
					return 0, fmt.Errorf("read %q", body)
				}
				return n, nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return 0, err
		}
		time.Sleep(retryPause)
	}
}
