package httpsession

import (
	"strings"
	"testing"
	"time"
)

// TestAddAllCountsCookiesOnce: a cookie given twice is one cookie kept,
// as the jar holds it once; cookies that differ in path or host-only
// flag are two.
func TestAddAllCountsCookiesOnce(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	tests := []struct {
		name    string
		cookies []Cookie
		kept    int
	}{
		{"duplicate", []Cookie{
			{Name: "sid", Value: "1", Domain: "example.com", Path: "/", HostOnly: true, Expires: exp},
			{Name: "sid", Value: "2", Domain: "example.com", Path: "/", HostOnly: true, Expires: exp},
		}, 1},
		{"leading dot and default path", []Cookie{
			{Name: "sid", Value: "1", Domain: ".example.com", Path: "/"},
			{Name: "sid", Value: "2", Domain: "example.com", Path: ""},
		}, 1},
		{"distinct", []Cookie{
			{Name: "sid", Value: "1", Domain: "example.com", Path: "/", HostOnly: true},
			{Name: "sid", Value: "2", Domain: "example.com", Path: "/a", HostOnly: true},
			{Name: "sid", Value: "3", Domain: "example.com", Path: "/"},
		}, 3},
	}
	for _, tt := range tests {
		j := NewJar(nil)
		r := j.AddAll(tt.cookies)
		if r.Kept != tt.kept || j.Len() != tt.kept {
			t.Errorf("%s: Kept %d, jar holds %d; want %d", tt.name, r.Kept, j.Len(), tt.kept)
		}
	}
}

// TestImportNetscapeCountsCookiesOnce: a cookie on two lines of a
// cookies.txt file is one cookie kept.
func TestImportNetscapeCountsCookiesOnce(t *testing.T) {
	const file = "example.com\tFALSE\t/\tFALSE\t0\tsid\tone\nexample.com\tFALSE\t/\tFALSE\t0\tsid\ttwo\nexample.com\tFALSE\t/a\tFALSE\t0\tsid\tthree\n"
	j := NewJar(nil)
	rep, err := j.ImportNetscape(strings.NewReader(file))
	if err != nil || rep.Kept != 2 || j.Len() != 2 {
		t.Errorf("ImportNetscape: Kept %d, jar holds %d, err %v; want 2 and 2", rep.Kept, j.Len(), err)
	}
}
