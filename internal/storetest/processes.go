package storetest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/proctest"
)

// The same promises across OS processes: several processes saving into one
// session at once lose nothing, and a process killed in the middle of a
// save leaves a session that loads whole. A store's test function calls
// Child first (a re-executed test binary plays its role there and exits),
// then MultiProcessSave or CrashSafety.

// An Opener opens the shared session at path as a store of the kind under
// test, in the parent and in every child process.
type Opener func(path string) (httpsession.Store, error)

// Environment of a child process.
const (
	envRole  = "STORETEST_CHILD"
	envPath  = "STORETEST_PATH"
	envArg   = "STORETEST_ARG"
	envCount = "STORETEST_COUNT"
)

// Child plays the role of a re-executed test binary, if this process is
// one, and exits; otherwise it returns at once.
func Child(open Opener) {
	role := os.Getenv(envRole)
	if role == "" {
		return
	}
	n, _ := strconv.Atoi(os.Getenv(envCount))
	st, err := open(os.Getenv(envPath))
	if err != nil {
		proctest.Fail(err)
	}
	switch role {
	case "add":
		p, _ := strconv.Atoi(os.Getenv(envArg))
		addChild(st, p, n)
	case "crash":
		crashChild(st, n)
	}
	proctest.Fail(fmt.Errorf("unknown role %q", role))
}

// childClient opens a Client on st whose jar has the limits o.
func childClient(st httpsession.Store, o *httpsession.JarOptions) *httpsession.Client {
	c, err := httpsession.New(httpsession.Options{Store: st, Jar: o})
	if err != nil {
		proctest.Fail(err)
	}
	return c
}

// MultiProcessSave starts procs processes of test, released together, that
// each add cookies cookies of their own domain to the session at path,
// saving after every ten, and checks that every cookie is in the session
// afterwards.
func MultiProcessSave(t *testing.T, test string, open Opener, path string, procs, cookies int, env ...string) {
	t.Helper()
	type child struct {
		wait  func() error
		stdin io.WriteCloser
		out   interface{ ReadString(byte) (string, error) }
	}
	var children []child
	for p := range procs {
		cmd, stdin, out := proctest.Start(t, test, append(env, envRole+"=add", envPath+"="+path,
			envArg+"="+strconv.Itoa(p), envCount+"="+strconv.Itoa(cookies))...)
		children = append(children, child{cmd.Wait, stdin, out})
	}
	// Wait until every child is ready, then release them together.
	for _, c := range children {
		if line, err := c.out.ReadString('\n'); err != nil || line != "ready\n" {
			t.Fatalf("child: %q, %v", line, err)
		}
	}
	for _, c := range children {
		c.stdin.Close()
	}
	for p, c := range children {
		if err := c.wait(); err != nil {
			t.Fatalf("child %d: %v", p, err)
		}
	}
	st, err := open(path)
	if err != nil {
		t.Fatal(err)
	}
	jar := httpsession.NewJar(&httpsession.JarOptions{MaxCookies: 10000})
	if _, err := httpsession.LoadSession(st, jar); err != nil {
		t.Fatal(err)
	}
	have := make(map[string]bool)
	for _, c := range jar.All() {
		have[c.Domain+" "+c.Name] = true
	}
	missing := 0
	for p := range procs {
		for i := range cookies {
			if !have[fmt.Sprintf("p%d.example c%03d", p, i)] {
				missing++
			}
		}
	}
	if missing > 0 || len(have) != procs*cookies {
		t.Errorf("the session holds %d cookies, %d of the %d saved are missing", len(have), missing, procs*cookies)
	}
}

// addChild says "ready", waits for its stdin to close, and then adds n
// cookies for its own domain, saving after every ten.
func addChild(st httpsession.Store, p, n int) {
	c := childClient(st, &httpsession.JarOptions{MaxCookies: 10000}) // room for every process's
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	u := &url.URL{Scheme: "https", Host: fmt.Sprintf("p%d.example", p), Path: "/"}
	for i := 0; i < n; i += 10 {
		var lines []string
		for j := i; j < min(i+10, n); j++ {
			lines = append(lines, fmt.Sprintf("c%03d=v; Max-Age=3600", j))
		}
		c.Jar().SetCookieHeaders(u, lines)
		if err := c.Save(); err != nil {
			proctest.Fail(err)
		}
	}
	os.Exit(0)
}

// CrashSafety starts, kills times over, a process of test that saves a jar
// of cookies cookies to the session at path in a loop, each time at a
// random moment of its second save (most likely while it writes), and
// checks after every kill that the session loads with all its cookies;
// check, when not nil, looks at the session file's bytes first. It returns
// how many kills left a temporary file, that is came during the write.
func CrashSafety(t *testing.T, test string, open Opener, path string, kills, cookies int, check func(raw []byte) error, env ...string) (midWrite int) {
	t.Helper()
	for i := range kills {
		cmd, _, out := proctest.Start(t, test, append(env, envRole+"=crash", envPath+"="+path, envCount+"="+strconv.Itoa(cookies))...)
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("kill %d: child ended before saving: %v", i, err)
		}
		last, _ := time.ParseDuration(strings.TrimSpace(line))
		time.Sleep(last/3 + rand.N(last*3/4+time.Millisecond))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if TempFileIn(t, filepath.Dir(path)) {
			midWrite++
		}
		if check != nil {
			raw, err := os.ReadFile(path)
			if err == nil {
				err = check(raw)
			}
			if err != nil {
				t.Fatalf("kill %d: %v", i, err)
			}
		}
		st, err := open(path)
		if err != nil {
			t.Fatal(err)
		}
		jar := httpsession.NewJar(&httpsession.JarOptions{MaxCookies: 2 * cookies, MaxCookiesPerDomain: cookies / 50})
		if _, err := httpsession.LoadSession(st, jar); err != nil {
			t.Fatalf("kill %d: the session does not load: %v", i, err)
		}
		if n := len(jar.All()); n != cookies {
			t.Fatalf("kill %d: the session holds %d cookies, want %d", i, n, cookies)
		}
	}
	return midWrite
}

// TempFileIn reports whether dir holds a save's temporary file.
func TempFileIn(t *testing.T, dir string) bool {
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

// crashChild saves a jar of n cookies over 50 domains over and over,
// changing a tenth of them each time, and prints how long each save took.
// It is killed by its parent; it ends by itself after a minute.
func crashChild(st httpsession.Store, n int) {
	c := childClient(st, &httpsession.JarOptions{MaxCookies: 2 * n, MaxCookiesPerDomain: n / 50})
	const domains = 50
	// The first child fills the jar; later ones load it and change a
	// tenth of it per save.
	full := len(c.Jar().All()) != n
	deadline := time.Now().Add(time.Minute)
	for round := 0; time.Now().Before(deadline); round++ {
		for d := range domains {
			u := &url.URL{Scheme: "https", Host: fmt.Sprintf("site%02d.example", d), Path: "/"}
			var lines []string
			for k := range n / domains {
				if full || (k+round)%10 == 0 {
					lines = append(lines, fmt.Sprintf("c%03d=%032x-%d; Path=/; Secure; HttpOnly; Max-Age=86400", k, k*d, round))
				}
			}
			c.Jar().SetCookieHeaders(u, lines)
		}
		full = false
		start := time.Now()
		if err := c.Save(); err != nil {
			proctest.Fail(err)
		}
		fmt.Println(time.Since(start))
	}
	os.Exit(0)
}
