// Package memnet is an in-memory network: a Listener whose connections are
// net.Pipe pairs. An HTTP server and its clients can talk through it
// without a socket, so that the whole exchange runs inside a
// testing/synctest bubble, where time moves only when every goroutine is
// durably blocked: a goroutine reading a net.Pipe is, one reading a socket
// is not.
package memnet

import (
	"context"
	"net"
	"sync"
	"syscall"
)

// A Listener accepts the connections dialled through its Dial. It is safe
// for concurrent use.
type Listener struct {
	addr  string
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// NewListener returns a Listener that reports addr ("host:port") as its
// address; nothing listens on addr on a real network.
func NewListener(addr string) *Listener {
	return &Listener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for a connection dialled through l.Dial.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops l: Accept and Dial fail from then on.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns the address l was created with.
func (l *Listener) Addr() net.Addr { return addr(l.addr) }

// Dial connects to l, whatever addr says: it has the signature of
// net.Dialer.DialContext, for http.Transport.DialContext. A closed l
// refuses the connection (syscall.ECONNREFUSED).
func (l *Listener) Dial(ctx context.Context, network, _ string) (net.Conn, error) {
	c, s := net.Pipe()
	select {
	case l.conns <- s:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "dial", Net: network, Addr: l.Addr(), Err: syscall.ECONNREFUSED}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }
