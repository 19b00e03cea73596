package httpsession_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/storetest"
)

// openFile opens a session file as a store, as every process sharing it
// does.
func openFile(path string) (httpsession.Store, error) {
	return httpsession.NewFileStore(nil, path), nil
}

// TestMultiProcessSave has 8 processes add 100 distinct cookies each to one
// session file, saving after every 10, all at once: every cookie must be in
// the file afterwards.
func TestMultiProcessSave(t *testing.T) {
	storetest.Child(openFile)
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared", "session.json")
	storetest.MultiProcessSave(t, "TestMultiProcessSave", openFile, path, 8, 100)
}

// TestCrashSafety re-executes the test binary as a child that saves a
// 5,000-cookie jar to a session file in a loop, kills it with SIGKILL at
// random moments, and checks after every kill that the file loads with all
// its cookies. It kills 8 times by default and 50 times with
// HTTPSESSION_LONG; HTTPSESSION_CRASH_KILLS sets the number:
//
//	HTTPSESSION_CRASH_KILLS=500 go test -run TestCrashSafety -v .
//
// Then a save cleans up the temporary file a kill left.
func TestCrashSafety(t *testing.T) {
	storetest.Child(openFile)
	if testing.Short() {
		t.Skip("skipping the crash test in -short mode")
	}
	t.Parallel()
	kills := 8
	if os.Getenv("HTTPSESSION_LONG") != "" {
		kills = 50
	}
	if s := os.Getenv("HTTPSESSION_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("HTTPSESSION_CRASH_KILLS=%q: want a positive number", s)
		}
		kills = n
	}
	path := filepath.Join(t.TempDir(), "state", "session.json")
	mid := storetest.CrashSafety(t, "TestCrashSafety", openFile, path, kills, 5000, nil)
	t.Logf("%d kills, %d of them while the new file was being written", kills, mid)

	c, err := httpsession.New(httpsession.Options{SessionFile: path,
		Jar: &httpsession.JarOptions{MaxCookies: 10000, MaxCookiesPerDomain: 100}})
	if err != nil {
		t.Fatal(err)
	}
	c.Jar().SetCookieHeaders(&url.URL{Scheme: "https", Host: "final.example"}, []string{"x=1; Max-Age=60"})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if storetest.TempFileIn(t, filepath.Dir(path)) {
		t.Errorf("temporary file left after a save")
	}
}
