// This file holds a scenario's run: warm-up load, the fault, the restore,
// the recovery, the read-back, and the accounting of what the clients saw.

package faults

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Scenario is one fault to inject into a running app under load.
type Scenario struct {
	Name  string // "Redis", "PostgreSQL", …
	Fault string // what is done, for the report
	// Base returns the app's base URL.
	Base func() string
	// Break injects the fault and returns once the server (or app) is
	// down: its process has exited.
	Break func() error
	// Check, if set, runs while the server is down (an integrity check of
	// the files left behind) and returns its finding.
	Check func() (string, error)
	// Restore starts the server (or app) again; it may return before the
	// server accepts requests.
	Restore func() error
	// Ready reports whether the server accepts requests again (PING ok,
	// a query answered, the app listening).
	Ready func() bool
	// AppKilled says the app process itself is the one killed, so
	// connection errors while it is down are expected.
	AppKilled bool
	// Tally, if set, holds the app's log lines.
	Tally *Tally
	// Note, if set, explains the client library's part in the figures.
	Note string
}

// Options shape the load.
type Options struct {
	Clients int
	Warm    time.Duration // load before the fault
	Hold    time.Duration // how long the server stays down
	After   time.Duration // load after the server is back
	HTTP    *http.Client  // default NewHTTPClient(Clients)
}

// Result is what a scenario measured.
type Result struct {
	Name, Fault string
	Clients     int
	Duration    time.Duration // of the load

	Total    int
	ByStatus map[int]int // 0: no HTTP response
	// Outage counts responses received between the fault and the server
	// being back, by status.
	Outage map[int]int
	// OKWhileDown counts 200s to requests begun after the server was down
	// and answered before it was back: a store that answers while down.
	OKWhileDown int
	// Unexpected counts statuses other than 200 and 503, and connection
	// errors from the app (other than while a killed app was down).
	Unexpected int
	Samples    []string // the first unexpected events and findings

	Stopping time.Duration // fault → server down (process exited)
	Downtime time.Duration // server down → server back
	FirstOK  time.Duration // server back → first 200
	AllOK    time.Duration // server back → every client has had a 200
	AllOKMet bool          // every client had a 200 before the load ended
	LastFail time.Duration // server back → last failed response
	// Slow503 and Median503 are the slowest and the median time to a 503.
	Slow503, Median503 time.Duration

	InFlight    int // writes sent before the fault and answered (or cut off) after it
	Acked       int // writes acknowledged with a 200
	Lost        int // clients whose last acknowledged write was not read back
	LostDetails []string
	Stale       int // 200 reads below the last acknowledged write, during the load
	Reborn      int // acknowledged writes that had to start a new session
	Check       string
	Note        string
	AppKilled   bool
	Logs        []LogLine
}

// RecoveryTarget is the bound on server back → every client ok.
const RecoveryTarget = 2 * time.Second

// OnlyUnavailable reports whether, while the server was down, the app
// answered nothing but 503 (never a 500, never a dropped connection).
func (r *Result) OnlyUnavailable() bool { return r.Unexpected == 0 && r.OKWhileDown == 0 }

// Recovered reports whether every client succeeded within RecoveryTarget
// of the server being back.
func (r *Result) Recovered() bool { return r.AllOKMet && r.AllOK <= RecoveryTarget }

// NoneLost reports whether every acknowledged write survived.
func (r *Result) NoneLost() bool { return r.Lost == 0 && r.Stale == 0 && r.Reborn == 0 }

// Run runs sc under the load o describes.
func Run(sc Scenario, o Options) (*Result, error) {
	if o.HTTP == nil {
		o.HTTP = NewHTTPClient(o.Clients)
	}
	load := &Load{Clients: o.Clients, Base: sc.Base, HTTP: o.HTTP}
	load.init()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	start := time.Now()
	wg.Go(func() { load.Run(ctx) })
	halt := func() { stop(); wg.Wait() }

	// Mid-load: after Warm, and once every client holds a session.
	<-time.After(o.Warm)
	if err := poll(30*time.Second, func() bool { return load.sessions() == o.Clients }); err != nil {
		halt()
		return nil, fmt.Errorf("%s: only %d of %d clients got a session before the fault: %w", sc.Name, load.sessions(), o.Clients, err)
	}
	var m marks
	m.fault = time.Now()
	if err := sc.Break(); err != nil {
		halt()
		return nil, fmt.Errorf("%s: inject the fault: %w", sc.Name, err)
	}
	m.down = time.Now()
	check := ""
	if sc.Check != nil {
		var err error
		if check, err = sc.Check(); err != nil {
			check = "FAILED: " + err.Error()
		}
	}
	<-time.After(o.Hold - time.Since(m.down))
	restored := make(chan error, 1)
	go func() { restored <- sc.Restore() }()
	var err error
	if m.lastDown, m.up, err = probe(60*time.Second, sc.Ready); err != nil {
		halt()
		return nil, fmt.Errorf("%s: the server did not come back: %w (restore: %v)", sc.Name, err, drain(restored))
	}
	if err := <-restored; err != nil {
		halt()
		return nil, fmt.Errorf("%s: restore: %w", sc.Name, err)
	}
	<-time.After(o.After - time.Since(m.up))
	halt()
	end := time.Now()

	r := analyse(load, m, sc.AppKilled)
	r.Name, r.Fault, r.Clients, r.Duration, r.Check, r.Note, r.AppKilled = sc.Name, sc.Fault, o.Clients, end.Sub(start), check, sc.Note, sc.AppKilled
	r.Lost, r.LostDetails = load.Verify(10 * time.Second)
	if sc.Tally != nil {
		r.Logs = sc.Tally.Top(4)
	}
	return r, nil
}

// marks are the instants of a run: the fault injected, the process gone,
// the start of the last probe that found the server down, and the start
// of the first that found it up (the server came up in between).
type marks struct{ fault, down, lastDown, up time.Time }

func (l *Load) sessions() int {
	n := 0
	for _, c := range l.clients {
		if c.hasCookie() {
			n++
		}
	}
	return n
}

func drain(ch chan error) error {
	select {
	case err := <-ch:
		return err
	default:
		return errors.New("still running")
	}
}

// poll calls cond every 2 ms until it holds or timeout passes.
func poll(timeout time.Duration, cond func() bool) error {
	_, _, err := probe(timeout, cond)
	return err
}

// probe is poll, returning when the last probe that failed and the one
// that succeeded started.
func probe(timeout time.Duration, ready func() bool) (lastFail, ok time.Time, err error) {
	deadline := time.Now().Add(timeout)
	for {
		at := time.Now()
		if ready() {
			return lastFail, at, nil
		}
		lastFail = at
		if at.After(deadline) {
			return lastFail, time.Time{}, fmt.Errorf("not within %v", timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func analyse(l *Load, m marks, appKilled bool) *Result {
	r := &Result{ByStatus: map[int]int{}, Outage: map[int]int{}, AllOKMet: true}
	r.Stopping, r.Downtime = m.down.Sub(m.fault), m.up.Sub(m.down)
	var firstOK, allOK, lastFail time.Time
	var took503 []time.Duration
	for _, c := range l.clients {
		r.Acked += c.writes
		r.Stale += c.stale
		r.Reborn += c.reborn
		var clientOK time.Time
		for _, e := range c.events {
			if e.Status == http.StatusServiceUnavailable {
				took503 = append(took503, e.End.Sub(e.Start))
			}
			r.count(c.id, e, m, appKilled)
			if e.End.Before(m.up) {
				continue
			}
			if e.Status != http.StatusOK {
				lastFail = latest(lastFail, e.End)
				continue
			}
			if clientOK.IsZero() {
				clientOK = e.End
			}
			if firstOK.IsZero() || e.End.Before(firstOK) {
				firstOK = e.End
			}
		}
		if clientOK.IsZero() {
			r.AllOKMet = false
		}
		allOK = latest(allOK, clientOK)
	}
	r.FirstOK, r.AllOK, r.LastFail = since(firstOK, m.up), since(allOK, m.up), since(lastFail, m.up)
	if len(took503) > 0 {
		sort.Slice(took503, func(i, j int) bool { return took503[i] < took503[j] })
		r.Median503, r.Slow503 = took503[len(took503)/2], took503[len(took503)-1]
	}
	return r
}

// count adds one event of client id to the tallies.
func (r *Result) count(id int, e Event, m marks, appKilled bool) {
	r.Total++
	r.ByStatus[e.Status]++
	if !e.End.Before(m.fault) && e.End.Before(m.up) {
		r.Outage[e.Status]++
	}
	if e.Write && e.Start.Before(m.fault) && e.End.After(m.fault) {
		r.InFlight++
	}
	if e.Status == http.StatusOK && e.Start.After(m.down) && e.End.Before(m.lastDown) {
		r.OKWhileDown++
	}
	expected := e.Status == http.StatusOK || e.Status == http.StatusServiceUnavailable ||
		(e.Status == 0 && appKilled && !e.End.Before(m.fault) && e.Start.Before(m.up))
	if !expected {
		r.Unexpected++
	}
	finding := e.Status == http.StatusOK && e.Err != "" // a stale read, a lost session
	if (!expected || finding) && len(r.Samples) < 5 {
		r.Samples = append(r.Samples, fmt.Sprintf("client %d at fault%+v: status %d %s", id, e.End.Sub(m.fault).Round(time.Millisecond), e.Status, e.Err))
	}
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// since is t-from, or 0 for a zero t.
func since(t, from time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return t.Sub(from)
}

// Statuses lists the statuses seen, in order, as "200: n, 503: n".
func Statuses(by map[int]int) string {
	var codes []int
	for c := range by {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	s := ""
	for i, c := range codes {
		if i > 0 {
			s += ", "
		}
		name := fmt.Sprint(c)
		if c == 0 {
			name = "no response"
		}
		s += fmt.Sprintf("%s: %d", name, by[c])
	}
	if s == "" {
		return "none"
	}
	return s
}
