package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonProblem says what is wrong with a JSON document in the document's
// own words: where the syntax breaks, or which field holds what kind of
// value. encoding/json's messages name Go types ("Go struct field
// authConfig.origins of type []string"), which mean nothing to the user
// of a command; the values themselves are left out, as they may be
// secrets.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		kind, _, _ := strings.Cut(te.Value, " ") // "number 1.5": never the value
		if te.Field == "" {
			return fmt.Sprintf("unexpected %s", kind)
		}
		return fmt.Sprintf("field %q holds the wrong kind of value (%s)", te.Field, kind)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated JSON"
	}
	return "invalid JSON"
}
