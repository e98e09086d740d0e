// Package faultproxy is a loopback TCP proxy that a test controls, for
// checking how a store behaves when its server goes away mid-test.
//
// Tests point a client at Proxy.Addr instead of the server. Cut drops every
// connection and refuses new ones (a crashed server or a reset network);
// Stall keeps connections open but forwards nothing (a hung server or a
// black-holed network, where only a deadline helps); Restore brings the
// path back. It is a test helper and not meant for production traffic.
package faultproxy

import (
	"net"
	"sync"
)

// Mode is the proxy's state.
type Mode int

// The proxy's states.
const (
	Up      Mode = iota // forward traffic
	Cut                 // close every connection at once, including new ones
	Stalled             // accept and keep connections, forward nothing
)

// Proxy forwards loopback TCP connections to one target. It is safe for
// concurrent use.
type Proxy struct {
	target string
	ln     net.Listener

	mu     sync.Mutex
	mode   Mode
	gate   chan struct{} // closed while traffic may flow
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// New listens on a random loopback port and forwards to target.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, gate: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	close(p.gate)
	p.wg.Go(p.accept)
	return p, nil
}

// Addr is the address clients should dial ("127.0.0.1:port").
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Mode reports the current state.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Cut closes every open connection and makes new ones close at once.
func (p *Proxy) Cut() { p.set(Cut) }

// Stall stops forwarding: connections stay open but no byte passes either
// way, so clients wait until their own deadline.
func (p *Proxy) Stall() { p.set(Stalled) }

// Restore forwards traffic again. Connections that lived through a stall
// are closed first, so no stale bytes are delivered late.
func (p *Proxy) Restore() { p.set(Up) }

func (p *Proxy) set(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == m {
		return
	}
	old := p.mode
	p.mode = m
	switch m {
	case Up:
		if old == Stalled {
			p.closeAllLocked()
		}
		close(p.gate)
	case Cut:
		if old == Up {
			p.gate = make(chan struct{})
		}
		p.closeAllLocked()
	case Stalled:
		if old == Up {
			p.gate = make(chan struct{})
		}
	}
}

func (p *Proxy) closeAllLocked() {
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.closeAllLocked()
	if p.mode != Up {
		close(p.gate)
		p.mode = Up
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed || p.mode == Cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { p.serve(c) })
	}
}

func (p *Proxy) serve(client net.Conn) {
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		p.drop(client)
		return
	}
	if !p.track(upstream) {
		upstream.Close()
		p.drop(client)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { p.pipe(upstream, client) })
	wg.Go(func() { p.pipe(client, upstream) })
	wg.Wait()
	p.drop(client)
	p.drop(upstream)
}

// track registers c unless the proxy was cut or closed meanwhile.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.conns[c]; ok || p.closed || p.mode == Cut {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) drop(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// pipe copies src to dst, holding each chunk until the gate is open. Once
// either side fails both are closed, which ends the other pipe too.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			gate := p.gate
			p.mu.Unlock()
			<-gate
			if p.isTracked(src) && p.isTracked(dst) {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			} else {
				return
			}
		}
		if err != nil {
			return // io.EOF or a closed connection: either way, done
		}
	}
}

func (p *Proxy) isTracked(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.conns[c]
	return ok
}
