package devstack

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// bridge is a TCP forwarder from a fixed loopback address to a target
// address. It tracks every forwarded connection so that they can all be cut
// at once (etcd's test bridge does the same for its robustness tests).
type bridge struct {
	addr   string // listen address, fixed after the first open
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{} // both ends of every forwarded pair
	wg    sync.WaitGroup
}

// newBridge opens a bridge on a free loopback port that forwards to target.
func newBridge(target string) (*bridge, error) {
	b := &bridge{addr: net.JoinHostPort(loopback, "0"), target: target}
	if err := b.open(); err != nil {
		return nil, err
	}
	return b, nil
}

// open starts listening on b.addr; after the first call the port is fixed,
// so a reopened bridge has the same address.
func (b *bridge) open() error {
	ln, err := net.Listen("tcp", b.addr)
	if err != nil {
		return fmt.Errorf("devstack: bridge listen %s: %w", b.addr, err)
	}
	b.mu.Lock()
	b.ln = ln
	b.addr = ln.Addr().String()
	b.conns = make(map[net.Conn]struct{})
	b.mu.Unlock()
	b.wg.Add(1)
	go b.accept(ln)
	return nil
}

// Addr returns the address clients connect to.
func (b *bridge) Addr() string { return b.addr }

func (b *bridge) accept(ln net.Listener) {
	defer b.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // listener closed
		}
		b.wg.Add(1)
		go b.forward(c)
	}
}

// forward connects c to the target and copies bytes both ways until either
// side closes or the bridge cuts the pair.
func (b *bridge) forward(c net.Conn) {
	defer b.wg.Done()
	up, err := net.DialTimeout("tcp", b.target, time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !b.track(c, up) {
		c.Close()
		up.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	c.Close()
	up.Close()
	<-done
	b.untrack(c, up)
}

// track registers a pair; it reports false when the bridge is closed.
func (b *bridge) track(cs ...net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns == nil {
		return false
	}
	for _, c := range cs {
		b.conns[c] = struct{}{}
	}
	return true
}

func (b *bridge) untrack(cs ...net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cs {
		delete(b.conns, c)
	}
}

// dropConns cuts every forwarded connection; the listener stays open.
func (b *bridge) dropConns() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.conns {
		c.Close()
	}
}

// close stops listening, cuts every connection and waits for the
// forwarding goroutines to finish. It is safe to call more than once.
func (b *bridge) close() error {
	b.mu.Lock()
	ln := b.ln
	b.ln = nil
	for c := range b.conns {
		c.Close()
	}
	b.conns = nil
	b.mu.Unlock()
	var err error
	if ln != nil {
		err = ln.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	}
	b.wg.Wait()
	return err
}
