package redisstore_test

import (
	"testing"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/redistest"
	"github.com/httpsession/httpsession/internal/storetest"
	"github.com/httpsession/httpsession/redisstore"
)

// TestConformance runs the store conformance suite against a real Redis:
// each case on a key of its own, each Store with a client of its own, as
// separate workers would have.
func TestConformance(t *testing.T) {
	srv := redistest.Start(t)
	storetest.Run(t, func(t *testing.T) func() httpsession.Store {
		key := "conformance:" + t.Name()
		return func() httpsession.Store { return redisstore.New(srv.Client(t), key) }
	})
}
