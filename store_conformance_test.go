package httpsession_test

import (
	"path/filepath"
	"testing"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/storetest"
	"github.com/spf13/afero"
)

// TestFileStoreConformance runs the store conformance suite against the
// session file, on the operating system's file system (flock) and on an
// in-memory one.
func TestFileStoreConformance(t *testing.T) {
	t.Run("os", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) func() httpsession.Store {
			path := filepath.Join(t.TempDir(), "session.json")
			return func() httpsession.Store { return httpsession.NewFileStore(nil, path) }
		})
	})
	t.Run("mem", func(t *testing.T) {
		fsys := afero.NewMemMapFs()
		storetest.Run(t, func(t *testing.T) func() httpsession.Store {
			path := filepath.Join("/sessions", filepath.Base(t.Name()), "session.json")
			return func() httpsession.Store { return httpsession.NewFileStore(fsys, path) }
		})
	})
}
