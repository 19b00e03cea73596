package bench

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadServer is a small API in the spirit of the demo server: an OAuth 2.0
// token endpoint (password and refresh_token grants) whose access tokens
// live for ttl, and a resource that wants a live token and answers one
// request in ten (chosen by its X-Request-ID) with 429 Retry-After: 0 the
// first time it sees it.
type loadServer struct {
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	next   int                  // serial of the next token
	tokens map[string]time.Time // access token → expiry
	issued []time.Time          // expiry of every access token issued

	throttled sync.Map // X-Request-ID → struct{}, answered 429 once

	logins, refreshes    atomic.Int64
	ok, unauthorized     atomic.Int64
	tooMany, badRequests atomic.Int64
}

func newLoadServer(ttl time.Duration) *loadServer {
	return &loadServer{ttl: ttl, now: time.Now, tokens: map[string]time.Time{}}
}

func (s *loadServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/token":
		s.token(w, r)
	case "/api/data":
		s.data(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *loadServer) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		s.badRequests.Add(1)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	switch r.PostForm.Get("grant_type") {
	case "password":
		s.logins.Add(1)
	case "refresh_token":
		if !strings.HasPrefix(r.PostForm.Get("refresh_token"), "r") {
			s.mu.Unlock()
			s.badRequests.Add(1)
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		s.refreshes.Add(1)
	default:
		s.mu.Unlock()
		s.badRequests.Add(1)
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	s.next++
	n := s.next
	access := "a" + strconv.Itoa(n)
	expiry := s.now().Add(s.ttl)
	s.tokens[access] = expiry
	s.issued = append(s.issued, expiry)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token":  access,
		"token_type":    "Bearer",
		"refresh_token": "r" + strconv.Itoa(n),
		"expires_in":    s.ttl.Seconds(),
	})
}

func (s *loadServer) data(w http.ResponseWriter, r *http.Request) {
	access, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	expiry, known := s.tokens[access]
	s.mu.Unlock()
	if !ok || !known || !s.now().Before(expiry) {
		s.unauthorized.Add(1)
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "token expired", http.StatusUnauthorized)
		return
	}
	if id := r.Header.Get("X-Request-ID"); throttle(id) {
		if _, seen := s.throttled.LoadOrStore(id, struct{}{}); !seen {
			s.tooMany.Add(1)
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
	}
	s.ok.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"ok":true}`))
}

// throttle picks one request ID in ten.
func throttle(id string) bool {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()%10 == 0
}

// expiredBy is how many of the issued access tokens had expired at t.
func (s *loadServer) expiredBy(t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.issued {
		if !t.Before(e) {
			n++
		}
	}
	return n
}
