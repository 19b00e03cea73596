// Package redisstore keeps an httpsession session in Redis, so that a fleet
// of workers on several machines shares one logged-in session: it
// implements [httpsession.Store] (the session document) and
// [httpsession.RefreshLocker] (a lease that lets one worker at a time
// refresh the token) on top of any go-redis [redis.UniversalClient]:
// a single server, Sentinel, Cluster, Redis or Valkey.
//
// # Keys
//
// A Store for key K keeps two keys that share one Cluster hash tag, so they
// land in the same slot: the document at "{K}" and the refresh lease at
// "{K}:refresh". A K that already holds a hash tag ("app:{alice}") is used
// as it is, and the lease is K+":refresh". Store.Key reports the
// document's key. The lease's release is announced on the Pub/Sub channel
// of the lease key followed by ":released".
//
// # Updates
//
// Update is optimistic: it WATCHes the document, reads it, calls fn and
// writes fn's result in a MULTI/EXEC transaction that Redis refuses if
// another worker wrote the document meanwhile; then it starts again with
// the newer document. fn is therefore called once per attempt, and only the
// last call's result is stored. The session code's fn is a pure merge of the
// stored document with the worker's memory, so calling it again is harmless.
// A lock would call fn once, but a worker that died holding it would block
// every save until the lock expired; with WATCH there is nothing to go
// stale, and a save costs two round trips when nobody competes. A script
// cannot do the work, since fn is Go code that must see the current
// document.
//
// # Faults
//
// Errors are *Error values naming the operation and the key, never the
// server's password; when the server cannot be reached they match
// [ErrUnavailable]. A server restarted empty holds no document: Load
// returns nil and the next Update's fn gets nil, so the session writes
// everything it holds. Every operation is bounded by Store.Timeout.
//
// The document is the session file's JSON, with the same content,
// credentials included: protect it with a Redis ACL user restricted to the
// key (~{K}*), TLS, and a key prefix of its own.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/httpsession/httpsession/internal/limits"
	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is matched (with errors.Is) by the errors of operations
// that could not reach the Redis server: connection refused or reset,
// timeouts, a closed client, a server still loading its data.
var ErrUnavailable = errors.New("redisstore: redis unavailable")

// ErrConflict is matched by the error of an Update that lost the race
// against other writers MaxAttempts times in a row.
var ErrConflict = errors.New("redisstore: too many concurrent updates")

// An Error reports a failed Redis operation. It never holds the server's
// credentials or the document's content.
type Error struct {
	Op  string // "load", "update", "lock refresh", "unlock refresh"
	Key string // the document's key
	Err error  // what went wrong
}

func (e *Error) Error() string {
	s := "redisstore: " + e.Op + " " + e.Key
	if isUnavailable(e.Err) {
		s += ": redis unavailable"
	}
	return s + ": " + e.Err.Error()
}

// Is reports whether target is ErrUnavailable and the server could not be
// reached.
func (e *Error) Is(target error) bool { return target == ErrUnavailable && isUnavailable(e.Err) }

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// isUnavailable reports whether err means the server was not reached or
// did not answer.
func isUnavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, redis.ErrPoolTimeout),
		errors.Is(err, redis.ErrClosed),
		redis.IsLoadingError(err):
		return true
	}
	return false
}

// Defaults of the Store's fields.
const (
	DefaultTimeout      = 5 * time.Second
	DefaultMaxAttempts  = 100
	DefaultLeaseTTL     = 10 * time.Second
	DefaultMaxHold      = 2 * time.Minute
	DefaultPollInterval = time.Second
)

// A Store keeps one session in Redis. Set its exported fields, if at all,
// before first use. A Store is safe for concurrent use by multiple
// goroutines, and any number of Stores, in any number of processes, may
// share a key.
type Store struct {
	// Timeout bounds each Redis operation of Load and Update (an Update
	// with conflicts gets it once per attempt), and the release of the
	// lease. Zero means DefaultTimeout.
	Timeout time.Duration

	// MaxAttempts is how many times Update tries before it gives up with
	// ErrConflict because other writers kept changing the document. Zero
	// means DefaultMaxAttempts.
	MaxAttempts int

	// LeaseTTL is how long the refresh lease outlives a holder that dies;
	// a live holder renews it every LeaseTTL/3. Zero means
	// DefaultLeaseTTL.
	LeaseTTL time.Duration

	// MaxHold bounds how long a holder keeps renewing the lease: a holder
	// that never unlocks loses it MaxHold+LeaseTTL after taking it. Zero
	// means DefaultMaxHold.
	MaxHold time.Duration

	// PollInterval is the longest a LockRefresh waiter sleeps between two
	// tries. Waiters are woken by a Pub/Sub message as soon as the lease is
	// released, and retry when the lease expires; the poll only covers a
	// lost message. Zero means DefaultPollInterval.
	PollInterval time.Duration

	// NoPubSub makes LockRefresh waiters poll every PollInterval instead
	// of subscribing to the release channel, for proxies that do not
	// support SUBSCRIBE. Waiters then learn of a release up to
	// PollInterval late.
	NoPubSub bool

	// EmptyWhenUnavailable makes Load return no document, instead of an
	// error matching ErrUnavailable, when the server cannot be reached,
	// so that a worker starts with an empty in-memory session (and logs
	// in) while Redis is down. Its first Update that reaches Redis merges
	// the two. False means Load fails.
	EmptyWhenUnavailable bool

	// Logger receives warnings: a lease that could not be renewed or
	// released, a Load answered empty because Redis was unreachable. Nil
	// means silence. Never the document, the key's value or credentials.
	Logger *slog.Logger

	rdb     redis.UniversalClient
	doc     string // the document's key
	lease   string // the refresh lease's key
	channel string // where a release is announced
	closer  io.Closer
}

var (
	_ httpsession.Store         = (*Store)(nil)
	_ httpsession.RefreshLocker = (*Store)(nil)
)

// New returns a Store for the session kept under key in rdb. It does no
// I/O. The caller keeps ownership of rdb.
func New(rdb redis.UniversalClient, key string) *Store {
	doc := key
	if !hasHashTag(key) {
		doc = "{" + key + "}"
	}
	lease := doc + ":refresh"
	return &Store{rdb: rdb, doc: doc, lease: lease, channel: lease + ":released"}
}

// hasHashTag reports whether key has a Cluster hash tag: a "{" followed,
// later, by a "}" with at least one byte between them.
func hasHashTag(key string) bool {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return false
	}
	j := strings.IndexByte(key[i+1:], '}')
	return j > 0
}

// OpenURL connects to the Redis server of a redis:// or rediss:// URL (see
// redis.ParseURL) and returns a Store for key on it; Close closes the
// connection. It does not contact the server. Errors never contain the
// URL's password.
func OpenURL(rawURL, key string) (*Store, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: bad redis URL %s: %s", redactURL(rawURL), redactIn(err.Error(), rawURL))
	}
	rdb := redis.NewClient(opts)
	s := New(rdb, key)
	s.closer = rdb
	return s, nil
}

// Close closes the connection opened by OpenURL. For a Store from New it
// does nothing: the caller owns the client.
func (s *Store) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// redactURL returns rawURL with its password replaced by "xxxxx", or a
// placeholder when it does not parse (its text could be anything).
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable)"
	}
	return strconv.Quote(u.Redacted())
}

// redactIn returns msg, an error message about rawURL, without rawURL's
// password: a message that quotes an unparsable URL is replaced whole.
func redactIn(msg, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "not a URL"
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}

// Key returns the key of the session document.
func (s *Store) Key() string { return s.doc }

// String names the store in errors: "redis key " and the key.
func (s *Store) String() string { return "redis key " + s.doc }

func (s *Store) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Store) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Store) error(op string, err error) error {
	return &Error{Op: op, Key: s.doc, Err: err}
}

// Load implements httpsession.Store: it returns the document, or nil when
// the key does not exist. A document larger than 64 MiB gives an
// *httpsession.SessionFileError.
func (s *Store) Load() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout())
	defer cancel()
	b, err := s.rdb.Get(ctx, s.doc).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil && s.EmptyWhenUnavailable && isUnavailable(err):
		s.log().Warn("redisstore: redis unavailable; starting with an empty session", "key", s.doc, "error", err)
		return nil, nil
	case err != nil:
		return nil, s.error("load", err)
	}
	if len(b) > limits.MaxSessionSize {
		return nil, s.tooLarge()
	}
	return b, nil
}

func (s *Store) tooLarge() error {
	return &httpsession.SessionFileError{Path: s.String(), Reason: fmt.Sprintf("larger than %d bytes", limits.MaxSessionSize)}
}

// fnError carries an error of Update's fn through redis.Watch.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// Update implements httpsession.Store with optimistic concurrency: WATCH,
// GET, fn, MULTI/SET/EXEC, and again from the GET when another writer got
// in between. fn may thus be called more than once; only the result of its
// last call is stored. An error from fn is returned as it is.
func (s *Store) Update(fn func(current []byte) ([]byte, error)) error {
	attempts := s.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	for i := range attempts {
		err := s.updateOnce(fn)
		var fe fnError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &fe):
			return fe.err
		case errors.Is(err, redis.TxFailedErr):
			// Another writer changed the document: start again from
			// its version, after a short random pause so that the
			// writers that collided spread out.
			time.Sleep(conflictPause(i))
			continue
		default:
			var se *httpsession.SessionFileError
			if errors.As(err, &se) {
				return err
			}
			return s.error("update", err)
		}
	}
	return s.error("update", fmt.Errorf("gave up after %d attempts: %w", attempts, ErrConflict))
}

// conflictPause is the wait after the i-th conflict in a row: random, up
// to 1 ms doubled per conflict, at most 64 ms.
func conflictPause(i int) time.Duration {
	limit := time.Millisecond << min(i, 6)
	return rand.N(limit) + time.Microsecond
}

func (s *Store) updateOnce(fn func([]byte) ([]byte, error)) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout())
	defer cancel()
	return s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		cur, err := tx.Get(ctx, s.doc).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
			cur = nil
		case err != nil:
			return err
		case len(cur) > limits.MaxSessionSize:
			return s.tooLarge()
		}
		next, err := fn(cur)
		if err != nil {
			return fnError{err}
		}
		if next == nil {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, s.doc, next, 0)
			return nil
		})
		return err
	}, s.doc)
}
