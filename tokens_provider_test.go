package httpsession

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// A first login that fails leaves no file behind: neither the session nor
// its refresh lock.
func TestLoginWithoutSessionFileLeavesNoLock(t *testing.T) {
	dir := t.TempDir()
	c, err := New(Options{SessionFile: filepath.Join(dir, "session.json"), AuthOrigins: []string{"https://api.example.com"},
		Auth: AuthFuncs{LoginFunc: func(context.Context, *http.Client) (*Token, error) { return nil, errors.New("no password") }}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tokens().Token(t.Context()); err == nil {
		t.Fatal("Token() succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("file left by a failed first login: %s", e.Name())
	}
}
