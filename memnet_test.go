package httpsession

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/httpsession/httpsession/internal/memnet"
)

// An in-memory network for tests that run in a testing/synctest bubble
// (see package memnet): newMemListener returns a listener at a made-up
// loopback address, and dialMem connects to it.

// memListeners holds the open memListeners by address.
var (
	memListeners sync.Map // string → *memnet.Listener
	memPorts     atomic.Int32
)

// memListener is a memnet.Listener that leaves memListeners when closed.
type memListener struct{ *memnet.Listener }

func (l memListener) Close() error {
	memListeners.Delete(l.Addr().String())
	return l.Listener.Close()
}

// newMemListener returns a listener at 127.0.0.1 and a port no real
// listener of a test gets (they are ephemeral ones).
func newMemListener() memListener {
	l := memnet.NewListener(fmt.Sprintf("127.0.0.1:%d", memPorts.Add(1)))
	memListeners.Store(l.Addr().String(), l)
	return memListener{l}
}

// dialMem connects to the memListener at addr, or to addr on the real
// network when there is none.
func dialMem(ctx context.Context, network, addr string) (net.Conn, error) {
	v, ok := memListeners.Load(addr)
	if !ok {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return v.(*memnet.Listener).Dial(ctx, network, addr)
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
