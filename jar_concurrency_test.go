package httpsession

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrent mixes every operation from many goroutines; run it with
// -race.
func TestConcurrent(t *testing.T) {
	jar, clock := newTestJar(&JarOptions{MaxCookiesPerDomain: 20, MaxCookies: 100})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				host := fmt.Sprintf("https://h%d.site%d.example/p", i%5, g%3)
				u, _ := url.Parse(host)
				switch i % 7 {
				case 0:
					jar.SetCookies(u, []*http.Cookie{{Name: fmt.Sprint("n", i%30), Value: "v", MaxAge: i % 3}})
				case 1:
					jar.SetCookieHeaders(u, []string{fmt.Sprintf("m%d=v; Domain=site%d.example", i%10, g%3)})
				case 2:
					jar.Remove(u.Hostname(), "/", fmt.Sprint("n", i%30))
				case 3:
					_ = jar.All()
					_ = jar.live()
				case 4:
					_ = cookieHeader(jar, u)
				case 5:
					clock.Advance(time.Second)
					cs, ts := jar.snapshot()
					if i%2 == 0 {
						jar.merge(cs, ts)
					} else {
						jar.insert(Cookie{Name: fmt.Sprint("i", i%10), Value: "v", Domain: u.Hostname()})
					}
				default:
					for _, c := range jar.Cookies(u) {
						if c.Value != "v" {
							t.Errorf("Cookies returned value %q", c.Value)
						}
					}
				}
			}
			if g == 0 {
				jar.Clear()
			}
		}()
	}
	wg.Wait()
	checkJar(t, jar)
	if n := jar.live(); n > 100 {
		t.Errorf("Len() = %d, want at most MaxCookies", n)
	}
}

// TestLookupsShareTheLock shows that lookups take the lock only for
// reading: they complete while another reader holds it, and still record
// the access.
func TestLookupsShareTheLock(t *testing.T) {
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/")
	jar.SetCookieHeaders(u, []string{"a=1"})
	clock.Advance(2 * time.Minute)

	jar.mu.RLock()
	done := make(chan string)
	go func() {
		var b strings.Builder
		for _, c := range jar.Cookies(u) {
			b.WriteString(c.Name + "=" + c.Value)
		}
		fmt.Fprintf(&b, " %s %d %d", cookieHeader(jar, u), len(jar.All()), jar.live())
		done <- b.String()
	}()
	var got string
	select {
	case got = <-done:
	case <-time.After(time.Minute):
		t.Fatal("lookups did not complete while another reader held the lock")
	}
	jar.mu.RUnlock()
	if want := "a=1 a=1 1 1"; got != want {
		t.Errorf("lookups under a shared lock = %q, want %q", got, want)
	}
	if all := jar.All(); len(all) != 1 || !all[0].LastAccess.Equal(clock.Now()) {
		t.Errorf("All() = %v, want a=1 last accessed at %v", all, clock.Now())
	}
}

// TestConcurrentLookups runs 64 goroutines of Cookies and cookieHeader
// while others store responses; run it with -race. Each response sets a
// (Path=/) and b (Path=/x) to the same value, so every lookup must see
// both, equal, b first.
func TestConcurrentLookups(t *testing.T) {
	const (
		readers = 64
		writers = 4
		rounds  = 100
	)
	jar, clock := newTestJar(nil)
	u := mustParseURL(t, "https://www.example.com/x/y")
	response := func(v string) []*http.Cookie {
		return []*http.Cookie{
			{Name: "a", Value: v, Path: "/"},
			{Name: "b", Value: v, Path: "/x"},
		}
	}
	jar.SetCookies(u, response("0"))

	check := func(cs []*http.Cookie, header string) string {
		if len(cs) != 2 || cs[0] == nil || cs[1] == nil {
			return fmt.Sprintf("Cookies = %v, want b and a", cs)
		}
		b, a := cs[0], cs[1]
		if b.Name != "b" || a.Name != "a" || a.Value != b.Value || a.Value == "" {
			return fmt.Sprintf("Cookies = %s=%s %s=%s, want b and a with one value", b.Name, b.Value, a.Name, a.Value)
		}
		hb, ha, ok := strings.Cut(header, "; ")
		if !ok || !strings.HasPrefix(hb, "b=") || !strings.HasPrefix(ha, "a=") || hb[2:] != ha[2:] {
			return fmt.Sprintf("cookieHeader = %q, want b and a with one value", header)
		}
		return ""
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, readers)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range rounds {
				if msg := check(jar.Cookies(u), cookieHeader(jar, u)); msg != "" {
					errs <- fmt.Sprintf("reader %d: %s", r, msg)
					return
				}
			}
		}()
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range rounds {
				v := fmt.Sprintf("%d.%d", w, i)
				if i%2 == 0 {
					jar.SetCookies(u, response(v))
				} else {
					jar.SetCookieHeaders(u, []string{"a=" + v + "; Path=/", "b=" + v + "; Path=/x"})
				}
				if i%10 == 0 {
					clock.Advance(time.Minute) // lookups then refresh the last access
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	if got := jar.live(); got != 2 {
		t.Errorf("Len() = %d, want 2", got)
	}
}
