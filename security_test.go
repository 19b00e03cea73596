package httpsession

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestBaseTransportNilResponse uses a base transport that breaks the
// RoundTripper contract by returning neither a response nor an error: Do
// reports an error instead of panicking.
func TestBaseTransportNilResponse(t *testing.T) {
	c, err := New(Options{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, nil })})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api.example.com/", nil)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("Do with a base transport returning (nil, nil): no error")
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("Do error %T, want *url.Error", err)
	}
}
