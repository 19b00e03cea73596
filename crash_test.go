package httpsession

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
)

// childEnv tells a re-executed test binary which child role to play.
const childEnv = "HTTPSESSION_TEST_CHILD"

// longRun reports whether HTTPSESSION_LONG is set (to anything but ""):
// then the crash and flood tests run at full length, as CI runs them,
// rather than at the length that proves the point quickly.
//
//	HTTPSESSION_LONG=1 go test -race ./...
func longRun() bool { return os.Getenv("HTTPSESSION_LONG") != "" }

// crashCookies is the size of the jar the crash test saves.
const crashCookies = 5000

// TestCrashSafety re-executes the test binary as a child that saves a
// 5,000-cookie jar to a session file in a loop, kills it with SIGKILL at
// random moments, and checks after every kill that the file loads with all
// its cookies. It kills 8 times by default and 50 times with
// HTTPSESSION_LONG; HTTPSESSION_CRASH_KILLS sets the number:
//
//	HTTPSESSION_CRASH_KILLS=500 go test -run TestCrashSafety -v .
func TestCrashSafety(t *testing.T) {
	if os.Getenv(childEnv) == "crash" {
		crashChild(os.Getenv("HTTPSESSION_TEST_FILE"))
		return
	}
	if testing.Short() {
		t.Skip("skipping the crash test in -short mode")
	}
	t.Parallel()
	kills := 8
	if longRun() {
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
	midWrite := 0 // kills that left a temporary file: during the write

	for i := range kills {
		cmd, _, r := startChild(t, "TestCrashSafety", "crash", path, "")
		// The child prints how long each save took; kill it at a random
		// moment of its second save, most likely while it writes, which
		// is the save's second half.
		var last time.Duration
		for range 1 {
			line, err := r.ReadString('\n')
			if err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("kill %d: child ended before saving: %v", i, err)
			}
			last, _ = time.ParseDuration(strings.TrimSpace(line))
		}
		time.Sleep(last/3 + rand.N(last*3/4+time.Millisecond))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if tempFileIn(t, filepath.Dir(path)) {
			midWrite++
		}

		jar := NewJar(&JarOptions{MaxCookies: 2 * crashCookies, MaxCookiesPerDomain: crashCookies / 50})
		if _, err := LoadSession(NewFileStore(nil, path), jar); err != nil {
			t.Fatalf("kill %d: the session file does not load: %v", i, err)
		}
		if n := jar.Len(); n != crashCookies {
			t.Fatalf("kill %d: the session file holds %d cookies, want %d", i, n, crashCookies)
		}
	}
	t.Logf("%d kills, %d of them while the new file was being written", kills, midWrite)

	// Stale temporary files are cleaned by the next save.
	jar := NewJar(&JarOptions{MaxCookies: 2 * crashCookies, MaxCookiesPerDomain: crashCookies / 50})
	s, err := openSession(afero.NewOsFs(), path, nil, jar, nil)
	if err != nil {
		t.Fatal(err)
	}
	jar.SetCookieHeaders(&url.URL{Scheme: "https", Host: "final.example"}, []string{"x=1; Max-Age=60"})
	if err := s.save(); err != nil {
		t.Fatal(err)
	}
	if tempFileIn(t, filepath.Dir(path)) {
		t.Errorf("temporary file left after a save")
	}
}

// tempFileIn reports whether dir holds a save's temporary file.
func tempFileIn(t *testing.T, dir string) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			return true
		}
	}
	return false
}

// crashChild saves a jar of crashCookies cookies to path over and over,
// changing some of them each time, and prints how long each save took. It
// is killed by its parent; it ends by itself after a minute.
func crashChild(path string) {
	jar := NewJar(&JarOptions{MaxCookies: 2 * crashCookies, MaxCookiesPerDomain: crashCookies / 50})
	s, err := openSession(afero.NewOsFs(), path, nil, jar, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	const domains = 50
	// The first child fills the jar; later ones load it from the file
	// and change a tenth of it per save.
	full := jar.Len() != crashCookies
	set := func(round int) {
		for d := range domains {
			u := &url.URL{Scheme: "https", Host: fmt.Sprintf("site%02d.example", d), Path: "/"}
			var lines []string
			for c := range crashCookies / domains {
				if full || (c+round)%10 == 0 {
					lines = append(lines, fmt.Sprintf("c%03d=%032x-%d; Path=/; Secure; HttpOnly; Max-Age=86400", c, c*d, round))
				}
			}
			jar.SetCookieHeaders(u, lines)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for round := 0; time.Now().Before(deadline); round++ {
		set(round)
		full = false
		start := time.Now()
		if err := s.save(); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		fmt.Println(time.Since(start))
	}
	os.Exit(0)
}
