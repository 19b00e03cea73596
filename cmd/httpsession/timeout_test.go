package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSecondsFlag(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"10", 10 * time.Second, true},
		{"2.5", 2500 * time.Millisecond, true},
		{"0", 0, true},
		{"1m30s", 90 * time.Second, true},
		{"250ms", 250 * time.Millisecond, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1e300", 0, false},
	}
	for _, tt := range tests {
		var s seconds
		err := s.Set(tt.in)
		if (err == nil) != tt.ok || tt.ok && time.Duration(s) != tt.want {
			t.Errorf("Set(%q) = %v, %v; want %v, ok %v", tt.in, time.Duration(s), err, tt.want, tt.ok)
		}
	}
}

// TestMaxTime: --max-time ends a request to a server that never answers,
// as curl's does, with exit 1 and a line that says so.
func TestMaxTime(t *testing.T) {
	stop := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer ts.Close()
	defer close(stop)
	r := cli(t, "", nil, "get", ts.URL, "--max-time", "0.3", "--retry", "0")
	if r.code != 1 || !strings.Contains(r.stderr, "timed out after 300ms (--max-time)") {
		t.Errorf("exit %d, stderr %q; want 1 and a timeout message", r.code, r.stderr)
	}
}
