package oauth

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/authtest"
	"github.com/httpsession/httpsession/internal/memnet"
)

const testPassword = authtest.Password

// memPorts numbers the in-memory listeners of newMemServer.
var memPorts atomic.Int32

// newMemServer starts a server for h on an in-memory listener (package
// memnet), for tests in a testing/synctest bubble; its Client dials it.
// It is closed when the test ends.
func newMemServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	l := memnet.NewListener(fmt.Sprintf("127.0.0.1:%d", memPorts.Add(1)))
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	srv.Client().Transport.(*http.Transport).DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return l.Dial(ctx, network, addr)
	}
	t.Cleanup(srv.Close)
	return srv
}

const (
	secretPrefix = authtest.SecretPrefix
	querySecret  = authtest.QuerySecret
)

// viaSession returns the client a TokenManager hands its authenticator:
// hc's transport (nil: the default one) below a session's, with its jar
// and no retry.
func viaSession(hc *http.Client) *http.Client {
	var base http.RoundTripper
	if hc != nil {
		base = hc.Transport
	}
	c, err := httpsession.New(httpsession.Options{Transport: base, Retry: &httpsession.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		panic(err)
	}
	return c.HTTPClient()
}

func checkAuthError(t *testing.T, err error, wantStatus int, wantReason string) {
	t.Helper()
	authtest.CheckAuthError(t, err, httpsession.ErrAuthResponse, wantStatus, wantReason,
		func(ae *httpsession.AuthError) (int, string) { return ae.Status, ae.Endpoint })
}
