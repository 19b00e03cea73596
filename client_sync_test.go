package httpsession

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"
)

// TestSyncIntervalPicksUpOthers: with SyncInterval, a Client that changes
// nothing still sees, within the interval, the cookies another process
// saved, and stops syncing at Close.
func TestSyncIntervalPicksUpOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.json")
		reader, err := New(Options{SessionFile: path, SyncInterval: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		writer, err := New(Options{SessionFile: path})
		if err != nil {
			t.Fatal(err)
		}
		u := psURL(t, "https://shop.example/")
		writer.Jar().SetCookieHeaders(u, []string{"from=writer; Max-Age=3600"})
		if err := writer.Save(); err != nil {
			t.Fatal(err)
		}
		if n := reader.Jar().live(); n != 0 {
			t.Fatalf("reader holds %d cookies before any sync, want 0", n)
		}
		time.Sleep(time.Second + time.Millisecond)
		synctest.Wait()
		if n := reader.Jar().live(); n != 1 {
			t.Errorf("reader holds %d cookies one interval later, want 1", n)
		}
		if err := reader.Close(); err != nil {
			t.Fatal(err)
		}
		if err := reader.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		writer.Jar().SetCookieHeaders(u, []string{"late=1; Max-Age=3600"})
		if err := writer.Save(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if n := reader.Jar().live(); n != 1 {
			t.Errorf("reader holds %d cookies after Close and more intervals, want still 1", n)
		}
	})
}

// TestDefaultResponseHeaderTimeout: the transport New creates gives up on
// a server that never sends headers after defaultResponseHeaderTimeout,
// instead of waiting forever; a Transport given in Options is left alone.
func TestDefaultResponseHeaderTimeout(t *testing.T) {
	c, err := New(Options{Retry: &RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	base := c.hc.Transport.(*transport).base.(*http.Transport)
	if base.ResponseHeaderTimeout != defaultResponseHeaderTimeout {
		t.Fatalf("ResponseHeaderTimeout = %v, want %v", base.ResponseHeaderTimeout, defaultResponseHeaderTimeout)
	}
	own := &http.Transport{}
	c2, err := New(Options{Transport: own})
	if err != nil {
		t.Fatal(err)
	}
	if got := c2.hc.Transport.(*transport).base; got != own || own.ResponseHeaderTimeout != 0 {
		t.Errorf("a given Transport was changed or replaced")
	}

	synctest.Test(t, func(t *testing.T) {
		l := newMemListener()
		defer l.Close()
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				go func(conn net.Conn) { // read the request, never answer
					buf := make([]byte, 4096)
					for {
						if _, err := conn.Read(buf); err != nil {
							return
						}
					}
				}(conn)
			}
		}()
		c, err := New(Options{Retry: &RetryPolicy{MaxAttempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		base := c.hc.Transport.(*transport).base.(*http.Transport)
		base.DialContext = dialMem
		start := time.Now()
		req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://"+l.Addr().String()+"/", nil)
		_, err = c.Do(req)
		if err == nil {
			t.Fatal("Do succeeded against a server that never answers")
		}
		if waited := time.Since(start); waited != defaultResponseHeaderTimeout {
			t.Errorf("Do gave up after %v, want %v", waited, defaultResponseHeaderTimeout)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Do error = %v, want a timeout", err)
		}
		l.Close()
		base.CloseIdleConnections()
	})
}
