package httpsession

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// An in-memory network for tests that run in a testing/synctest bubble.
// Time in a bubble moves only when every goroutine in it is durably
// blocked, and a goroutine reading a real socket is not; one reading a
// net.Pipe is. A memListener is a listener of pipes at a made-up loopback
// address, and dialMem connects to it.

// memListeners holds the open memListeners by address.
var (
	memListeners sync.Map // string → *memListener
	memPorts     atomic.Int32
)

type memListener struct {
	addr  string
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// newMemListener returns a listener at 127.0.0.1 and a port no real
// listener of a test gets (they are ephemeral ones).
func newMemListener() *memListener {
	l := &memListener{
		addr:  fmt.Sprintf("127.0.0.1:%d", memPorts.Add(1)),
		conns: make(chan net.Conn),
		done:  make(chan struct{}),
	}
	memListeners.Store(l.addr, l)
	return l
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() {
		memListeners.Delete(l.addr)
		close(l.done)
	})
	return nil
}

func (l *memListener) Addr() net.Addr { return memAddr(l.addr) }

type memAddr string

func (a memAddr) Network() string { return "tcp" }
func (a memAddr) String() string  { return string(a) }

// dialMem connects to the memListener at addr, or to addr on the real
// network when there is none.
func dialMem(ctx context.Context, network, addr string) (net.Conn, error) {
	v, ok := memListeners.Load(addr)
	if !ok {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	l := v.(*memListener)
	c, s := net.Pipe()
	select {
	case l.conns <- s:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// newMemServer starts a server for h on a memListener; its Client dials
// it. It is closed when the test ends.
func newMemServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = newMemListener()
	srv.Start()
	srv.Client().Transport.(*http.Transport).DialContext = dialMem
	t.Cleanup(srv.Close)
	return srv
}

// memTransport returns a transport that reaches memListeners (and the
// real network for other addresses), closed when the test ends.
func memTransport(t testing.TB) *http.Transport {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = dialMem
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}
