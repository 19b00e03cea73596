package agestore

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/httpsession/httpsession/internal/proctest"

	"filippo.io/age"
	"github.com/httpsession/httpsession"
)

// childEnv tells a re-executed test binary which child role to play;
// the session file, the key file and an argument follow in the variables
// below.
const (
	childEnv     = "AGESTORE_TEST_CHILD"
	childFileEnv = "AGESTORE_TEST_FILE"
	childKeyEnv  = "AGESTORE_TEST_KEY"
	childArgEnv  = "AGESTORE_TEST_ARG"
)

func startChild(t *testing.T, test, role, path, keyFile, arg string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	return proctest.Start(t, test, childEnv+"="+role, childFileEnv+"="+path, childKeyEnv+"="+keyFile, childArgEnv+"="+arg)
}

func childFail(err error) { proctest.Fail(err) }

// childClient opens the encrypted session file the parent named.
func childClient(jo *httpsession.JarOptions) *httpsession.Client {
	key, err := KeyFromFile(nil, os.Getenv(childKeyEnv))
	if err != nil {
		childFail(err)
	}
	c, err := httpsession.New(httpsession.Options{
		Store: NewFile(nil, os.Getenv(childFileEnv), key),
		Jar:   jo,
	})
	if err != nil {
		childFail(err)
	}
	return c
}

// writeKeyFile writes a new X25519 identity file in dir.
func writeKeyFile(t *testing.T, dir string) (string, *Key) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(path, []byte(identityFileText(id)), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := KeyFromFile(nil, path)
	if err != nil {
		t.Fatal(err)
	}
	return path, key
}

const (
	mpProcs   = 6
	mpCookies = 60
	mpBatch   = 10
)

// TestMultiProcessMerge has 6 processes add 60 distinct cookies each to one
// encrypted session file, saving after every 10, all at once: every cookie
// must be in the file afterwards, and the file must still be encrypted
// and 0600.
func TestMultiProcessMerge(t *testing.T) {
	if os.Getenv(childEnv) == "add" {
		addChild()
		return
	}
	dir := t.TempDir()
	keyFile, key := writeKeyFile(t, dir)
	path := filepath.Join(dir, "state", "session.json")
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	var children []child
	for p := range mpProcs {
		cmd, stdin, out := startChild(t, "TestMultiProcessMerge", "add", path, keyFile, strconv.Itoa(p))
		children = append(children, child{cmd, stdin, out})
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
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v", p, err)
		}
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !IsEncrypted(raw) {
		t.Fatal("the shared file is not encrypted")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	jar := httpsession.NewJar(&httpsession.JarOptions{MaxCookies: 10000})
	if _, err := httpsession.LoadSession(NewFile(nil, path, key), jar); err != nil {
		t.Fatal(err)
	}
	have := make(map[string]bool)
	for _, c := range jar.All() {
		have[c.Domain+" "+c.Name] = true
	}
	missing := 0
	for p := range mpProcs {
		for i := range mpCookies {
			if !have[fmt.Sprintf("p%d.example c%03d", p, i)] {
				missing++
			}
		}
	}
	if missing > 0 || len(have) != mpProcs*mpCookies {
		t.Errorf("the file holds %d cookies, %d of the %d saved are missing", len(have), missing, mpProcs*mpCookies)
	}
}

// addChild says "ready", waits for its stdin to close, and then adds
// mpCookies cookies for its own domain, saving after each batch.
func addChild() {
	p, _ := strconv.Atoi(os.Getenv(childArgEnv))
	c := childClient(&httpsession.JarOptions{MaxCookies: 10000})
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	u := &url.URL{Scheme: "https", Host: fmt.Sprintf("p%d.example", p), Path: "/"}
	for i := 0; i < mpCookies; i += mpBatch {
		var lines []string
		for j := i; j < i+mpBatch; j++ {
			lines = append(lines, fmt.Sprintf("c%03d=v; Max-Age=3600", j))
		}
		c.Jar().SetCookieHeaders(u, lines)
		if err := c.Save(); err != nil {
			childFail(err)
		}
	}
	os.Exit(0)
}

// crashCookies is the size of the jar the crash test saves.
const crashCookies = 3000

// TestCrashSafety re-executes the test binary as a child that saves a
// 3,000-cookie jar to an encrypted session file in a loop, kills it with
// SIGKILL at random moments of a save, and checks after every kill that
// the file decrypts and loads with all its cookies. 20 kills by default;
// set AGESTORE_CRASH_KILLS for more.
func TestCrashSafety(t *testing.T) {
	if os.Getenv(childEnv) == "crash" {
		crashChild()
		return
	}
	if testing.Short() {
		t.Skip("skipping the crash test in -short mode")
	}
	kills := 20
	if s := os.Getenv("AGESTORE_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("AGESTORE_CRASH_KILLS=%q: want a positive number", s)
		}
		kills = n
	}
	dir := t.TempDir()
	keyFile, key := writeKeyFile(t, dir)
	path := filepath.Join(dir, "state", "session.json")
	midWrite := 0
	for i := range kills {
		cmd, _, out := startChild(t, "TestCrashSafety", "crash", path, keyFile, "")
		// The child prints how long each save took; kill it at a random
		// moment of its second save.
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
		if tempFileIn(t, filepath.Dir(path)) {
			midWrite++
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		if !IsEncrypted(raw) {
			t.Fatalf("kill %d: the file is not encrypted", i)
		}
		jar := httpsession.NewJar(&httpsession.JarOptions{MaxCookies: 2 * crashCookies, MaxCookiesPerDomain: crashCookies / 50})
		if _, err := httpsession.LoadSession(NewFile(nil, path, key), jar); err != nil {
			t.Fatalf("kill %d: the session file does not load: %v", i, err)
		}
		if n := jar.Len(); n != crashCookies {
			t.Fatalf("kill %d: the session file holds %d cookies, want %d", i, n, crashCookies)
		}
	}
	t.Logf("%d kills, %d of them while the new file was being written", kills, midWrite)
}

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

// crashChild saves a jar of crashCookies cookies over and over, changing
// a tenth of them each time, and prints how long each save took. It is
// killed by its parent; it ends by itself after a minute.
func crashChild() {
	c := childClient(&httpsession.JarOptions{MaxCookies: 2 * crashCookies, MaxCookiesPerDomain: crashCookies / 50})
	const domains = 50
	full := c.Jar().Len() != crashCookies
	deadline := time.Now().Add(time.Minute)
	for round := 0; time.Now().Before(deadline); round++ {
		for d := range domains {
			u := &url.URL{Scheme: "https", Host: fmt.Sprintf("site%02d.example", d), Path: "/"}
			var lines []string
			for n := range crashCookies / domains {
				if full || (n+round)%10 == 0 {
					lines = append(lines, fmt.Sprintf("c%03d=%032x-%d; Path=/; Secure; HttpOnly; Max-Age=86400", n, n*d, round))
				}
			}
			c.Jar().SetCookieHeaders(u, lines)
		}
		full = false
		start := time.Now()
		if err := c.Save(); err != nil {
			childFail(err)
		}
		fmt.Println(time.Since(start))
	}
	os.Exit(0)
}
