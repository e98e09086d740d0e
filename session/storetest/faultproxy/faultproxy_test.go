package faultproxy_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/bulwark-go/bulwark/session/storetest/faultproxy"
)

// echoServer echoes each line back until the connection closes.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line through addr and reports whether it came back
// within a short deadline.
func roundTrip(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "ping\n"
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestModes(t *testing.T) {
	p, err := faultproxy.New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	c := dial(t, p.Addr())
	if !roundTrip(c) {
		t.Fatal("no echo while up")
	}
	p.Cut()
	if p.Mode() != faultproxy.Cut {
		t.Errorf("Mode = %v, want Cut", p.Mode())
	}
	if roundTrip(c) {
		t.Error("an existing connection still works after Cut")
	}
	if roundTrip(dial(t, p.Addr())) {
		t.Error("a new connection works while cut")
	}
	p.Restore()
	if !roundTrip(dial(t, p.Addr())) {
		t.Error("no echo after Restore")
	}

	stalled := dial(t, p.Addr())
	if !roundTrip(stalled) {
		t.Fatal("no echo before the stall")
	}
	p.Stall()
	if roundTrip(stalled) {
		t.Error("an existing connection still works while stalled")
	}
	if roundTrip(dial(t, p.Addr())) {
		t.Error("a new connection works while stalled")
	}
	p.Restore()
	if roundTrip(stalled) {
		t.Error("a connection that lived through a stall was not closed")
	}
	if !roundTrip(dial(t, p.Addr())) {
		t.Error("no echo after the stall ended")
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
