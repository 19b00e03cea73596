// Package limits holds the bounds that the core package and the stores
// built on it share.
package limits

// MaxSessionSize is the largest stored session document a store reads:
// enough for several hundred thousand cookies, and a bound on the memory
// a broken or hostile document can take. A larger one is a corrupt
// session (httpsession.ErrCorruptSession).
const MaxSessionSize = 64 << 20
