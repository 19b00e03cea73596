// Package redacttest prints a value every way a program may print or log
// it, for the tests of the packages whose types hold secrets (httpsession,
// oauth, storagestate): no output may show a secret.
package redacttest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"testing"
)

// Verbs are the fmt verbs a value that holds a secret is printed with:
// every verb prints its redacted description.
var Verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.4s", "%-v"}

// Printed yields v printed every way, each with a name for the way: under
// each of verbs, by fmt.Sprint, by its String method if it has one, and
// through slog's text and JSON handlers (as an attribute and inside a
// group).
func Printed(v any, verbs ...string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, verb := range verbs {
			if !yield(fmt.Sprintf("Sprintf(%q)", verb), fmt.Sprintf(verb, v)) {
				return
			}
		}
		if !yield("Sprint", fmt.Sprint(v)) {
			return
		}
		if s, ok := v.(fmt.Stringer); ok && !yield("String", s.String()) {
			return
		}
		for _, h := range []struct {
			name string
			new  func(*bytes.Buffer) slog.Handler
		}{
			{"slog text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
			{"slog JSON", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
		} {
			var buf bytes.Buffer
			slog.New(h.new(&buf)).Info("m", "v", v, slog.Group("g", "v", v))
			if !yield(h.name, buf.String()) {
				return
			}
		}
	}
}

// NotShown reports an error if out, what a value printed as, holds one
// of secrets in clear or hex-encoded (as %x and %X print a string).
func NotShown(t testing.TB, what, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, form := range []string{s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))} {
			if strings.Contains(out, form) {
				t.Errorf("%s shows %s:\n%s", what, s, out)
				return
			}
		}
	}
}
