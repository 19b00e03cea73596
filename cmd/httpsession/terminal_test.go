package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostile holds what a hostile server or file puts in its text to drive
// a terminal: an OSC 8 fake link, a title change, a screen clear, a CR
// that rewrites the line, an 8-bit CSI.
const hostile = "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\\x1b]0;title\x07\x1b[2J\rX\u009b"

// rawControls reports whether s holds a character a terminal acts on.
func rawControls(s string) bool {
	return strings.ContainsAny(s, "\x1b\r\x07\u009b")
}

// rawStatusServer answers with a status line whose reason phrase is
// reason, written byte for byte on the hijacked connection.
func rawStatusServer(t *testing.T, code int, reason string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno", code, reason)
		buf.Flush()
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestServerTextEscapedOnTerminal: what a server or a file chose reaches
// standard error with its control characters escaped: --fail's and -v's
// status line, and an import's report of a rejected cookie's domain.
func TestServerTextEscapedOnTerminal(t *testing.T) {
	ts := rawStatusServer(t, 404, "Not Found"+strings.ReplaceAll(hostile, "\r", ""))
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	domain, _ := json.Marshal("evil" + hostile + ".example")
	doc := fmt.Sprintf(`{"cookies":[{"name":"sid","value":"v","domain":%s,"path":"/","expires":%d,"httpOnly":false,"secure":false,"sameSite":"Lax"}],"origins":[]}`,
		domain, time.Now().Add(time.Hour).Unix())
	if err := os.WriteFile(state, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string // what stderr must still say, escaped
	}{
		{"--fail", []string{"get", ts.URL, "--fail", "--retry", "0"}, `Not Found\x1b]8;;https://evil.example`},
		{"-v", []string{"get", ts.URL, "-v", "--retry", "0"}, `< HTTP/1.1 404 Not Found\x1b]8;;`},
		{"import", []string{"cookies", "import", "--format", "storage-state", state, "--session", filepath.Join(dir, "s.json")}, `evil\x1b]8;;`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runIn(t, context.Background(), nil, tc.args...)
			if rawControls(res.stderr) {
				t.Errorf("stderr holds raw control characters: %q", res.stderr)
			}
			if !strings.Contains(res.stderr, tc.want) {
				t.Errorf("stderr %q does not hold %q", res.stderr, tc.want)
			}
		})
	}
}
