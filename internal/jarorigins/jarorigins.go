// Package jarorigins is the seam through which package storagestate reads
// and writes the storageState origins (localStorage) that an
// httpsession.Jar keeps beside its cookies. The origins are the format's
// business, their keeping is the jar's (the session file saves them and
// merges them with other writers, origin by origin, the newer winning),
// and neither side gives the other a public name: package httpsession
// sets these functions in an init, and storagestate, which imports
// httpsession, can only call them after that init has run.
//
// The functions take the jar as any because this package cannot name
// *httpsession.Jar (httpsession imports it); storagestate passes nothing
// else.
package jarorigins

import "encoding/json"

// Origin is one object of a storageState document's "origins" array.
type Origin struct {
	// Origin is the object's "origin" member, never empty.
	Origin string
	// State is the whole object, compact JSON.
	State json.RawMessage
}

var (
	// Snapshot returns the origins jar keeps, sorted by origin.
	Snapshot func(jar any) []Origin
	// Merge stores origins in jar as of its clock's now, each replacing
	// what jar held for that origin (a later one for the same origin
	// replaces an earlier one).
	Merge func(jar any, origins []Origin)
)
