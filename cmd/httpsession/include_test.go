package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestIncludeEveryHop: -i prints the status line and headers of every hop
// of a redirect chain before the body, as curl -i -L does.
func TestIncludeEveryHop(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/final", http.StatusFound)
	})
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("body")) })
	ts := httptest.NewServer(mux)
	defer ts.Close()
	r := cli(t, "", nil, "get", "-i", ts.URL+"/start")
	first, final := strings.Index(r.stdout, "HTTP/1.1 302 Found\n"), strings.Index(r.stdout, "HTTP/1.1 200 OK\n")
	if r.code != 0 || first < 0 || final < first || !strings.Contains(r.stdout, "Location: /final\n") || !strings.HasSuffix(r.stdout, "\nbody") {
		t.Errorf("get -i over a redirect: exit %d, stdout %q; want the 302's head, the 200's head, then the body", r.code, r.stdout)
	}
}
