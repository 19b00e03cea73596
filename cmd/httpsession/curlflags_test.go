package main

import (
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// needCurl returns the curl binary: missing, the test is skipped on a
// developer's machine and fails in CI (CI=true), which installs it.
func needCurl(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl not installed, and CI must run the comparison with curl (.ci/run installs it)")
		}
		t.Skip("curl not installed: skipping the comparison with curl")
	}
	return p
}

// runCurl runs curl with args in dir and returns its exit code, standard
// output and standard error.
func runCurl(t *testing.T, curl, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(curl, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "http_proxy=", "https_proxy=", "HTTP_PROXY=", "HTTPS_PROXY=", "ALL_PROXY=", "all_proxy=")
	return runCmd(t, cmd)
}

// seenRequest is what a server saw of a request, in a form that does not
// depend on the client: no User-Agent, no multipart boundary.
type seenRequest struct {
	Method, Target, Host string
	ContentType, Accept  string
	UserAgent, Referer   string
	Authorization        string
	Body                 string
	ClientCert           string
}

// recorder is a handler that records each request it serves.
type recorder struct {
	mu   sync.Mutex
	seen []seenRequest
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := seenRequest{Method: r.Method, Target: upperEscapes(r.RequestURI), Host: r.Host, Accept: fmt.Sprintf("%q", r.Header["Accept"]),
		UserAgent: givenAgent(r.Header.Get("User-Agent")), Referer: r.Header.Get("Referer"), Authorization: r.Header.Get("Authorization")}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		s.ClientCert = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	s.ContentType = ct
	if ct == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			s.Body += fmt.Sprintf("[%s %q %q %q]", p.Header.Get("Content-Disposition"), p.FormName(), p.Header.Get("Content-Type"), b)
		}
	} else {
		b, _ := io.ReadAll(r.Body)
		s.Body = upperEscapes(string(b))
	}
	rec.mu.Lock()
	rec.seen = append(rec.seen, s)
	rec.mu.Unlock()
	if r.URL.Path == "/redirect" {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "ok")
}

// givenAgent is a User-Agent the command line gave: curl's and
// httpsession's own are left out.
func givenAgent(ua string) string {
	if strings.HasPrefix(ua, "curl/") || strings.HasPrefix(ua, "httpsession/") {
		return ""
	}
	return ua
}

func (rec *recorder) take() []seenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	s := rec.seen
	rec.seen = nil
	return s
}

// TestCurlFlagsAsCurl sends each row's request with curl and with the
// command, to the same servers, and compares what the servers saw.
func TestCurlFlagsAsCurl(t *testing.T) {
	curl := needCurl(t)
	rec := &recorder{}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	other := httptest.NewServer(rec) // another origin: another port
	defer other.Close()
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("a.txt", "hello\n")
	write("pic.png", "\x89PNG")
	write("note", "line one\nline two\n")
	netrc := write("netrc", "machine 127.0.0.1 login alice password \"s3cr et\"\ndefault login anyone password x\n")

	tests := []struct {
		name string
		cmd  string   // get, post or do
		args []string // the same for curl and the command, URL last
	}{
		{"-u", "get", []string{"-u", "alice:pw", ts.URL + "/u"}},
		{"-u not to another origin after a redirect", "get", []string{"-L", "-u", "alice:pw", ts.URL + "/redirect?to=" + other.URL + "/landed"}},
		{"-u to the same origin after a redirect", "get", []string{"-L", "-u", "alice:pw", ts.URL + "/redirect?to=/landed"}},
		{"-F fields and files", "post", []string{"-F", "f=@a.txt", "-F", "img=@pic.png", "-F", "g=v;type=text/x", "-F", "h=a;b", "-F", "i=<a.txt",
			"-F", "up=@note;filename=other.bin;type=application/x-thing", "--form-string", "j=@x;y", ts.URL + "/form"}},
		{"-F quoted words and parameters", "post", []string{"-F", `q="a;b";type=text/x`, "-F", `r="a"b`, "-F", `s=@"a.txt"`,
			"-F", `t=@a.txt;type=text/html; charset=utf-8;filename="n;\"m\".txt"`, "-F", `u=@a.txt;foo;filename=z.txt`,
			"-F", `v=@a.txt; filename = z.txt`, "-F", `w=@a.txt;filename=x;type=text/x;foo=bar`, ts.URL + "/form"}},
		{"-G with -d and --data-urlencode", "get", []string{"-G", "-d", "a=1", "--data-urlencode", "b=c d&~+", "--data-urlencode", "=x y", "--data-urlencode", "plain", ts.URL + "/q?q=1"}},
		{"--data-urlencode body", "post", []string{"--data-urlencode", "name@note", "-d", "z=2", ts.URL + "/b"}},
		{"-d repeated", "post", []string{"-d", "a=1", "-d", "@note", "--data-binary", "@note", "--data-raw", "@raw", ts.URL + "/b"}},
		{"--json", "post", []string{"--json", `{"a":1}`, "--json", `{"b":2}`, ts.URL + "/j"}},
		{"--json with -X PUT", "do", []string{"-X", "PUT", "--json", "@note", ts.URL + "/j"}},
		{"-H Host", "get", []string{"-H", "Host: api.example.test", ts.URL + "/h"}},
		{"-A and -e", "get", []string{"-A", "agent/1.0", "-e", "https://from.example/page", ts.URL + "/a"}},
		{"-e after a redirect", "get", []string{"-L", "-e", "https://from.example/page", ts.URL + "/redirect?to=/landed"}},
		{"-H User-Agent beats -A", "get", []string{"-A", "agent/1.0", "-H", "User-Agent: header/2.0", ts.URL + "/a"}},
		{"-I", "get", []string{"-I", ts.URL + "/head"}},
		{"-H 'Accept:' removes it", "get", []string{"-H", "Accept:", ts.URL + "/h"}},
		{"-H 'Accept;' sends it empty", "get", []string{"-H", "Accept;", ts.URL + "/h"}},
		{"--netrc-file", "get", []string{"--netrc-file", netrc, ts.URL + "/n"}},
		{"--netrc-file default entry", "get", []string{"--netrc-file", netrc, "http://localhost:" + port + "/n"}},
		{"-u beats netrc", "get", []string{"-u", "bob:pw", "--netrc-file", netrc, ts.URL + "/n"}},
		{"-H Authorization beats -u", "get", []string{"-u", "bob:pw", "-H", "Authorization: Bearer given", ts.URL + "/n"}},
		{"-X POST -d with Content-Type from -H", "do", []string{"-X", "POST", "-d", "<a/>", "-H", "Content-Type: application/xml", ts.URL + "/x"}},
		{"--netrc-optional without a file", "get", []string{"--netrc-file", filepath.Join(dir, "none"), "--netrc-optional", ts.URL + "/n"}},
		{"-x", "get", []string{"-x", ts.URL, "http://example.test/via-proxy?x=1"}},
		{"-x with --noproxy", "get", []string{"-x", "http://127.0.0.1:1", "--noproxy", "127.0.0.1", ts.URL + "/direct"}},
		{"-x with --noproxy of a CIDR range", "get", []string{"-x", "http://127.0.0.1:1", "--noproxy", "example.test,127.0.0.0/8", ts.URL + "/direct"}},
		{"--resolve", "get", []string{"--resolve", "example.test:" + port + ":127.0.0.1", "http://example.test:" + port + "/r"}},
		{"--connect-to", "get", []string{"--connect-to", "example.test:80:127.0.0.1:" + port, "http://example.test/c"}},
		{"-n reads ~/.netrc", "get", []string{"-n", ts.URL + "/n"}},
		{"--json with -H Accept", "post", []string{"--json", `{"a":1}`, "-H", "Accept: text/plain", ts.URL + "/j"}},
		{"--json with -H Content-Type", "post", []string{"--json", `{"a":1}`, "-H", "Content-Type: application/vnd.api+json", ts.URL + "/j"}},
		{"-u with an empty password", "get", []string{"-u", "alice:", ts.URL + "/u"}},
		{"-G with --data-urlencode name@file", "get", []string{"-G", "--data-urlencode", "n@note", ts.URL + "/q"}},
	}
	// -n reads $HOME/.netrc, for curl and the command alike.
	t.Setenv("HOME", dir)
	write(".netrc", "machine 127.0.0.1 login homer password h0me\n")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.take()
			want := runCurl(t, curl, dir, append([]string{"-s", "-o", "/dev/null"}, tt.args...)...)
			wantSeen := rec.take()
			r := cliIn(t, dir, append(append([]string{tt.cmd}, tt.args...), "-o", filepath.Join(dir, "out"))...)
			gotSeen := rec.take()
			if want.code != 0 || r.code != 0 {
				t.Fatalf("curl exit %d (%s), httpsession exit %d (%s)", want.code, want.stderr, r.code, r.stderr)
			}
			if diff := cmp.Diff(wantSeen, gotSeen); diff != "" {
				t.Errorf("servers saw (-curl +httpsession):\n%s", diff)
			}
		})
	}
}

// upperEscapes writes percent-escapes in upper case: curl versions
// differ in the case of their --data-urlencode escapes, which mean the
// same (RFC 3986 §2.1).
func upperEscapes(s string) string {
	return regexp.MustCompile(`%[0-9a-fA-F]{2}`).ReplaceAllStringFunc(s, strings.ToUpper)
}

// cliIn runs the command in dir.
func cliIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "http_proxy=", "https_proxy=", "HTTP_PROXY=", "HTTPS_PROXY=", "HTTPSESSION_SESSION=")
	return runCmd(t, cmd)
}

// rawServer answers every request with the head given, byte for byte, and
// body: net/http's own server would sort the headers.
func rawServer(t *testing.T, head, body string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		c, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		fmt.Fprintf(bw, "%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", head, len(body), body)
		bw.Flush()
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestIncludeAndVerboseAsCurl: -i prints the head as the server sent it,
// in its order, as curl -i does, and -v the same lines after "< ".
func TestIncludeAndVerboseAsCurl(t *testing.T) {
	curl := needCurl(t)
	head := "HTTP/1.1 200 OK\r\nZ-Last: 1\r\nContent-Type: text/plain\r\nRateLimit-Policy: 10;w=60\r\nA-First: 2\r\nRateLimit: limit=10, remaining=9, reset=60\r\nx-lower: 3"
	ts := rawServer(t, head, "ok")
	dir := t.TempDir()
	want := runCurl(t, curl, dir, "-s", "-i", ts.URL+"/i")
	r := cliIn(t, dir, "get", "-i", ts.URL+"/i")
	if got, want := r.stdout, strings.ReplaceAll(want.stdout, "\r\n", "\n"); got != want {
		t.Errorf("get -i printed\n%q\nwant, as curl -i,\n%q", got, want)
	}

	want = runCurl(t, curl, dir, "-s", "-v", "-o", "/dev/null", ts.URL+"/v")
	r = cliIn(t, dir, "get", "-v", "-o", filepath.Join(dir, "out"), ts.URL+"/v")
	if got, want := prefixed(r.stderr, "< "), prefixed(want.stderr, "< "); !cmp.Equal(got, want) {
		t.Errorf("get -v response head (-curl +httpsession):\n%s", cmp.Diff(want, got))
	}
	if got := prefixed(r.stderr, "> "); len(got) < 2 || got[0] != "GET /v HTTP/1.1" || got[1] != "Host: "+ts.Listener.Addr().String() {
		t.Errorf("get -v request head %q, want the request line and Host first, as written", got)
	}
}

// prefixed returns the lines of s that start with p, without p and CR,
// the empty ones left out.
func prefixed(s, p string) []string {
	var out []string
	for line := range strings.Lines(s) {
		if l, ok := strings.CutPrefix(line, p); ok && strings.TrimSpace(l) != "" {
			l = strings.TrimRight(l, "\r\n")
			out = append(out, l)
		}
	}
	return out
}

// TestVerboseRedacts: -v shows the request headers sent, the values of
// Authorization, Cookie and Set-Cookie masked.
func TestVerboseRedacts(t *testing.T) {
	ts := rawServer(t, "HTTP/1.1 200 OK\r\nSet-Cookie: sid=server-secret; Path=/", "ok")
	r := cli(t, "", nil, "get", "-v", "-u", "alice:user-secret", "-H", "Cookie: a=cookie-secret; b=2", ts.URL+"/?token=query-secret")
	for _, secret := range []string{"user-secret", basicValue("alice", "user-secret")[len("Basic "):], "cookie-secret", "server-secret", "query-secret"} {
		if strings.Contains(r.stderr, secret) {
			t.Errorf("get -v shows %q:\n%s", secret, r.stderr)
		}
	}
	sent := prefixed(r.stderr, "> ")
	for _, want := range []string{"GET /?… HTTP/1.1", "Authorization: Basic <24 bytes>", "Cookie: a=<13 bytes>; b=<1 bytes>"} {
		if !contains(sent, want) {
			t.Errorf("get -v request head %q lacks %q", sent, want)
		}
	}
	if got := prefixed(r.stderr, "< "); !contains(got, "Set-Cookie: sid=<13 bytes>; Path=/") {
		t.Errorf("get -v response head %q lacks the masked Set-Cookie", got)
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// TestRetryReportedOnce: with -v, a retry is one line, not the command's
// and the library's.
func TestRetryReportedOnce(t *testing.T) {
	var mu sync.Mutex
	n := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer ts.Close()
	r := cli(t, "", nil, "get", "-v", "--max-wait", "10ms", ts.URL) // a short backoff
	var reports []string
	for line := range strings.Lines(r.stderr) {
		if strings.HasPrefix(line, "httpsession") && strings.Contains(line, "retr") {
			reports = append(reports, line)
		}
	}
	if r.code != 0 || len(reports) != 1 {
		t.Errorf("get -v after a 503: exit %d, retry reported %d times, want once: %q", r.code, len(reports), reports)
	}
}

// TestWriteOutAsCurl: -w prints what curl -w prints for the same
// transfer; %{time_total} is a number of seconds with six decimals.
func TestWriteOutAsCurl(t *testing.T) {
	curl := needCurl(t)
	rec := &recorder{}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	dir := t.TempDir()
	format := `%{http_code} %{size_download} %{url_effective} %{num_redirects} %{content_type} %{exitcode} %header{content-type} 100%%\n`
	want := runCurl(t, curl, dir, "-s", "-L", "-o", "/dev/null", "-w", format, ts.URL+"/redirect?to=/final")
	r := cliIn(t, dir, "get", "-o", filepath.Join(dir, "out"), "-w", format, ts.URL+"/redirect?to=/final")
	if r.stdout != want.stdout {
		t.Errorf("-w printed %q, want %q as curl", r.stdout, want.stdout)
	}
	r = cliIn(t, dir, "get", "-o", filepath.Join(dir, "out"), "-w", "%{time_total}", ts.URL+"/")
	if !regexp.MustCompile(`^\d+\.\d{6}$`).MatchString(r.stdout) {
		t.Errorf("-w %%{time_total} printed %q, want seconds with six decimals", r.stdout)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	want = runCurl(t, curl, dir, "-s", "-w", "%{http_code}", closed.URL)
	r = cliIn(t, dir, "get", "--retry", "0", "-w", "%{http_code} %{exitcode}", closed.URL)
	if r.stdout != want.stdout+" 1" || r.code != 1 {
		t.Errorf("-w on a refused connection: exit %d, printed %q; want %q and exit code 1", r.code, r.stdout, want.stdout+" 1")
	}
}

// TestSilentAsCurl: -s prints no error (the exit code tells), -sS does.
func TestSilentAsCurl(t *testing.T) {
	curl := needCurl(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	dir := t.TempDir()
	if want := runCurl(t, curl, dir, "-s", closed.URL); want.stderr != "" || want.code == 0 {
		t.Fatalf("curl -s: exit %d, stderr %q", want.code, want.stderr)
	}
	if r := cliIn(t, dir, "get", "-s", "--retry", "0", closed.URL); r.stderr != "" || r.code != 1 {
		t.Errorf("get -s: exit %d, stderr %q; want 1 and nothing", r.code, r.stderr)
	}
	if r := cliIn(t, dir, "get", "-s", "-S", "--retry", "0", closed.URL); !strings.Contains(r.stderr, "connection refused") || r.code != 1 {
		t.Errorf("get -sS: exit %d, stderr %q; want the error", r.code, r.stderr)
	}
	if r := cliIn(t, dir, "get", "-s", "--compressed", "--retry", "0", "--bogus", closed.URL); r.code != 2 || r.stderr == "" {
		t.Errorf("get -s with a bad flag: exit %d, stderr %q; want the usage error", r.code, r.stderr)
	}
}

// TestCompressedAsCurl: --compressed is accepted and the body decoded.
func TestCompressedAsCurl(t *testing.T) {
	curl := needCurl(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			io.WriteString(w, "not asked")
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		io.WriteString(gz, "decoded body")
		gz.Close()
	}))
	defer ts.Close()
	dir := t.TempDir()
	want := runCurl(t, curl, dir, "-s", "--compressed", ts.URL)
	if r := cliIn(t, dir, "get", "--compressed", ts.URL); r.code != 0 || r.stdout != want.stdout {
		t.Errorf("get --compressed: exit %d, stdout %q; want %q as curl", r.code, r.stdout, want.stdout)
	}
}

// TestClientCertAsCurl: --cert and --key present a PEM client certificate
// to a server that asks for one, as curl does; --cert alone reads the key
// from the same file.
func TestClientCertAsCurl(t *testing.T) {
	curl := needCurl(t)
	rec := &recorder{}
	ts := httptest.NewUnstartedServer(rec)
	ts.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	ts.StartTLS()
	defer ts.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	certFile, keyFile, both := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), filepath.Join(dir, "both.pem")
	certPEM, keyPEM := clientCert(t, "client-one")
	for name, b := range map[string][]byte{
		ca:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}),
		certFile: certPEM, keyFile: keyPEM, both: append(append([]byte{}, certPEM...), keyPEM...),
	} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"--cert", certFile, "--key", keyFile}, {"--cert", both}} {
		args = append(args, "--cacert", ca, ts.URL+"/mtls")
		want := runCurl(t, curl, dir, append([]string{"-s", "-o", "/dev/null"}, args...)...)
		wantSeen := rec.take()
		r := cliIn(t, dir, append([]string{"get", "-o", filepath.Join(dir, "out")}, args...)...)
		gotSeen := rec.take()
		if want.code != 0 || r.code != 0 || len(gotSeen) != 1 || gotSeen[0].ClientCert != "client-one" {
			t.Fatalf("%q: curl exit %d, httpsession exit %d (%s), seen %+v", args, want.code, r.code, r.stderr, gotSeen)
		}
		if diff := cmp.Diff(wantSeen, gotSeen); diff != "" {
			t.Errorf("%q: server saw (-curl +httpsession):\n%s", args, diff)
		}
	}
	if r := cliIn(t, dir, "get", "--cacert", ca, ts.URL+"/mtls"); r.code != 1 {
		t.Errorf("no --cert to a server that wants one: exit %d, want 1", r.code)
	}
}

// clientCert returns a self-signed certificate for cn, valid from an hour
// ago to an hour from now, and its PKCS #8 key, both PEM.
func clientCert(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})
}

// TestCurlFlagsUsage: combinations that cannot be sent are usage errors
// (exit 2), and -h says where the flags differ from curl's on purpose.
func TestCurlFlagsUsage(t *testing.T) {
	const u = "http://127.0.0.1:1/"
	for _, args := range [][]string{
		{"post", "-F", "a=1", "-d", "b=2", u},
		{"get", "-F", "a=1", u},
		{"get", "-d", "a=1", u},
		{"post", "-G", "-d", "a=1", u},
		{"do", "-X", "PUT", "-G", "-F", "a=1", u},
		{"get", "-u", "alice", u},
		{"get", "--resolve", "example.test:80", u},
		{"get", "--connect-to", "a:1:b", u},
		{"get", "-x", "http://", u},
		{"get", "--key", "k.pem", u},
		{"get", "-F", "novalue", u},
		{"post", "--json", "-d", `{"a":1}`, u},
	} {
		if r := cli(t, "", []string{"HTTPSESSION_PASSWORD="}, args...); r.code != 2 || r.stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want a usage error", args, r.code, r.stderr)
		}
	}
	r := cli(t, "", nil, "get", "-h")
	for _, want := range []string{"-u/--user", "differ from curl on purpose", "--compressed and -L are accepted", "%{exitcode}", "-H 'Host: …' goes to the URL's origin only", "%{size_download} counts the body's bytes decoded"} {
		if r.code != 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("get -h: exit %d, lacks %q", r.code, want)
		}
	}
}

// connectProxy is a forward proxy that tunnels CONNECT requests, and
// a func that counts them.
func connectProxy(t *testing.T) (*httptest.Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	tunnels := new(int)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		mu.Lock()
		*tunnels++
		mu.Unlock()
		c, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		bw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
		bw.Flush()
		go func() { io.Copy(up, c); up.Close() }()
		io.Copy(c, up)
		c.Close()
	}))
	t.Cleanup(ts.Close)
	return ts, func() int {
		mu.Lock()
		defer mu.Unlock()
		return *tunnels
	}
}

// TestProxyTunnelAsCurl: -x to an https URL goes through the proxy's
// CONNECT tunnel, as curl's does, with -i and -v too.
func TestProxyTunnelAsCurl(t *testing.T) {
	curl := needCurl(t)
	rec := &recorder{}
	target := httptest.NewTLSServer(rec)
	defer target.Close()
	proxy, tunnels := connectProxy(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: target.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-x", proxy.URL, "--cacert", ca, target.URL + "/tunnel?x=1"}
	want := runCurl(t, curl, dir, append([]string{"-s", "-o", "/dev/null"}, args...)...)
	wantSeen := rec.take()
	r := cliIn(t, dir, append([]string{"get", "-i", "-v", "-o", filepath.Join(dir, "out")}, args...)...)
	gotSeen := rec.take()
	if want.code != 0 || r.code != 0 || tunnels() != 2 {
		t.Fatalf("curl exit %d, httpsession exit %d (%s), %d tunnels; want both through the proxy", want.code, r.code, r.stderr, tunnels())
	}
	if diff := cmp.Diff(wantSeen, gotSeen); diff != "" {
		t.Errorf("server saw (-curl +httpsession):\n%s", diff)
	}
	if !contains(prefixed(r.stderr, "< "), "Content-Type: text/plain") {
		t.Errorf("get -v through a tunnel lacks the response headers: %q", r.stderr)
	}
}

// TestHostHeaderStaysWithItsOrigin: a given Host goes to the URL's origin;
// after a redirect to another origin the request carries that origin's
// own Host (curl 7.88 sends the given one there too: -h says we differ).
func TestHostHeaderStaysWithItsOrigin(t *testing.T) {
	rec := &recorder{}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	other := httptest.NewServer(rec)
	defer other.Close()
	dir := t.TempDir()
	r := cliIn(t, dir, "get", "-L", "-H", "Host: api.example.test", "-o", filepath.Join(dir, "out"), ts.URL+"/redirect?to="+other.URL+"/landed")
	seen := rec.take()
	if r.code != 0 || len(seen) != 2 || seen[0].Host != "api.example.test" || seen[1].Host != other.Listener.Addr().String() {
		t.Errorf("exit %d (%s), servers saw %+v; want the given Host first, then the other origin's own", r.code, r.stderr, seen)
	}
}

// TestGetQueryEscaped: -G data with a space, a "#" or non-ASCII goes into
// the query percent-encoded, the data's own & = and % escapes as given
// (curl refuses such a URL; sent as is, the request line is invalid).
func TestGetQueryEscaped(t *testing.T) {
	rec := &recorder{}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	dir := t.TempDir()
	r := cliIn(t, dir, "get", "-G", "-d", "q=hello world", "-d", "u=\u00e9#x&v=%2F", "-o", filepath.Join(dir, "out"), ts.URL+"/s?k=1")
	seen := rec.take()
	if want := "/s?k=1&q=hello%20world&u=%C3%A9%23x&v=%2F"; r.code != 0 || len(seen) != 1 || seen[0].Target != want {
		t.Errorf("get -G: exit %d (%s), server saw %+v, want the target %q", r.code, r.stderr, seen, want)
	}
}

// FuzzFormWords checks that no -F argument makes its parser panic or
// loop, and that a word ends at a ";" or the end.
func FuzzFormWords(f *testing.F) {
	for _, s := range []string{`"a;b";type=text/x`, `@"a.txt"`, `a;type=text/html; charset=utf-8;filename="n;\"m\".txt"`, `x;foo;filename=z`, `"\`, `;type=;filename=`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, rest := formWord(s)
		if rest != "" && rest[0] != ';' {
			t.Fatalf("formWord(%q) left %q, want it to start with ;", s, rest)
		}
		formParams(rest)
	})
}
