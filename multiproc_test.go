package httpsession

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/httpsession/httpsession/internal/proctest"
	"github.com/spf13/afero"
)

// childEnv tells a re-executed test binary which child role to play.
const childEnv = "HTTPSESSION_TEST_CHILD"

// longRun reports whether HTTPSESSION_LONG is set (to anything but ""):
// then the crash, flood and fleet tests run at full length, as CI runs
// them, rather than at the length that proves the point quickly.
//
//	HTTPSESSION_LONG=1 go test -race ./...
func longRun() bool { return os.Getenv("HTTPSESSION_LONG") != "" }

// startChild runs this test binary again as a child playing role, with the
// session file path and an argument.
func startChild(t *testing.T, test, role, path, arg string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	return proctest.Start(t, test, childEnv+"="+role, "HTTPSESSION_TEST_FILE="+path, "HTTPSESSION_TEST_ARG="+arg)
}

func childFail(err error) { proctest.Fail(err) }

// TestMultiProcessDeleteSticks: this process holds a cookie, another
// process deletes it and saves, then this process saves: the cookie stays
// deleted, here and in the file, and nothing else is lost.
func TestMultiProcessDeleteSticks(t *testing.T) {
	if os.Getenv(childEnv) == "delete" {
		deleteChild(os.Getenv("HTTPSESSION_TEST_FILE"), os.Getenv("HTTPSESSION_TEST_ARG"))
		return
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "session.json")
	u := &url.URL{Scheme: "https", Host: "shop.example", Path: "/"}
	jar := NewJar(nil)
	s, err := openSession(afero.NewOsFs(), path, nil, jar, nil)
	if err != nil {
		t.Fatal(err)
	}
	jar.SetCookieHeaders(u, []string{"cart=1; Max-Age=3600", "keep=1; Max-Age=3600"})
	if err := s.save(); err != nil {
		t.Fatal(err)
	}

	cmd, stdin, out := startChild(t, "TestMultiProcessDeleteSticks", "delete", path, "cart")
	stdin.Close()
	rest, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v (%s)", err, rest)
	}
	if got := strings.TrimSpace(string(rest)); got != "removed" {
		t.Fatalf("child said %q, want %q", got, "removed")
	}

	// This process still holds "cart" and saves something else.
	jar.SetCookieHeaders(u, []string{"later=1; Max-Age=3600"})
	if err := s.save(); err != nil {
		t.Fatal(err)
	}
	want := "keep later"
	if got := strings.Join(cookieNames(jar), " "); got != want {
		t.Errorf("cookies here after the save = %q, want %q", got, want)
	}
	fresh := NewJar(nil)
	if _, err := LoadSession(NewFileStore(nil, path), fresh); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cookieNames(fresh), " "); got != want {
		t.Errorf("cookies in the file = %q, want %q", got, want)
	}
}

// deleteChild removes the cookie named arg from the session and saves.
func deleteChild(path, name string) {
	jar := NewJar(nil)
	s, err := openSession(afero.NewOsFs(), path, nil, jar, nil)
	if err != nil {
		childFail(err)
	}
	if !jar.Remove("shop.example", "/", name) {
		childFail(fmt.Errorf("no cookie %q to remove", name))
	}
	if err := s.save(); err != nil {
		childFail(err)
	}
	fmt.Println("removed")
	os.Exit(0)
}

// TestSessionConcurrentSaves saves from many goroutines and sessions of
// one process at once, under the race detector in CI.
func TestSessionConcurrentSaves(t *testing.T) {
	t.Parallel()
	for _, fsys := range testFileSystems(t) {
		t.Run(fsys.Name(), func(t *testing.T) {
			path := filepath.Join(tempDir(t, fsys), "session.json")
			var wg sync.WaitGroup
			for p := range 4 {
				jar := NewJar(nil)
				s, err := openSession(fsys, path, nil, jar, nil)
				if err != nil {
					t.Fatal(err)
				}
				u := &url.URL{Scheme: "https", Host: fmt.Sprintf("g%d.example", p), Path: "/"}
				for g := range 3 {
					wg.Go(func() {
						for i := range 10 {
							jar.SetCookieHeaders(u, []string{fmt.Sprintf("c%d-%d=1; Max-Age=3600", g, i)})
							if err := s.save(); err != nil {
								t.Error(err)
								return
							}
						}
					})
				}
			}
			wg.Wait()
			jar := NewJar(nil)
			if _, err := LoadSession(NewFileStore(fsys, path), jar); err != nil {
				t.Fatal(err)
			}
			if n := jar.live(); n != 4*3*10 {
				t.Errorf("the file holds %d cookies, want %d", n, 4*3*10)
			}
		})
	}
}
