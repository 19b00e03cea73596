package origin

import (
	"net/url"
	"testing"
)

func TestOf(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://API.Example.com/x", "https://api.example.com", true},
		{"https://api.example.com:443", "https://api.example.com", true},
		{"http://api.example.com:8080", "http://api.example.com:8080", true},
		{"http://[::1]:8080/", "http://[::1]:8080", true},
		{"http://[::1]/", "http://[::1]", true},
		{"https://bücher.example/", "https://xn--bcher-kva.example", true},
		{"http://127.0.0.1.:80", "http://127.0.0.1", true},
		{"http://a..b/", "", false},
		{"http://1.2.3/", "", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		o, ok := Of(u)
		if ok != tt.ok || (ok && o.String() != tt.want) {
			t.Errorf("Of(%q) = %q, %v; want %q, %v", tt.in, o.String(), ok, tt.want, tt.ok)
		}
	}
	a, _ := url.Parse("https://BÜCHER.example:443/a")
	b, _ := url.Parse("https://xn--bcher-kva.example/b")
	if !Same(a, b) {
		t.Errorf("Same(%v, %v) = false, want true", a, b)
	}
}
